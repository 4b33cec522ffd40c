using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// f(x) = f0 + sum_{k=1..n} c_k cos(w_k x - p_k) / k!. Parameters (torchortho's names): <c>fundamental</c> f0 [1],
/// <c>coefficients</c> c [n], <c>phases</c> p [n], <c>grid</c> w [n] (the frequencies); constant buffer
/// <c>normalization_term</c> (1!, ..., n!) as torchortho stores it. Init: c_k = 1/sqrt(I0(2)),
/// p_k = pi/4, w_k = k, f0 = c sqrt(1 - 1/(n!)^2). While the frequencies are integer multiples of one base (always at
/// init; always with <c>frozenFrequencies</c>), the kernel uses the angle-addition recurrence (one sin/cos per element).
/// </summary>
public sealed class FourierActivation : LearnableActivation
{
    /// <summary>Smallest supported degree.</summary>
    public const int MinDegree = FourierKernels.MinDegree;

    /// <summary>Largest supported degree (1/k! stays a normal float up to here).</summary>
    public const int MaxDegree = FourierKernels.MaxDegree;

    /// <summary>Creates the activation with torchortho's initialization.</summary>
    public FourierActivation(int degree, bool frozen = false, bool frozenFrequencies = false) : base(ActivationKind.Fourier, degree, null)
    {
        Fundamental = Param(ActivationParameterNames.Fourier.Fundamental);
        Coefficients = Param(ActivationParameterNames.Fourier.Coefficients);
        Phases = Param(ActivationParameterNames.Fourier.Phases);
        Grid = Param(ActivationParameterNames.Fourier.Grid);
        // torchortho keeps (1!, ..., n!) as a float32 buffer in every checkpoint; carried for strict keys both ways.
        var norm = Tensor.Unscoped([degree]);
        double f = 1;
        for (int k = 1; k <= degree; k++) norm.Data[k - 1] = (float)(f *= k);
        RegisterBuffer(ActivationParameterNames.Fourier.NormalizationTerm, norm);
        if (frozen) Freeze();
        if (frozenFrequencies) Grid.RequiresGrad = false;
    }

    /// <summary>f0.</summary>
    public Parameter Fundamental { get; }

    /// <summary>Amplitudes c_k.</summary>
    public Parameter Coefficients { get; }

    /// <summary>Phases p_k.</summary>
    public Parameter Phases { get; }

    /// <summary>Frequencies w_k.</summary>
    public Parameter Grid { get; }

    /// <summary>Whether the frequencies are frozen (no gradient).</summary>
    public bool FrequenciesFrozen => !Grid.RequiresGrad;

    /// <summary>Throws unless <see cref="MinDegree"/> &lt;= degree &lt;= <see cref="MaxDegree"/>.</summary>
    public static void ValidateDegree(int degree) => FourierKernels.ValidateDegree(degree);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = Tensor.Empty(input.Shape);
        FourierKernels.Forward(y.Data, input.Data, Fundamental.Data, Coefficients.Data, Phases.Data, Grid.Data, Degree);
        return Tensor.Record(y, "fourier", [input, Fundamental, Coefficients, Phases, Grid], g => FourierKernels.Backward(
            InputGrad(input), GradOrEmpty(Fundamental), GradOrEmpty(Coefficients), GradOrEmpty(Phases), GradOrEmpty(Grid),
            input.Data, g.Data, Fundamental.Data, Coefficients.Data, Phases.Data, Grid.Data, Degree,
            needDx: input.RequiresGrad, accumulateDx: true));
    }

    /// <inheritdoc/>
    public override void Apply(ReadOnlySpan<float> x, Span<float> y) =>
        FourierKernels.Forward(y, x, Fundamental.Data, Coefficients.Data, Phases.Data, Grid.Data, Degree);

    /// <inheritdoc/>
    public override double Evaluate(double x, out double derivative) =>
        FourierKernels.Evaluate(x, Fundamental.Data, Coefficients.Data, Phases.Data, Grid.Data, Degree, out derivative);
}
