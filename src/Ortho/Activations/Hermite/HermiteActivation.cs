using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// f(x) = sum_{k=0..n} a_k He_k(x) / k! (probabilists' Hermite polynomials), evaluated by the three-term recurrence.
/// Parameter <c>coefficients</c> (n+1), initialized variance-preserving: a_0 = e^-1/2 sqrt(1 - 1/n!), a_k = e^-1/2.
/// Also carries torchortho's constant buffers <c>coeffs</c> and <c>grid</c> (monomial coefficients and powers of
/// He_k/k!) so checkpoints load into the PyTorch peer with strict keys, and accepts the optional buffer
/// <c>normalization_term</c> (0!, ..., n!) that torchortho adds with <c>use_numba=True</c>. With <c>clamp</c>
/// (torchortho's <c>clamp=True</c>), x first goes through the learnable soft clamp s = (sigmoid(x) - 1/2) 2L, L =
/// <c>clamp.lim_val</c> (init sqrt(3)). See <see cref="HermiteFamily"/>.
/// </summary>
public sealed class HermiteActivation : LearnableActivation
{
    /// <summary>Smallest supported degree.</summary>
    public const int MinDegree = HermiteKernels.MinDegree;

    /// <summary>Largest supported degree (float recurrence stays accurate to this degree).</summary>
    public const int MaxDegree = HermiteKernels.MaxDegree;

    /// <summary>Creates the activation with torchortho's initialization.</summary>
    /// <param name="degree">n.</param>
    /// <param name="frozen">True freezes every parameter.</param>
    /// <param name="clamp">Adds torchortho's learnable soft clamp in front of the basis (spec "hermite:n+clamp").</param>
    public HermiteActivation(int degree, bool frozen = false, bool clamp = false)
        : base(clamp ? HermiteFamily.Clamped : HermiteFamily.Instance, degree, frozen: frozen)
    {
        Coefficients = Param(ActivationParameterNames.Hermite.Coefficients);
        Clamp = FindSubmodule("clamp") as LearnableClamp;
    }

    /// <summary>The coefficients a_0..a_n.</summary>
    public Parameter Coefficients { get; }

    /// <summary>The soft clamp applied to x before the basis (submodule <c>clamp</c>), or null without the clamp option.</summary>
    public LearnableClamp? Clamp { get; }

    /// <summary>Whether x is clamped first.</summary>
    public bool IsClamped => Clamp != null;

    /// <summary>The clamp's L (<c>clamp.lim_val</c>, a 0-dim parameter), or null without the clamp option.</summary>
    public Parameter? ClampLimit => Clamp?.LimVal;

    /// <summary>
    /// Whether the state dict holds torchortho's optional <c>normalization_term</c> (0!, ..., n!): true after loading a
    /// state dict that has it (a torchortho model built with <c>use_numba=True</c>), so it is written back; false for a
    /// fresh module. Setting it true adds the exact factorials.
    /// </summary>
    public bool HasNormalizationTerm
    {
        get => StateDict().ContainsKey(ActivationParameterNames.Hermite.NormalizationTerm);
        set => SetOptionalBuffer(ActivationParameterNames.Hermite.NormalizationTerm, value);
    }

    /// <summary>Throws unless <see cref="MinDegree"/> &lt;= degree &lt;= <see cref="MaxDegree"/>.</summary>
    public static void ValidateDegree(int degree) => HermiteKernels.ValidateDegree(degree);
}

/// <summary>
/// torchortho's learnable soft clamp of a Hermite activation (its submodule <c>clamp</c>): s = (sigmoid(x) - 1/2) 2L with
/// the 0-dim parameter <c>lim_val</c> = L. The activation's Hermite kernels apply it in their row loops (<see cref="HermiteKernels.ForwardClamped"/>).
/// </summary>
public sealed class LearnableClamp : ActivationSubmodule
{
    internal LearnableClamp() { }

    /// <summary>L (key <c>clamp.lim_val</c>, shape []): s ranges over (-L, L).</summary>
    public Parameter LimVal => Get("lim_val");
}
