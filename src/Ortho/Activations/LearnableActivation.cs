using Ortho.NN;
using Ortho.Ops;

namespace Ortho.Activations;

/// <summary>
/// A learnable activation module of any <see cref="ActivationFamily"/>: an elementwise map with a small set of
/// parameters shared by all elements, applied to tensors of any shape, with torchortho's parameter names, constant
/// buffers and initialization. The forward saves only x; the backward is one fused pass computing dx and every
/// parameter gradient. <see cref="HermiteActivation"/> and the other built-in modules add named properties.
/// </summary>
public class LearnableActivation : UnaryModule
{
    private readonly Parameter[] _params;
    private readonly float[]?[] _frozenScratch;
    private readonly IParameterSpans _values, _grads;

    /// <summary>Registers the family's parameters with their initial values and its constant buffers.</summary>
    /// <param name="family">The kind.</param>
    /// <param name="degree">The degree n, in the family's range.</param>
    /// <param name="rng">Draws the initial values of kinds that draw them (default <see cref="Rng.Default"/>).</param>
    /// <param name="frozen">True freezes every parameter (no gradient).</param>
    public LearnableActivation(ActivationFamily family, int degree, Rng? rng = null, bool frozen = false)
    {
        ArgumentNullException.ThrowIfNull(family);
        Family = family;
        Degree = degree;
        var init = family.Initial(degree, rng ?? Rng.Default);
        _params = new Parameter[family.Parameters.Count];
        for (int i = 0; i < _params.Length; i++)
        {
            var spec = family.Parameters[i];
            var p = new Parameter(spec.Shape(degree));
            init[spec.Name].CopyTo(p.Data);
            int dot = spec.Name.IndexOf('.');
            _params[i] = dot < 0 ? RegisterParameter(spec.Name, p) : Submodule(spec.Name[..dot]).Add(spec.Name[(dot + 1)..], p);
        }
        foreach (var b in family.Buffers(degree))
            RegisterConstant(b.Name, b.Shape, b.Values, b.Dtype, b.Tolerance, b.Optional);
        _frozenScratch = new float[_params.Length][];
        _values = new LiveValues(_params);
        _grads = new LiveGradients(this);
        if (frozen) Freeze();
    }

    /// <summary>The kind (with its options: <see cref="ActivationFamily.Options"/>).</summary>
    public ActivationFamily Family { get; }

    /// <summary>The degree n.</summary>
    public int Degree { get; }

    /// <summary>The kind in the activation-spec format ("hermite", "fourier", ...).</summary>
    public string Kind => Family.Name;

    /// <summary>This activation's spec, e.g. "hermite:3" or "hermite:8+clamp".</summary>
    public ActivationSpec Spec => new(Kind, Degree, string.Join("+", Family.Options));

    /// <summary>The parameter named <paramref name="name"/> (torchortho's name).</summary>
    protected Parameter Param(string name) => _params[Family.IndexOf(name)];

    /// <summary>The submodule holding the parameters named "<paramref name="name"/>.*" (e.g. Hermite's <c>clamp</c>), or null.</summary>
    protected ActivationSubmodule? FindSubmodule(string name) =>
        NamedChildren().FirstOrDefault(c => c.Name == name).Module as ActivationSubmodule;

    private ActivationSubmodule Submodule(string name) => FindSubmodule(name) ?? RegisterModule(name, Family.CreateSubmodule(name));

    /// <summary>Freezes (no gradient) or unfreezes every parameter.</summary>
    public virtual void Freeze(bool frozen = true)
    {
        foreach (var p in _params) p.RequiresGrad = !frozen;
    }

    /// <summary>A copy of the current parameter values.</summary>
    public ActivationParameters Snapshot()
    {
        var s = new ActivationParameters(Family, Degree);
        foreach (var (name, p) in NamedParameters()) p.Data.CopyTo(s[name]);
        return s;
    }

    /// <summary>Sets the parameters (e.g. from a fit); kind and degree must match.</summary>
    public void Load(ActivationParameters values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!values.Family.Equals(Family) || values.Degree != Degree)
            throw new ArgumentException($"Cannot load {values.Kind}:{values.Degree} parameters into {Spec}.");
        foreach (var (name, p) in NamedParameters()) values[name].CopyTo(p.Data);
    }

    /// <summary>
    /// Fits this activation to <paramref name="target"/> (e.g. <see cref="FitTarget.GeluErf"/>) by matching f and f' on the
    /// options' range, loads the fitted values, and returns the fit with its error report: the way to swap a pretrained
    /// model's activation for a learnable one before fine-tuning.
    /// </summary>
    public ActivationFit FitTo(FitTarget target, FitOptions? options = null)
    {
        var fit = ActivationFitter.Fit(Family, Degree, target, options);
        Load(fit.Parameters);
        return fit;
    }

    /// <summary>E[f], E[f^2], E[f'^2] and the forward/backward gains under x ~ N(0, sigma^2) at the current values.</summary>
    public MomentsResult Moments(double sigma = 1) => Family.Moments(Snapshot(), sigma);

    /// <summary>f(x) and f'(x) in double precision at the current parameter values (for moments, fitting, plots).</summary>
    public double Evaluate(double x, out double derivative) => Family.Evaluate(x, _values, Degree, out derivative);

    /// <summary>Evaluates the activation on a span without recording autograd (forward kernel only).</summary>
    public void Apply(ReadOnlySpan<float> x, Span<float> y) => Family.Forward(y, x, _values, Degree);

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => LearnableActivationOp.Apply(input, Family, Degree, _params, _values, _grads);

    /// <inheritdoc/>
    protected override string ExtraRepr() => Family.Options.Count == 0 ? $"degree={Degree}" : $"degree={Degree}, {string.Join(", ", Family.Options.Select(o => o + "=True"))}";

    private sealed class LiveValues(Parameter[] ps) : IParameterSpans
    {
        public Span<float> this[int index] => ps[index].Data;
    }

    // The gradient buffer of each parameter, or, when it is frozen, a reused throw-away buffer (the fused pass
    // computes every parameter gradient).
    private sealed class LiveGradients(LearnableActivation m) : IParameterSpans
    {
        public Span<float> this[int index]
        {
            get
            {
                var p = m._params[index];
                return p.RequiresGrad ? p.GradSpan() : (m._frozenScratch[index] ??= new float[p.Length]);
            }
        }
    }
}
