using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// f(x) = sum_{k=0..n} a_k He_k(x) / k! (probabilists' Hermite polynomials), evaluated by the three-term recurrence.
/// Parameter <c>coefficients</c> (n+1), initialized variance-preserving: a_0 = e^-1/2 sqrt(1 - 1/n!), a_k = e^-1/2.
/// Also carries torchortho's constant buffers <c>coeffs</c> and <c>grid</c> (monomial coefficients and powers of
/// He_k/k!) so checkpoints load into the PyTorch peer with strict keys. See <see cref="HermiteFamily"/>.
/// </summary>
public sealed class HermiteActivation : LearnableActivation
{
    /// <summary>Smallest supported degree.</summary>
    public const int MinDegree = HermiteKernels.MinDegree;

    /// <summary>Largest supported degree (float recurrence stays accurate to this degree).</summary>
    public const int MaxDegree = HermiteKernels.MaxDegree;

    /// <summary>Creates the activation with torchortho's initialization.</summary>
    public HermiteActivation(int degree, bool frozen = false) : base(HermiteFamily.Instance, degree, frozen: frozen) =>
        Coefficients = Param(ActivationParameterNames.Hermite.Coefficients);

    /// <summary>The coefficients a_0..a_n.</summary>
    public Parameter Coefficients { get; }

    /// <summary>Throws unless <see cref="MinDegree"/> &lt;= degree &lt;= <see cref="MaxDegree"/>.</summary>
    public static void ValidateDegree(int degree) => HermiteKernels.ValidateDegree(degree);
}
