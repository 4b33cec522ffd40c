using System.Text.RegularExpressions;
using Ortho.NN;

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
/// such a variant overrides. Constant buffers are declared with their values (<see cref="Buffers"/>). A kind with
/// options (<see cref="SupportedOptions"/>, e.g. Hermite's <c>clamp</c>: "hermite:8+clamp") has one family instance
/// per option set (<see cref="WithOptions"/>); only the plain one is registered.
/// </remarks>
public abstract partial class ActivationFamily
{
    private string[]? _names;

    /// <summary>The spec name, lower case (e.g. "hermite"): <c>ActivationSpec.Parse("hermite:3")</c>, checkpoints, fixtures.</summary>
    public abstract string Name { get; }

    /// <summary>Other spellings <see cref="ActivationSpec.Parse"/> accepts for this kind (none by default).</summary>
    public virtual IReadOnlyList<string> Aliases => [];

    /// <summary>The options a spec may add to this kind (<c>hermite:8+clamp</c>); none by default.</summary>
    public virtual IReadOnlyList<string> SupportedOptions => [];

    /// <summary>The options this instance carries, in <see cref="SupportedOptions"/> order (none for the plain kind).</summary>
    public virtual IReadOnlyList<string> Options => [];

    /// <summary>
    /// Other spellings that name this kind with options, e.g. the peer's <c>hermiteclamp</c> = hermite with clamp
    /// (so "hermiteclamp8" parses as hermite:8+clamp); none by default.
    /// </summary>
    public virtual IReadOnlyDictionary<string, string[]> OptionAliases => NoOptionAliases;

    private static readonly IReadOnlyDictionary<string, string[]> NoOptionAliases = new Dictionary<string, string[]>();

    /// <summary>
    /// This kind with exactly <paramref name="options"/> (any order, repeats ignored); the plain kind when there are none.
    /// Kinds with options override it (and <see cref="Variants"/>).
    /// </summary>
    /// <exception cref="ArgumentException">An option the kind does not support; the message lists the supported ones.</exception>
    public virtual ActivationFamily WithOptions(IEnumerable<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckOptions(options);
        return this;
    }

    /// <summary>Throws <see cref="ArgumentException"/> for an option not in <see cref="SupportedOptions"/>.</summary>
    protected void CheckOptions(IEnumerable<string> options)
    {
        foreach (var o in options)
            if (!SupportedOptions.Contains(o))
                throw new ArgumentException(SupportedOptions.Count == 0
                    ? $"{Name} takes no options; got '+{o}'."
                    : $"{Name} has no option '{o}'; options: {string.Join(", ", SupportedOptions)}.", nameof(options));
    }

    /// <summary>The plain kind and every configured variant (what a state dict may hold); the default is just this one.</summary>
    public virtual IReadOnlyList<ActivationFamily> Variants => [this];

    /// <summary>The name with this instance's options, as specs write it: "hermite", "hermite+clamp".</summary>
    public string SpecName => Options.Count == 0 ? Name : Name + "+" + string.Join("+", Options);

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

    /// <summary>
    /// True when <see cref="Backward"/> is correct with <c>dx</c> and <c>dy</c> the same memory (each dy element read
    /// before its dx element is written, and no later pass reading dy). The tape then computes the input gradient in
    /// the upstream gradient's own buffer when it can, saving a fresh buffer and its first write. False by default;
    /// the built-in families set it.
    /// </summary>
    public virtual bool BackwardInPlace => false;

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
    /// The submodule of a module of this kind that holds the parameters named "<paramref name="name"/>.*" (see
    /// <see cref="ActivationParameterSpec.Name"/>); the default is a plain <see cref="ActivationSubmodule"/>.
    /// </summary>
    public virtual ActivationSubmodule CreateSubmodule(string name) => new();

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
    public override string ToString() => SpecName;

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
        foreach (var p in Parameters)
        {
            if (p.Name is null || !ParameterNamePattern().IsMatch(p.Name))
                throw new ArgumentException($"{Name}: parameter name '{p.Name}' must be a state-dict key: lower-case words, at most one '.' (a submodule, as in 'clamp.lim_val').");
            if (p.Scalar && p.Length(MinDegree) != 1) throw new ArgumentException($"{Name}: scalar parameter '{p.Name}' must have length 1.");
        }
        foreach (var o in SupportedOptions.Concat(OptionAliases.Keys))
            if (!NamePattern().IsMatch(o)) throw new ArgumentException($"{Name}: option or option alias '{o}' must be lower case letters, digits and '_', start with a letter and not end with a digit.");
        foreach (var (alias, options) in OptionAliases) WithOptions(options); // throws for an unsupported option
    }

    // Spec names: "hermite3" parses as hermite:3, so a name may not end with a digit.
    [GeneratedRegex("^[a-z](?:[a-z0-9_]*[a-z_])?$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[a-z_][a-z0-9_]*(?:\\.[a-z_][a-z0-9_]*)?$")]
    private static partial Regex ParameterNamePattern();
}

/// <summary>A learnable parameter of an activation family.</summary>
/// <param name="Name">
/// torchortho's name (the state-dict key below the activation); a name with a '.' lives in a submodule of that name
/// (<c>clamp.lim_val</c>: parameter <c>lim_val</c> of submodule <c>clamp</c>).
/// </param>
/// <param name="Length">Number of values at a degree.</param>
/// <param name="SkippableGradient">The backward kernel skips this gradient when given an empty span (Fourier's frequencies, when frozen).</param>
/// <param name="Scalar">A 0-dim tensor (shape [], one value), as torchortho's <c>clamp.lim_val</c>; otherwise shape [Length].</param>
public sealed record ActivationParameterSpec(string Name, Func<int, int> Length, bool SkippableGradient = false, bool Scalar = false)
{
    /// <summary>The tensor shape at <paramref name="degree"/>: [] for a scalar, else [Length].</summary>
    public int[] Shape(int degree) => Scalar ? [] : [Length(degree)];
}

/// <summary>
/// A constant buffer of an activation module: carried in the state dict (as the peer does), never learned, and checked
/// on load: a state dict whose values differ from <see cref="Values"/> is rejected (integers exactly, floats within
/// <see cref="Tolerance"/>), since it would describe another function.
/// </summary>
/// <param name="Name">The state-dict key.</param>
/// <param name="Shape">The tensor shape.</param>
/// <param name="Values">The defined values, row-major (what fresh modules write).</param>
/// <param name="Dtype">The safetensors dtype checkpoints store it as ("F32", or "I64" for the peer's int64 buffers).</param>
/// <param name="Tolerance">For float buffers, what a loaded value may differ by (default: the rounding of the file's dtype).</param>
/// <param name="Optional">Only some writers include it: accepted (and kept for saving) when a loaded state dict has it, never missing, not written by fresh modules.</param>
public sealed record ActivationBuffer(string Name, int[] Shape, float[] Values, string Dtype = "F32", BufferTolerance? Tolerance = null, bool Optional = false)
{
    /// <summary>Relative tolerance of factorial buffers: torchortho computes k! as exp(lgamma(k + 1)) in float32, up to ~3e-6 relative off for k &gt;= 5.</summary>
    public const double FactorialTolerance = 1e-5;

    /// <summary>
    /// The float32 buffer (first!, ..., last!) torchortho keeps: fresh modules hold the exact factorials rounded to
    /// float; loaded values within relative <see cref="FactorialTolerance"/> are accepted and kept as loaded.
    /// </summary>
    public static ActivationBuffer Factorials(string name, int first, int last, bool optional = false)
    {
        var v = new float[last - first + 1];
        double f = 1;
        for (int k = 2; k < first; k++) f *= k;
        for (int k = first; k <= last; k++)
        {
            if (k > 1) f *= k;
            v[k - first] = (float)f;
        }
        return new(name, [v.Length], v, Tolerance: new BufferTolerance(FactorialTolerance), Optional: optional);
    }
}

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
