using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// Tropical (max-plus) polynomial f(x) = (sqrt(2)/n) max_{k=0..n} (k x + a_k) with fixed slopes 0..n and learnable
/// <c>coefficients</c> a (init 1), so f = sqrt(2)/n + sqrt(2) ReLU(x) at init. The gradient goes to the first winning
/// term on ties (as PyTorch's max). The slopes are the int64 buffer <c>powers</c>, as in torchortho.
/// </summary>
public sealed class TropicalActivation : LearnableActivation
{
    /// <summary>Smallest supported degree.</summary>
    public const int MinDegree = TropicalKernels.MinDegree;

    /// <summary>Largest supported degree.</summary>
    public const int MaxDegree = TropicalKernels.MaxDegree;

    /// <summary>Creates the activation with torchortho's initialization.</summary>
    public TropicalActivation(int degree, bool frozen = false) : base(ActivationKind.Tropical, degree, null)
    {
        Coefficients = Param(ActivationParameterNames.Tropical.Coefficients);
        var powers = Tensor.Unscoped([degree + 1]);
        var slopes = ActivationInit.TropicalPowers(degree);
        for (int k = 0; k <= degree; k++) powers.Data[k] = slopes[k];
        RegisterBuffer(ActivationParameterNames.Tropical.Powers, powers, dtype: "I64");
        if (frozen) Freeze();
    }

    /// <summary>The intercepts a_0..a_n.</summary>
    public Parameter Coefficients { get; }

    /// <summary>Throws unless <see cref="MinDegree"/> &lt;= degree &lt;= <see cref="MaxDegree"/>.</summary>
    public static void ValidateDegree(int degree) => TropicalKernels.ValidateDegree(degree);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = Tensor.Empty(input.Shape);
        TropicalKernels.Forward(y.Data, input.Data, Coefficients.Data, Degree);
        return Tensor.Record(y, "tropical", [input, Coefficients], g => TropicalKernels.Backward(
            InputGrad(input), GradOrEmpty(Coefficients), input.Data, g.Data, Coefficients.Data, Degree,
            needDx: input.RequiresGrad, accumulateDx: true));
    }

    /// <inheritdoc/>
    public override void Apply(ReadOnlySpan<float> x, Span<float> y) => TropicalKernels.Forward(y, x, Coefficients.Data, Degree);

    /// <inheritdoc/>
    public override double Evaluate(double x, out double derivative) => TropicalKernels.Evaluate(x, Coefficients.Data, Degree, out derivative);
}
