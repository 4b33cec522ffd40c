namespace Ortho.Activations;

/// <summary>The learnable activation families.</summary>
public enum ActivationKind
{
    /// <summary>sum_k a_k He_k(x)/k! (<see cref="HermiteKernels"/>).</summary>
    Hermite,
    /// <summary>f0 + sum_k c_k cos(w_k x - p_k)/k! (<see cref="FourierKernels"/>).</summary>
    Fourier,
    /// <summary>(sqrt(2)/n) max_k (k x + a_k) (<see cref="TropicalKernels"/>).</summary>
    Tropical,
    /// <summary>max_k (p_k x + a_k) - max_k (q_k x + b_k) (<see cref="TropicalRationalKernels"/>).</summary>
    TropicalRational,
}

/// <summary>torchortho's parameter (and buffer) names: checkpoints use exactly these.</summary>
public static class ActivationParameterNames
{
    /// <summary>Hermite activation names.</summary>
    public static class Hermite
    {
        /// <summary>a_0..a_n (n + 1).</summary>
        public const string Coefficients = "coefficients";
    }

    /// <summary>Fourier activation names.</summary>
    public static class Fourier
    {
        /// <summary>f0 (1).</summary>
        public const string Fundamental = "fundamental";
        /// <summary>c_1..c_n.</summary>
        public const string Coefficients = "coefficients";
        /// <summary>p_1..p_n.</summary>
        public const string Phases = "phases";
        /// <summary>w_1..w_n (frequencies).</summary>
        public const string Grid = "grid";
        /// <summary>The constants (1!, ..., n!): a float32 buffer in torchortho checkpoints, not a parameter.</summary>
        public const string NormalizationTerm = "normalization_term";
    }

    /// <summary>Tropical polynomial activation names.</summary>
    public static class Tropical
    {
        /// <summary>a_0..a_n (n + 1).</summary>
        public const string Coefficients = "coefficients";
        /// <summary>The fixed slopes 0..n: an int64 buffer in torchortho checkpoints, not a parameter.</summary>
        public const string Powers = "powers";
    }

    /// <summary>Tropical rational activation names (in torchortho's order).</summary>
    public static class TropicalRational
    {
        /// <summary>Numerator slopes p (n + 1).</summary>
        public const string PowersNum = "powers_num";
        /// <summary>Denominator slopes q (n + 1).</summary>
        public const string PowersDenom = "powers_denom";
        /// <summary>Numerator intercepts a (n + 1).</summary>
        public const string CoefficientsNum = "coefficients_num";
        /// <summary>Denominator intercepts b (n + 1).</summary>
        public const string CoefficientsDenom = "coefficients_denom";
    }
}

/// <summary>Names, parameter layouts and degree ranges of the activation kinds.</summary>
public static class ActivationInfo
{
    /// <summary>The kind's name as torchortho fixtures spell it: hermite, fourier, tropical, tropical_rational.</summary>
    public static string Name(ActivationKind kind) => kind switch
    {
        ActivationKind.Hermite => "hermite",
        ActivationKind.Fourier => "fourier",
        ActivationKind.Tropical => "tropical",
        ActivationKind.TropicalRational => "tropical_rational",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation kind"),
    };

    /// <summary>Parses a name of <see cref="Name"/>; false if unknown.</summary>
    public static bool TryParse(string name, out ActivationKind kind)
    {
        foreach (var k in Enum.GetValues<ActivationKind>())
            if (string.Equals(Name(k), name, StringComparison.OrdinalIgnoreCase)) { kind = k; return true; }
        kind = default;
        return false;
    }

    /// <summary>The learnable parameters' names, in torchortho's order.</summary>
    public static IReadOnlyList<string> ParameterNames(ActivationKind kind) => kind switch
    {
        ActivationKind.Hermite => [ActivationParameterNames.Hermite.Coefficients],
        ActivationKind.Fourier =>
        [
            ActivationParameterNames.Fourier.Fundamental, ActivationParameterNames.Fourier.Coefficients,
            ActivationParameterNames.Fourier.Phases, ActivationParameterNames.Fourier.Grid,
        ],
        ActivationKind.Tropical => [ActivationParameterNames.Tropical.Coefficients],
        ActivationKind.TropicalRational =>
        [
            ActivationParameterNames.TropicalRational.PowersNum, ActivationParameterNames.TropicalRational.PowersDenom,
            ActivationParameterNames.TropicalRational.CoefficientsNum, ActivationParameterNames.TropicalRational.CoefficientsDenom,
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation kind"),
    };

    /// <summary>Number of values of parameter <paramref name="name"/> at this degree.</summary>
    /// <exception cref="ArgumentException">The kind has no parameter of that name.</exception>
    public static int ParameterLength(ActivationKind kind, string name, int degree)
    {
        if (!ParameterNames(kind).Contains(name)) throw new ArgumentException($"{Name(kind)} has no parameter '{name}'.", nameof(name));
        if (kind == ActivationKind.Fourier) return name == ActivationParameterNames.Fourier.Fundamental ? 1 : degree;
        return degree + 1;
    }

    /// <summary>The supported degree range [Min, Max].</summary>
    public static (int Min, int Max) DegreeRange(ActivationKind kind) => kind switch
    {
        ActivationKind.Hermite => (HermiteKernels.MinDegree, HermiteKernels.MaxDegree),
        ActivationKind.Fourier => (FourierKernels.MinDegree, FourierKernels.MaxDegree),
        ActivationKind.Tropical => (TropicalKernels.MinDegree, TropicalKernels.MaxDegree),
        ActivationKind.TropicalRational => (TropicalRationalKernels.MinDegree, TropicalRationalKernels.MaxDegree),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation kind"),
    };

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> (stating the valid range) for an unsupported degree.</summary>
    public static void ValidateDegree(ActivationKind kind, int degree)
    {
        var (min, max) = DegreeRange(kind);
        ActivationChecks.CheckDegree(degree, min, max, Name(kind));
    }
}
