using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// f(x) = f0 + sum_{k=1..n} c_k cos(w_k x - p_k) / k!. Parameters (torchortho's names): <c>fundamental</c> f0 [1],
/// <c>coefficients</c> c [n], <c>phases</c> p [n], <c>grid</c> w [n] (the frequencies); constant buffer
/// <c>normalization_term</c> (1!, ..., n!) as torchortho stores it. Init: c_k = 1/sqrt(I0(2)),
/// p_k = pi/4, w_k = k, f0 = c sqrt(1 - 1/(n!)^2). While the frequencies are integer multiples of one base (always at
/// init; always with <c>frozenFrequencies</c>), the kernel uses the angle-addition recurrence (one sin/cos per element).
/// See <see cref="FourierFamily"/>.
/// </summary>
public sealed class FourierActivation : LearnableActivation
{
    /// <summary>Smallest supported degree.</summary>
    public const int MinDegree = FourierKernels.MinDegree;

    /// <summary>Largest supported degree (1/k! stays a normal float up to here).</summary>
    public const int MaxDegree = FourierKernels.MaxDegree;

    /// <summary>Creates the activation with torchortho's initialization.</summary>
    public FourierActivation(int degree, bool frozen = false, bool frozenFrequencies = false) : base(FourierFamily.Instance, degree, frozen: frozen)
    {
        Fundamental = Param(ActivationParameterNames.Fourier.Fundamental);
        Coefficients = Param(ActivationParameterNames.Fourier.Coefficients);
        Phases = Param(ActivationParameterNames.Fourier.Phases);
        Grid = Param(ActivationParameterNames.Fourier.Grid);
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
}
