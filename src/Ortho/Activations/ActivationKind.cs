namespace Ortho.Activations;

/// <summary>
/// The built-in learnable kinds, for naming them in code (test data, benchmarks). Each converts implicitly to its
/// <see cref="ActivationFamily"/>; the families in <see cref="ActivationRegistry"/> are the source of truth.
/// </summary>
public enum ActivationKind
{
    /// <summary>sum_k a_k He_k(x)/k! (<see cref="HermiteFamily"/>).</summary>
    Hermite,
    /// <summary>f0 + sum_k c_k cos(w_k x - p_k)/k! (<see cref="FourierFamily"/>).</summary>
    Fourier,
    /// <summary>(sqrt(2)/n) max_k (k x + a_k) (<see cref="TropicalFamily"/>).</summary>
    Tropical,
    /// <summary>max_k (p_k x + a_k) - max_k (q_k x + b_k) (<see cref="TropicalRationalFamily"/>).</summary>
    TropicalRational,
}

/// <summary>torchortho's parameter (and buffer) names: checkpoints use exactly these. Each kind's folder adds its class.</summary>
public static partial class ActivationParameterNames;
