using System.Text.RegularExpressions;

namespace Ortho.Activations;

/// <summary>
/// One learnable activation kind, defined in one place: its spec name, degree range, parameters (torchortho's names
/// and lengths), constant buffers, initialization, float kernels, double-precision evaluation, fitting and moments.
/// The built-in kinds live in <c>Activations/Hermite</c>, <c>Fourier</c>, <c>Tropical</c> and <c>TropicalRational</c>;
/// a new kind is a subclass registered with <see cref="ActivationRegistry.Register"/>, after which
/// <see cref="ActivationSpec"/>, <see cref="ActivationParameters"/>, <see cref="ActivationKernels"/>,
/// <see cref="ActivationFitter"/>, <see cref="ActivationMoments"/> and the models accept it by name.
/// </summary>
/// <remarks>
/// Kernel methods receive the parameters as <see cref="IParameterSpans"/> in the order of <see cref="Parameters"/>.
/// Every method is an instance method, so a family instance can carry options of its own (a configured variant of a
/// kind); families are compared with <see cref="object.Equals(object)"/> (parameters, modules, the fit cache), which
/// such a variant overrides. Constant buffers are declared with their values (<see cref="Buffers"/>).
/// </remarks>
public abstract partial class ActivationFamily
{
    private string[]? _names;

    /// <summary>The spec name, lower case (e.g. "hermite"): <c>ActivationSpec.Parse("hermite:3")</c>, checkpoints, fixtures.</summary>
    public abstract string Name { get; }

    /// <summary>Other spellings <see cref="ActivationSpec.Parse"/> accepts for this kind (none by default).</summary>
    public virtual IReadOnlyList<string> Aliases => [];

    /// <summary>Smallest supported degree (at least 1).</summary>
    public abstract int MinDegree { get; }

    /// <summary>Largest supported degree.</summary>
    public abstract int MaxDegree { get; }

    /// <summary>The learnable parameters, in torchortho's order (the order kernels receive them in).</summary>
    public abstract IReadOnlyList<ActivationParameterSpec> Parameters { get; }

    /// <summary>The constant (not learned) buffers a module of this degree carries in its state dict; none by default.</summary>
    public virtual IReadOnlyList<ActivationBuffer> Buffers(int degree) => [];

    /// <summary>The parameter names in <see cref="Parameters"/> order.</summary>
    public IReadOnlyList<string> ParameterNames => _names ??= Parameters.Select(p => p.Name).ToArray();

    /// <summary>Position of parameter <paramref name="name"/> in <see cref="Parameters"/>, or -1.</summary>
    public int IndexOf(string name)
    {
        var names = ParameterNames;
        for (int i = 0; i < names.Count; i++)
            if (names[i] == name) return i;
        return -1;
    }

    /// <summary>Number of values of parameter <paramref name="name"/> at <paramref name="degree"/>.</summary>
    /// <exception cref="ArgumentException">The family has no parameter of that name.</exception>
    public int ParameterLength(string name, int degree)
    {
        int i = IndexOf(name);
        if (i < 0) throw new ArgumentException($"{Name} has no parameter '{name}'.", nameof(name));
        return Parameters[i].Length(degree);
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> (stating the valid range) for an unsupported degree.</summary>
    public void ValidateDegree(int degree)
    {
        if (degree < MinDegree || degree > MaxDegree)
            throw new ArgumentOutOfRangeException(nameof(degree), degree, $"{Name} degree must be in [{MinDegree}, {MaxDegree}]; got {degree}.");
    }

    /// <summary>torchortho's initial values at <paramref name="degree"/> (<paramref name="rng"/> for kinds that draw them).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unsupported degree.</exception>
    /// <exception cref="ArgumentNullException">The kind draws its initial values and no rng was given.</exception>
    public ActivationParameters Initial(int degree, Rng? rng = null)
    {
        var p = new ActivationParameters(this, degree);
        Initialize(p, rng);
        return p;
    }

    /// <summary>Writes the initial values into the zero-filled <paramref name="p"/>; throws ArgumentNullException if it needs an rng and has none.</summary>
    protected abstract void Initialize(ActivationParameters p, Rng? rng);

    /// <summary>y = f(x) elementwise with the float kernels; y may alias x.</summary>
    public abstract void Forward(Span<float> y, ReadOnlySpan<float> x, IParameterSpans p, int degree);

    /// <summary>
    /// Backward for the loss sum(y * dy): dx = dy f'(x) written (or added when <paramref name="accumulateDx"/>; skipped
    /// unless <paramref name="needDx"/>), every parameter gradient ACCUMULATED into <paramref name="grads"/> (an empty
    /// span is skipped where the parameter is marked <see cref="ActivationParameterSpec.SkippableGradient"/>).
    /// </summary>
    public abstract void Backward(Span<float> dx, IParameterSpans grads, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        IParameterSpans p, int degree, bool needDx, bool accumulateDx);

    /// <summary>f(x) and f'(x) in double precision from the (float) parameters: fitting, moments, checks.</summary>
    public abstract double Evaluate(double x, IParameterSpans p, int degree, out double derivative);

    /// <summary>
    /// This kind's fitting algorithm: parameters minimizing sum_i w_i [(f - g)^2 + (f' - g')^2] on <paramref name="grid"/>.
    /// Called by <see cref="ActivationFitter"/>, which validates, caches and reports; the default has no algorithm.
    /// </summary>
    /// <exception cref="NotSupportedException">The kind has no fitting algorithm.</exception>
    public virtual ActivationParameters Fit(int degree, FitGrid grid, FitOptions options) =>
        throw new NotSupportedException($"{Name} activations have no fitting algorithm.");

    /// <summary>E[f], E[f^2], E[f'^2] under x ~ N(0, sigma^2) at the values <paramref name="p"/> of this kind.</summary>
    /// <exception cref="ArgumentException"><paramref name="p"/> belongs to another kind.</exception>
    /// <exception cref="ArgumentOutOfRangeException">sigma is not positive and finite.</exception>
    public MomentsResult Moments(ActivationParameters p, double sigma = 1)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!p.Family.Equals(this)) throw new ArgumentException($"{p.Kind} parameters given to the {Name} moments.", nameof(p));
        ActivationMoments.CheckSigma(sigma);
        return ComputeMoments(p, sigma);
    }

    /// <summary>The moments (sigma already checked); the default integrates <see cref="Evaluate"/> by Gauss-Hermite quadrature.</summary>
    protected virtual MomentsResult ComputeMoments(ActivationParameters p, double sigma) =>
        ActivationMoments.Compute(x => Evaluate(x, p, p.Degree, out _), x =>
        {
            Evaluate(x, p, p.Degree, out double d);
            return d;
        }, sigma);

    /// <summary>A module of this kind with its initial values; the default is a plain <see cref="LearnableActivation"/>.</summary>
    public virtual LearnableActivation CreateModule(int degree, Rng? rng = null) => new(this, degree, rng);

    /// <summary>
    /// Writes y = f(<paramref name="input"/>) of <paramref name="module"/> (this kind) into <paramref name="graph"/> with
    /// standard ONNX operators, its parameters as initializers (<see cref="Export.Onnx.OnnxGraphBuilder.Parameter"/>),
    /// and returns y's name: how <c>ortho export onnx</c> exports the kind. The default has no ONNX form.
    /// </summary>
    /// <exception cref="NotSupportedException">The kind (or this configuration of it) has no ONNX form.</exception>
    public virtual string EmitOnnx(Export.Onnx.OnnxGraphBuilder graph, string input, LearnableActivation module) =>
        throw new NotSupportedException($"{Name} activations have no ONNX form (override ActivationFamily.EmitOnnx to export them).");

    /// <summary>The built-in family an <see cref="ActivationKind"/> names.</summary>
    public static implicit operator ActivationFamily(ActivationKind kind) => ActivationRegistry.Get(kind);

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Throws unless the family is well formed (called on registration).</summary>
    internal void Check()
    {
        if (Name is null || !NamePattern().IsMatch(Name))
            throw new ArgumentException($"activation name '{Name}' must be lower case letters, digits and '_', start with a letter and not end with a digit.");
        foreach (var alias in Aliases)
            if (!NamePattern().IsMatch(alias)) throw new ArgumentException($"{Name}: alias '{alias}' must be lower case letters, digits and '_', start with a letter and not end with a digit.");
        if (MinDegree < 1 || MaxDegree < MinDegree) throw new ArgumentException($"{Name}: degree range [{MinDegree}, {MaxDegree}] must satisfy 1 <= min <= max.");
        if (Parameters.Count == 0) throw new ArgumentException($"{Name}: an activation family needs at least one parameter.");
        if (ParameterNames.Distinct().Count() != ParameterNames.Count) throw new ArgumentException($"{Name}: parameter names must be distinct.");
    }

    // Spec names: "hermite3" parses as hermite:3, so a name may not end with a digit.
    [GeneratedRegex("^[a-z](?:[a-z0-9_]*[a-z_])?$")]
    private static partial Regex NamePattern();
}

/// <summary>A learnable parameter of an activation family.</summary>
/// <param name="Name">torchortho's name (the state-dict key).</param>
/// <param name="Length">Number of values at a degree.</param>
/// <param name="SkippableGradient">The backward kernel skips this gradient when given an empty span (Fourier's frequencies, when frozen).</param>
public sealed record ActivationParameterSpec(string Name, Func<int, int> Length, bool SkippableGradient = false);

/// <summary>A constant buffer of an activation module: carried in the state dict (as the peer does), never learned.</summary>
/// <param name="Name">The state-dict key.</param>
/// <param name="Shape">The tensor shape.</param>
/// <param name="Values">The expected values, row-major.</param>
/// <param name="Dtype">The safetensors dtype checkpoints store it as ("F32", or "I64" for the peer's int64 buffers).</param>
public sealed record ActivationBuffer(string Name, int[] Shape, float[] Values, string Dtype = "F32");

/// <summary>
/// One span per parameter of an activation, in its family's <see cref="ActivationFamily.Parameters"/> order: the values
/// a kernel reads, or the gradient buffers it accumulates into. Implemented by <see cref="ActivationParameters"/> and by
/// the modules (over their live parameters).
/// </summary>
public interface IParameterSpans
{
    /// <summary>The values of parameter <paramref name="index"/>.</summary>
    Span<float> this[int index] { get; }
}
