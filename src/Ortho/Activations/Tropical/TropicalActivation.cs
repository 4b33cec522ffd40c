using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// Tropical (max-plus) polynomial f(x) = (sqrt(2)/n) max_{k=0..n} (k x + a_k) with fixed slopes 0..n and learnable
/// <c>coefficients</c> a (init 1), so f = sqrt(2)/n + sqrt(2) ReLU(x) at init. The gradient goes to the first winning
/// term on ties (as PyTorch's max). The slopes are the int64 buffer <c>powers</c>, as in torchortho. See
/// <see cref="TropicalFamily"/>.
/// </summary>
public sealed class TropicalActivation : LearnableActivation
{
    /// <summary>Smallest supported degree.</summary>
    public const int MinDegree = TropicalKernels.MinDegree;

    /// <summary>Largest supported degree.</summary>
    public const int MaxDegree = TropicalKernels.MaxDegree;

    /// <summary>Creates the activation with torchortho's initialization.</summary>
    public TropicalActivation(int degree, bool frozen = false) : base(TropicalFamily.Instance, degree, frozen: frozen) =>
        Coefficients = Param(ActivationParameterNames.Tropical.Coefficients);

    /// <summary>The intercepts a_0..a_n.</summary>
    public Parameter Coefficients { get; }

    /// <summary>Throws unless <see cref="MinDegree"/> &lt;= degree &lt;= <see cref="MaxDegree"/>.</summary>
    public static void ValidateDegree(int degree) => TropicalKernels.ValidateDegree(degree);
}
