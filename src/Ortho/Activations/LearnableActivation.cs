using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// Base of the learnable activations: an elementwise map with a small set of parameters shared by all elements,
/// applied to tensors of any shape. The forward saves only x; the backward is one fused pass computing dx and
/// every parameter gradient.
/// </summary>
public abstract class LearnableActivation : UnaryModule
{
    /// <summary>Sets up the degree after validating it.</summary>
    protected LearnableActivation(int degree) { Degree = degree; }

    /// <summary>The degree n.</summary>
    public int Degree { get; }

    /// <summary>The kind in the activation-spec format ("hermite", "fourier", ...).</summary>
    public abstract string Kind { get; }

    /// <summary>This activation's spec, e.g. "hermite:3".</summary>
    public ActivationSpec Spec => new(Kind, Degree);

    /// <summary>Freezes (no gradient) or unfreezes every parameter.</summary>
    public virtual void Freeze(bool frozen = true)
    {
        foreach (var p in Parameters()) p.RequiresGrad = !frozen;
    }

    /// <summary>f(x) and f'(x) in double precision at the current parameter values (for moments, fitting, plots).</summary>
    public abstract double Evaluate(double x, out double derivative);

    /// <summary>Evaluates the activation on a span without recording autograd (forward kernel only).</summary>
    public abstract void Apply(ReadOnlySpan<float> x, Span<float> y);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"degree={Degree}";

    /// <summary>The gradient buffer of a parameter, or a throw-away buffer when it is frozen (the fused pass computes all).</summary>
    protected static Span<float> GradOrEmpty(Tensor p) => p.RequiresGrad ? p.GradSpan() : new float[p.Length];

    /// <summary>The gradient buffer of the input, or an empty span when no gradient flows to it.</summary>
    protected static Span<float> InputGrad(Tensor x) => x.RequiresGrad ? x.GradSpan() : default;
}
