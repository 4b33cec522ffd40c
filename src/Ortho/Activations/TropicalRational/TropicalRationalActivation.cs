using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// Tropical rational function f(x) = max_k (p_k x + a_k) - max_k (q_k x + b_k), k = 0..n, with all four sets learnable:
/// <c>powers_num</c> p, <c>powers_denom</c> q, <c>coefficients_num</c> a, <c>coefficients_denom</c> b, drawn from N(0, 1)
/// as torchortho does. Non-convex; gradients go to the first winning term of each max. See <see cref="TropicalRationalFamily"/>.
/// </summary>
public sealed class TropicalRationalActivation : LearnableActivation
{
    /// <summary>Smallest supported degree.</summary>
    public const int MinDegree = TropicalRationalKernels.MinDegree;

    /// <summary>Largest supported degree.</summary>
    public const int MaxDegree = TropicalRationalKernels.MaxDegree;

    /// <summary>Creates the activation with N(0, 1) parameters from <paramref name="rng"/> (default <see cref="Rng.Default"/>).</summary>
    public TropicalRationalActivation(int degree, Rng? rng = null, bool frozen = false) : base(TropicalRationalFamily.Instance, degree, rng, frozen)
    {
        PowersNum = Param(ActivationParameterNames.TropicalRational.PowersNum);
        PowersDenom = Param(ActivationParameterNames.TropicalRational.PowersDenom);
        CoefficientsNum = Param(ActivationParameterNames.TropicalRational.CoefficientsNum);
        CoefficientsDenom = Param(ActivationParameterNames.TropicalRational.CoefficientsDenom);
    }

    /// <summary>Numerator slopes p.</summary>
    public Parameter PowersNum { get; }

    /// <summary>Denominator slopes q.</summary>
    public Parameter PowersDenom { get; }

    /// <summary>Numerator intercepts a.</summary>
    public Parameter CoefficientsNum { get; }

    /// <summary>Denominator intercepts b.</summary>
    public Parameter CoefficientsDenom { get; }

    /// <summary>Throws unless <see cref="MinDegree"/> &lt;= degree &lt;= <see cref="MaxDegree"/>.</summary>
    public static void ValidateDegree(int degree) => TropicalRationalKernels.ValidateDegree(degree);
}
