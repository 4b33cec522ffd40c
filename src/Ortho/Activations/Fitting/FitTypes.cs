using System.Globalization;

namespace Ortho.Activations;

/// <summary>A function g (with its derivative g') to fit an activation to.</summary>
public sealed class FitTarget
{
    private FitTarget(string name, Func<double, double> function, Func<double, double> derivative, string? cacheKey)
    {
        Name = name;
        Function = function;
        Derivative = derivative;
        CacheKey = cacheKey;
    }

    /// <summary>Display name.</summary>
    public string Name { get; }

    /// <summary>g(x).</summary>
    public Func<double, double> Function { get; }

    /// <summary>g'(x).</summary>
    public Func<double, double> Derivative { get; }

    /// <summary>Identity of the target in the fit cache; null means fits to it are never cached.</summary>
    public string? CacheKey { get; }

    /// <summary>GELU, erf form (PyTorch's default).</summary>
    public static FitTarget GeluErf { get; } = Builtin("gelu", ClassicalActivations.GeluErf, ClassicalActivations.GeluErfDerivative);

    /// <summary>GELU, tanh approximation.</summary>
    public static FitTarget GeluTanh { get; } = Builtin("gelu_tanh", ClassicalActivations.GeluTanh, ClassicalActivations.GeluTanhDerivative);

    /// <summary>ReLU.</summary>
    public static FitTarget Relu { get; } = Builtin("relu", ClassicalActivations.Relu, ClassicalActivations.ReluDerivative);

    /// <summary>SiLU (swish).</summary>
    public static FitTarget Silu { get; } = Builtin("silu", ClassicalActivations.Silu, ClassicalActivations.SiluDerivative);

    /// <summary>tanh.</summary>
    public static FitTarget Tanh { get; } = Builtin("tanh", ClassicalActivations.Tanh, ClassicalActivations.TanhDerivative);

    /// <summary>Sigmoid.</summary>
    public static FitTarget Sigmoid { get; } = Builtin("sigmoid", ClassicalActivations.Sigmoid, ClassicalActivations.SigmoidDerivative);

    /// <summary>The built-in targets.</summary>
    public static IReadOnlyList<FitTarget> Builtins { get; } = [GeluErf, GeluTanh, Relu, Silu, Tanh, Sigmoid];

    /// <summary>
    /// A user function with its derivative. Fits to it are cached only under <paramref name="cacheKey"/> when one is
    /// given (the caller vouches that the key identifies the function); otherwise never.
    /// </summary>
    public static FitTarget Custom(string name, Func<double, double> function, Func<double, double> derivative, string? cacheKey = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(derivative);
        return new FitTarget(name, function, derivative, cacheKey == null ? null : "user:" + cacheKey);
    }

    /// <summary>A built-in target by name: gelu (or gelu_erf), gelu_tanh, relu, silu (or swish), tanh, sigmoid.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static FitTarget Parse(string name)
    {
        string n = name.Trim().ToLowerInvariant();
        if (n == "gelu_erf") n = "gelu";
        if (n == "swish") n = "silu";
        return Builtins.FirstOrDefault(t => t.Name == n)
            ?? throw new ArgumentException($"unknown fit target '{name}'; expected one of {string.Join(", ", Builtins.Select(t => t.Name))}.", nameof(name));
    }

    private static FitTarget Builtin(string name, Func<double, double> f, Func<double, double> d) => new(name, f, d, "builtin:" + name);

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>How the points of the fitting range are weighted.</summary>
public enum FitWeighting
{
    /// <summary>Every grid point counts the same.</summary>
    Uniform,
    /// <summary>Points weighted by the standard normal density N(0, 1) (where pre-activations live).</summary>
    Gaussian,
}

/// <summary>
/// Options of <see cref="ActivationFitter.Fit(ActivationFamily, int, FitTarget, FitOptions?)"/>. Immutable; all fields are part of the cache key (record equality).
/// </summary>
public sealed record FitOptions
{
    /// <summary>Left end of the range.</summary>
    public double Lo { get; init; } = -3;

    /// <summary>Right end of the range.</summary>
    public double Hi { get; init; } = 3;

    /// <summary>Point weighting of the objective.</summary>
    public FitWeighting Weighting { get; init; } = FitWeighting.Uniform;

    /// <summary>Number of equally spaced points of [Lo, Hi] in the objective sum_i w_i [(f-g)^2 + (f'-g')^2].</summary>
    public int GridSize { get; init; } = 2001;

    /// <summary>Number of equally spaced points on which the report's errors are measured.</summary>
    public int ReportGridSize { get; init; } = 10001;

    /// <summary>
    /// Hermite: weight of the ridge term ridge * sum_k a_k^2 / k! (= ridge * E[f^2] under N(0,1)) added to the objective.
    /// It only matters at high degree, where the unregularized solution has huge cancelling coefficients that float
    /// parameters cannot hold.
    /// </summary>
    public double HermiteRidge { get; init; } = 1e-12;

    /// <summary>Fourier: base frequency w0 of the harmonics w_k = k w0; null searches it (golden section).</summary>
    public double? FourierBaseFrequency { get; init; }

    /// <summary>
    /// Fourier: after the harmonic linear fit, refine all parameters (frequencies included) by Levenberg-Marquardt.
    /// Off by default: a harmonic grid keeps the fast kernel path.
    /// </summary>
    public bool RefineFrequencies { get; init; }

    /// <summary>Iterations of the tropical optimizers: at most this many Lloyd steps (tropical; stops at a fixed point),
    /// exactly this many Adam steps after the least-squares start (tropical rational).</summary>
    public int Iterations { get; init; } = 500;

    /// <summary>Throws if the options are inconsistent.</summary>
    public void Validate()
    {
        if (!(Hi > Lo) || !double.IsFinite(Lo) || !double.IsFinite(Hi))
            throw new ArgumentOutOfRangeException(nameof(Hi), $"fit range must satisfy finite Lo < Hi; got [{Lo}, {Hi}].");
        if (GridSize < 8) throw new ArgumentOutOfRangeException(nameof(GridSize), GridSize, "GridSize must be at least 8.");
        if (ReportGridSize < 2) throw new ArgumentOutOfRangeException(nameof(ReportGridSize), ReportGridSize, "ReportGridSize must be at least 2.");
        if (!(HermiteRidge >= 0) || double.IsInfinity(HermiteRidge))
            throw new ArgumentOutOfRangeException(nameof(HermiteRidge), HermiteRidge, "HermiteRidge must be non-negative and finite.");
        if (Iterations < 0) throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "Iterations must be non-negative.");
        if (FourierBaseFrequency is { } w && !(w > 0 && double.IsFinite(w)))
            throw new ArgumentOutOfRangeException(nameof(FourierBaseFrequency), w, "FourierBaseFrequency must be positive.");
    }
}

/// <summary>How well a fit matches its target on the report grid (unweighted, over [Lo, Hi]).</summary>
/// <param name="MaxError">max |f - g|, f evaluated in double from the (float) fitted parameters.</param>
/// <param name="RmsError">root mean square of f - g.</param>
/// <param name="MaxDerivativeError">max |f' - g'|.</param>
/// <param name="RmsDerivativeError">root mean square of f' - g'.</param>
/// <param name="MaxKernelError">max |f - g| with f computed by the float kernels (what a model gets; adds float rounding).</param>
/// <param name="MaxKernelDerivativeError">max |f' - g'| with f' from the float backward kernel (dx for dy = 1).</param>
/// <param name="Objective">The minimized objective sum_i w_i [(f-g)^2 + (f'-g')^2] on the fitting grid (weights sum to 1).</param>
/// <param name="Points">Number of report grid points.</param>
/// <param name="Elapsed">Time the fit took, report excluded (of the original computation when served from the cache).</param>
public sealed record FitReport(double MaxError, double RmsError, double MaxDerivativeError, double RmsDerivativeError,
    double MaxKernelError, double MaxKernelDerivativeError, double Objective, int Points, TimeSpan Elapsed)
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"max|f-g|={MaxError:E3} rms={RmsError:E3} max|f'-g'|={MaxDerivativeError:E3} rms'={RmsDerivativeError:E3} float kernels: {MaxKernelError:E3}, {MaxKernelDerivativeError:E3} ({Elapsed.TotalMilliseconds:F1} ms)");
}

/// <summary>A fitted activation: its parameters (the caller's own copy) and the report.</summary>
/// <param name="Parameters">Fitted parameter values (torchortho names).</param>
/// <param name="Target">What was fitted.</param>
/// <param name="Options">The options used.</param>
/// <param name="Report">Errors on the range.</param>
/// <param name="FromCache">True when an identical earlier fit was reused.</param>
public sealed record ActivationFit(ActivationParameters Parameters, FitTarget Target, FitOptions Options, FitReport Report, bool FromCache);
