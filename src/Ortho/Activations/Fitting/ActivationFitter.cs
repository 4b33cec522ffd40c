using System.Collections.Concurrent;
using System.Diagnostics;

namespace Ortho.Activations;

/// <summary>
/// Fits a learnable activation to a classical one by matching the function and its derivative:
/// minimize sum_i w_i [(f(x_i) - g(x_i))^2 + (f'(x_i) - g'(x_i))^2] on an equally spaced grid of [Lo, Hi]. The
/// algorithm is the kind's own (<see cref="ActivationFamily.Fit"/>: Hermite and Fourier least squares, tropical Lloyd
/// iterations, tropical rational least squares plus Adam); this class validates, caches and reports.
/// </summary>
/// <remarks>
/// Fits are cached by (kind, degree, target cache key, every option); targets without a cache key (user functions not
/// given one) are never cached.
/// </remarks>
public static class ActivationFitter
{
    private static readonly ConcurrentDictionary<(ActivationFamily Family, int Degree, string Target, FitOptions Options), ActivationFit> Cache = new();

    /// <summary>Number of cached fits.</summary>
    public static int CacheCount => Cache.Count;

    /// <summary>Forgets all cached fits.</summary>
    public static void ClearCache() => Cache.Clear();

    /// <summary>Fits an activation of the given kind and degree to <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Degree outside the kind's range, or inconsistent options.</exception>
    /// <exception cref="NotSupportedException">The kind has no fitting algorithm.</exception>
    public static ActivationFit Fit(ActivationFamily family, int degree, FitTarget target, FitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(target);
        family.ValidateDegree(degree);
        options ??= new FitOptions();
        options.Validate();
        if (target.CacheKey is { } key && Cache.TryGetValue((family, degree, key, options), out var hit))
            return hit with { Parameters = hit.Parameters.Clone(), FromCache = true };

        var fit = FitOn(family, degree, target, new FitGrid(target, options), options, Stopwatch.StartNew());
        if (target.CacheKey is { } k2) Cache.TryAdd((family, degree, k2, options), fit with { Parameters = fit.Parameters.Clone() });
        return fit;
    }

    /// <summary>
    /// Fits on a grid of one's own (points and weights, e.g. a layer's measured input histogram); never cached. The
    /// options' range becomes the grid's (first to last point): what the report covers and Fourier's period search spans.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Degree outside the kind's range, or inconsistent options.</exception>
    /// <exception cref="NotSupportedException">The kind has no fitting algorithm.</exception>
    public static ActivationFit Fit(ActivationFamily family, int degree, FitTarget target, FitGrid grid, FitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(grid);
        family.ValidateDegree(degree);
        options = (options ?? new FitOptions()) with { Lo = grid.X[0], Hi = grid.X[^1] };
        options.Validate();
        return FitOn(family, degree, target, grid, options, Stopwatch.StartNew());
    }

    private static ActivationFit FitOn(ActivationFamily family, int degree, FitTarget target, FitGrid grid, FitOptions options, Stopwatch sw)
    {
        var p = family.Fit(degree, grid, options);
        if (!p.Family.Equals(family) || p.Degree != degree)
            throw new InvalidOperationException($"{family.Name}:{degree} fit returned {p.Kind}:{p.Degree} parameters.");
        double objective = grid.Objective(p);
        sw.Stop();
        return new ActivationFit(p, target, options, Report(p, target, options, objective, sw.Elapsed), FromCache: false);
    }

    /// <summary>Fits to a user function with its derivative; cached only under <paramref name="cacheKey"/> when given.</summary>
    public static ActivationFit Fit(ActivationFamily family, int degree, Func<double, double> function, Func<double, double> derivative,
        FitOptions? options = null, string? cacheKey = null) =>
        Fit(family, degree, FitTarget.Custom("user", function, derivative, cacheKey), options);

    private static FitReport Report(ActivationParameters p, FitTarget target, FitOptions o, double objective, TimeSpan elapsed)
    {
        int m = o.ReportGridSize;
        double maxE = 0, sumE = 0, maxD = 0, sumD = 0, maxKE = 0, maxKD = 0;
        var xf = new float[m];
        for (int i = 0; i < m; i++)
        {
            double x = o.Lo + (o.Hi - o.Lo) * i / (m - 1);
            xf[i] = (float)x;
            double f = ActivationKernels.Evaluate(p, x, out double d);
            double e = f - target.Function(x), de = d - target.Derivative(x);
            maxE = Math.Max(maxE, Math.Abs(e));
            maxD = Math.Max(maxD, Math.Abs(de));
            sumE += e * e;
            sumD += de * de;
        }
        // The float kernels on the same points (rounded to float): forward, and backward with dy = 1 giving f'.
        var y = new float[m];
        var dx = new float[m];
        var ones = new float[m];
        Array.Fill(ones, 1f);
        ActivationKernels.Forward(p, y, xf);
        ActivationKernels.Backward(p, new ActivationParameters(p.Family, p.Degree), dx, xf, ones);
        for (int i = 0; i < m; i++)
        {
            maxKE = Math.Max(maxKE, Math.Abs(y[i] - target.Function(xf[i])));
            maxKD = Math.Max(maxKD, Math.Abs(dx[i] - target.Derivative(xf[i])));
        }
        return new FitReport(maxE, Math.Sqrt(sumE / m), maxD, Math.Sqrt(sumD / m), maxKE, maxKD, objective, m, elapsed);
    }
}
