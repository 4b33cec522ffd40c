using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// Base of the learnable activations: an elementwise map with a small set of parameters shared by all elements,
/// applied to tensors of any shape, with torchortho's parameter names and initialization. The forward saves only x;
/// the backward is one fused pass computing dx and every parameter gradient.
/// </summary>
public abstract class LearnableActivation : UnaryModule
{
    /// <summary>Registers the kind's parameters with their initial values (<see cref="ActivationInit"/>).</summary>
    protected LearnableActivation(ActivationKind kind, int degree, Rng? rng)
    {
        ActivationInfo.ValidateDegree(kind, degree);
        ActivationKind = kind;
        Degree = degree;
        var init = ActivationInit.Create(kind, degree, rng ?? (kind == ActivationKind.TropicalRational ? Rng.Default : null));
        foreach (var name in init.Names) RegisterParameter(name, new Parameter(init[name]));
    }

    /// <summary>The kind.</summary>
    public ActivationKind ActivationKind { get; }

    /// <summary>The degree n.</summary>
    public int Degree { get; }

    /// <summary>The kind in the activation-spec format ("hermite", "fourier", ...).</summary>
    public string Kind => ActivationInfo.Name(ActivationKind);

    /// <summary>This activation's spec, e.g. "hermite:3".</summary>
    public ActivationSpec Spec => new(Kind, Degree);

    /// <summary>The parameter named <paramref name="name"/> (torchortho's name).</summary>
    protected Parameter Param(string name) => NamedParameters().First(p => p.Name == name).Parameter;

    /// <summary>Freezes (no gradient) or unfreezes every parameter.</summary>
    public virtual void Freeze(bool frozen = true)
    {
        foreach (var p in Parameters()) p.RequiresGrad = !frozen;
    }

    /// <summary>A copy of the current parameter values.</summary>
    public ActivationParameters Snapshot()
    {
        var s = new ActivationParameters(ActivationKind, Degree);
        foreach (var (name, p) in NamedParameters()) p.Data.CopyTo(s[name]);
        return s;
    }

    /// <summary>Sets the parameters (e.g. from a fit); kind and degree must match.</summary>
    public void Load(ActivationParameters values)
    {
        if (values.Kind != ActivationKind || values.Degree != Degree)
            throw new ArgumentException($"Cannot load {ActivationInfo.Name(values.Kind)}:{values.Degree} parameters into {Spec}.");
        foreach (var (name, p) in NamedParameters()) values[name].CopyTo(p.Data);
    }

    /// <summary>
    /// Fits this activation to <paramref name="target"/> (e.g. <see cref="FitTarget.GeluErf"/>) by matching f and f' on the
    /// options' range, loads the fitted values, and returns the fit with its error report: the way to swap a pretrained
    /// model's activation for a learnable one before fine-tuning.
    /// </summary>
    public ActivationFit FitTo(FitTarget target, FitOptions? options = null)
    {
        var fit = ActivationFitter.Fit(ActivationKind, Degree, target, options);
        Load(fit.Parameters);
        return fit;
    }

    /// <summary>E[f], E[f^2], E[f'^2] and the forward/backward gains under x ~ N(0, sigma^2) at the current values.</summary>
    public MomentsResult Moments(double sigma = 1) => ActivationMoments.Of(Snapshot(), sigma);

    /// <summary>f(x) and f'(x) in double precision at the current parameter values (for moments, fitting, plots).</summary>
    public abstract double Evaluate(double x, out double derivative);

    /// <summary>Evaluates the activation on a span without recording autograd (forward kernel only).</summary>
    public abstract void Apply(ReadOnlySpan<float> x, Span<float> y);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"degree={Degree}";

    private readonly Dictionary<Tensor, float[]> _frozenScratch = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// The gradient buffer of a parameter, or, when it is frozen, a reused throw-away buffer (the fused pass computes
    /// every parameter gradient).
    /// </summary>
    protected Span<float> GradOrEmpty(Tensor p)
    {
        if (p.RequiresGrad) return p.GradSpan();
        if (!_frozenScratch.TryGetValue(p, out var s)) _frozenScratch[p] = s = new float[p.Length];
        return s;
    }

    /// <summary>The gradient buffer of the input, or an empty span when no gradient flows to it.</summary>
    protected static Span<float> InputGrad(Tensor x) => x.GradSpanIfRequired();
}
