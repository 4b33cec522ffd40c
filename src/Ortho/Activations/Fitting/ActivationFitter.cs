using System.Collections.Concurrent;
using System.Diagnostics;

namespace Ortho.Activations;

/// <summary>
/// Fits a learnable activation to a classical one by matching the function and its derivative (as the paper does):
/// minimize sum_i w_i [(f(x_i) - g(x_i))^2 + (f'(x_i) - g'(x_i))^2] on an equally spaced grid of [Lo, Hi].
/// </summary>
/// <remarks>
/// <para><b>Hermite</b>: linear least squares in the coefficients, solved by Householder QR in double.</para>
/// <para><b>Fourier</b>: with harmonic frequencies w_k = k w0 the problem is linear in (c_k cos p_k, c_k sin p_k)/k!
/// and f0; w0 is chosen by a scan plus golden-section search of the least-squares residual (or given), then
/// converted to amplitude/phase. Optionally all parameters are refined by Levenberg-Marquardt.</para>
/// <para><b>Tropical</b>: lines tangent from below to g, shifted by the best constant, then Lloyd iterations (each
/// active line's intercept set to the weighted mean residual of the points it wins).</para>
/// <para><b>Tropical rational</b>: a continuous piecewise-linear least-squares fit with kinks placed where |g''| is
/// large (up to n convex and n concave kinks), split exactly into numerator (convex kinks) minus denominator (concave
/// kinks) maxima; then a fixed number of full-batch Adam steps that also move the kinks, keeping the best iterate.
/// Deterministic.</para>
/// <para>Fits are cached by (kind, degree, target cache key, every option); targets without a cache key (user functions
/// not given one) are never cached.</para>
/// </remarks>
public static class ActivationFitter
{
    private static readonly ConcurrentDictionary<(ActivationKind Kind, int Degree, string Target, FitOptions Options), ActivationFit> Cache = new();

    /// <summary>Number of cached fits.</summary>
    public static int CacheCount => Cache.Count;

    /// <summary>Forgets all cached fits.</summary>
    public static void ClearCache() => Cache.Clear();

    /// <summary>Fits an activation of the given kind and degree to <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Degree outside the kind's range, or inconsistent options.</exception>
    public static ActivationFit Fit(ActivationKind kind, int degree, FitTarget target, FitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ActivationInfo.ValidateDegree(kind, degree);
        options ??= new FitOptions();
        options.Validate();
        if (target.CacheKey is { } key && Cache.TryGetValue((kind, degree, key, options), out var hit))
            return hit with { Parameters = hit.Parameters.Clone(), FromCache = true };

        var sw = Stopwatch.StartNew();
        var grid = new FitGrid(target, options);
        var p = kind switch
        {
            ActivationKind.Hermite => FitHermite(degree, grid, options.HermiteRidge),
            ActivationKind.Fourier => FitFourier(degree, grid, options),
            ActivationKind.Tropical => FitTropical(degree, grid, options.Iterations),
            _ => FitTropicalRational(degree, grid, options.Iterations),
        };
        double objective = grid.Objective(p);
        sw.Stop();
        var fit = new ActivationFit(p, target, options, Report(p, target, options, objective, sw.Elapsed), FromCache: false);
        if (target.CacheKey is { } k2) Cache.TryAdd((kind, degree, k2, options), fit with { Parameters = p.Clone() });
        return fit;
    }

    /// <summary>Fits to a user function with its derivative; cached only under <paramref name="cacheKey"/> when given.</summary>
    public static ActivationFit Fit(ActivationKind kind, int degree, Func<double, double> function, Func<double, double> derivative,
        FitOptions? options = null, string? cacheKey = null) =>
        Fit(kind, degree, FitTarget.Custom("user", function, derivative, cacheKey), options);

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
        ActivationKernels.Backward(p, new ActivationParameters(p.Kind, p.Degree), dx, xf, ones);
        for (int i = 0; i < m; i++)
        {
            maxKE = Math.Max(maxKE, Math.Abs(y[i] - target.Function(xf[i])));
            maxKD = Math.Max(maxKD, Math.Abs(dx[i] - target.Derivative(xf[i])));
        }
        return new FitReport(maxE, Math.Sqrt(sumE / m), maxD, Math.Sqrt(sumD / m), maxKE, maxKD, objective, m, elapsed);
    }

    /// <summary>The fitting grid: points, normalized weights, target values and derivatives.</summary>
    internal sealed class FitGrid
    {
        public readonly double[] X, W, SqrtW, G, Dg;

        public FitGrid(FitTarget target, FitOptions o) : this(target, o.Lo, o.Hi, o.GridSize, o.Weighting) { }

        public FitGrid(FitTarget target, double lo, double hi, int size, FitWeighting weighting)
        {
            X = new double[size]; W = new double[size]; SqrtW = new double[size]; G = new double[size]; Dg = new double[size];
            double total = 0;
            for (int i = 0; i < size; i++)
            {
                X[i] = lo + (hi - lo) * i / (size - 1);
                W[i] = weighting == FitWeighting.Gaussian ? SpecialFunctions.NormalPdf(X[i]) : 1;
                total += W[i];
                G[i] = target.Function(X[i]);
                Dg[i] = target.Derivative(X[i]);
                if (!double.IsFinite(G[i]) || !double.IsFinite(Dg[i]))
                    throw new ArgumentException($"fit target {target.Name} is not finite at x = {X[i]}.", nameof(target));
            }
            for (int i = 0; i < size; i++) { W[i] /= total; SqrtW[i] = Math.Sqrt(W[i]); }
        }

        public FitGrid(double[] x, double[] w, double[] g, double[] dg)
        {
            X = x; G = g; Dg = dg;
            double total = w.Sum();
            W = w.Select(v => v / total).ToArray();
            SqrtW = W.Select(Math.Sqrt).ToArray();
        }

        public int Count => X.Length;

        public double Objective(ActivationParameters p)
        {
            double s = 0;
            for (int i = 0; i < X.Length; i++)
            {
                double f = ActivationKernels.Evaluate(p, X[i], out double d);
                s += W[i] * ((f - G[i]) * (f - G[i]) + (d - Dg[i]) * (d - Dg[i]));
            }
            return s;
        }
    }

    // ---------------------------------------------------------------- Hermite

    internal static ActivationParameters FitHermite(int n, FitGrid grid, double ridge)
    {
        int m = grid.Count, rows = 2 * m + n + 1, cols = n + 1;
        var a = new double[rows * cols];
        var b = new double[rows];
        Span<double> phi = stackalloc double[n + 1];
        for (int i = 0; i < m; i++)
        {
            HermiteKernels.Basis(grid.X[i], phi);
            double sw = grid.SqrtW[i];
            for (int k = 0; k <= n; k++)
            {
                a[k * rows + i] = sw * phi[k];                               // f  = sum a_k phi_k
                a[k * rows + m + i] = k == 0 ? 0 : sw * phi[k - 1];          // f' = sum a_k phi_{k-1}
            }
            b[i] = sw * grid.G[i];
            b[m + i] = sw * grid.Dg[i];
        }
        // Ridge rows: ridge * sum_k a_k^2 / k! = ridge * E_{N(0,1)}[f^2] keeps high-degree coefficients from growing
        // like k! with cancelling signs, which float parameters could not represent.
        double invFact = 1;
        for (int k = 0; k <= n; k++)
        {
            if (k > 0) invFact /= k;
            a[k * rows + 2 * m + k] = Math.Sqrt(ridge * invFact);
        }
        var x = LeastSquares.Solve(a, b, rows, cols);
        var p = new ActivationParameters(ActivationKind.Hermite, n);
        var c = p[ActivationParameterNames.Hermite.Coefficients];
        for (int k = 0; k <= n; k++) c[k] = (float)x[k];
        return p;
    }

    // ---------------------------------------------------------------- Fourier

    internal static ActivationParameters FitFourier(int n, FitGrid grid, FitOptions o)
    {
        double w0;
        if (o.FourierBaseFrequency is { } given) w0 = given;
        else
        {
            // Search the period P = L (Hi - Lo) of the harmonics: scan L on a coarse grid, then golden section.
            var coarse = grid.Count > 401 ? Subsample(grid, 401) : grid;
            double span = o.Hi - o.Lo;
            double Residual(double l) => SolveHarmonic(n, coarse, 2 * Math.PI / (l * span), out _);
            const int scan = 28;
            double lMin = 0.75, lMax = 8.0, best = double.PositiveInfinity;
            int bestJ = 0;
            var ls = new double[scan];
            for (int j = 0; j < scan; j++)
            {
                ls[j] = lMin * Math.Pow(lMax / lMin, j / (double)(scan - 1));
                double r = Residual(ls[j]);
                if (r < best) { best = r; bestJ = j; }
            }
            double lo = ls[Math.Max(0, bestJ - 1)], hi = ls[Math.Min(scan - 1, bestJ + 1)];
            double phiG = (Math.Sqrt(5) - 1) / 2;
            double c = hi - phiG * (hi - lo), d = lo + phiG * (hi - lo), rc = Residual(c), rd = Residual(d);
            for (int it = 0; it < 30; it++)
            {
                if (rc < rd) { hi = d; d = c; rd = rc; c = hi - phiG * (hi - lo); rc = Residual(c); }
                else { lo = c; c = d; rc = rd; d = lo + phiG * (hi - lo); rd = Residual(d); }
            }
            double lBest = rc < rd ? c : d, rBest = Math.Min(rc, rd);
            w0 = 2 * Math.PI / ((rBest <= best ? lBest : ls[bestJ]) * span);
        }

        // Frequencies as the floats the kernels will see (grid[k] == (k+1) * grid[0] exactly: harmonic path).
        var p = new ActivationParameters(ActivationKind.Fourier, n);
        var wf = p[ActivationParameterNames.Fourier.Grid];
        wf[0] = (float)w0;
        for (int k = 1; k < n; k++) wf[k] = (k + 1) * wf[0];
        SolveHarmonic(n, grid, wf[0], out var sol);
        p[ActivationParameterNames.Fourier.Fundamental][0] = (float)sol[0];
        double fact = 1;
        for (int k = 1; k <= n; k++)
        {
            fact *= k;
            double a = sol[k], b = sol[n + k];
            p[ActivationParameterNames.Fourier.Coefficients][k - 1] = (float)(fact * Math.Sqrt(a * a + b * b));
            p[ActivationParameterNames.Fourier.Phases][k - 1] = (float)Math.Atan2(b, a);
        }
        if (o.RefineFrequencies) RefineFourier(p, grid);
        return p;
    }

    private static FitGrid Subsample(FitGrid g, int size)
    {
        // Same range and weighting family: pick every stride-th point and renormalize the weights.
        var idx = Enumerable.Range(0, size).Select(i => (int)Math.Round((double)i * (g.Count - 1) / (size - 1))).ToArray();
        return new FitGrid(idx.Select(i => g.X[i]).ToArray(), idx.Select(i => g.W[i]).ToArray(), idx.Select(i => g.G[i]).ToArray(),
            idx.Select(i => g.Dg[i]).ToArray());
    }

    // Linear least squares at w_k = k w0 in [f0, A_1..A_n, B_1..B_n]; returns the objective.
    private static double SolveHarmonic(int n, FitGrid grid, double w0, out double[] sol)
    {
        int m = grid.Count, rows = 2 * m, cols = 2 * n + 1;
        var a = new double[rows * cols];
        var b = new double[rows];
        for (int i = 0; i < m; i++)
        {
            double sw = grid.SqrtW[i], x = grid.X[i];
            a[i] = sw;
            for (int k = 1; k <= n; k++)
            {
                double wk = k * w0;
                (double s, double c) = Math.SinCos(wk * x);
                a[k * rows + i] = sw * c;
                a[k * rows + m + i] = -sw * wk * s;
                a[(n + k) * rows + i] = sw * s;
                a[(n + k) * rows + m + i] = sw * wk * c;
            }
            b[i] = sw * grid.G[i];
            b[m + i] = sw * grid.Dg[i];
        }
        var keep = (double[])a.Clone();
        sol = LeastSquares.Solve(a, b, rows, cols);
        double obj = 0;
        for (int r = 0; r < rows; r++)
        {
            double v = 0;
            for (int j = 0; j < cols; j++) v += keep[j * rows + r] * sol[j];
            double t = r < m ? grid.SqrtW[r] * grid.G[r] : grid.SqrtW[r - m] * grid.Dg[r - m];
            obj += (v - t) * (v - t);
        }
        return obj;
    }

    // Levenberg-Marquardt over (f0, u_k = c_k/k!, p_k, w_k) on the weighted residuals of f and f'.
    private static void RefineFourier(ActivationParameters p, FitGrid grid)
    {
        int n = p.Degree, m = grid.Count, np = 1 + 3 * n, rows = 2 * m;
        var theta = new double[np];
        double fact = 1;
        theta[0] = p[ActivationParameterNames.Fourier.Fundamental][0];
        for (int k = 0; k < n; k++)
        {
            fact *= k + 1;
            theta[1 + k] = p[ActivationParameterNames.Fourier.Coefficients][k] / fact;
            theta[1 + n + k] = p[ActivationParameterNames.Fourier.Phases][k];
            theta[1 + 2 * n + k] = p[ActivationParameterNames.Fourier.Grid][k];
        }
        double Residuals(double[] t, double[]? r, double[]? jac)
        {
            double obj = 0;
            for (int i = 0; i < m; i++)
            {
                double x = grid.X[i], sw = grid.SqrtW[i], f = t[0], d = 0;
                if (jac != null) { jac[i] = sw; jac[m + i] = 0; }
                for (int k = 0; k < n; k++)
                {
                    double u = t[1 + k], ph = t[1 + n + k], w = t[1 + 2 * n + k];
                    (double s, double c) = Math.SinCos(w * x - ph);
                    f += u * c;
                    d -= u * w * s;
                    if (jac == null) continue;
                    int cu = (1 + k) * rows, cp = (1 + n + k) * rows, cw = (1 + 2 * n + k) * rows;
                    jac[cu + i] = sw * c;                  jac[cu + m + i] = -sw * w * s;
                    jac[cp + i] = sw * u * s;              jac[cp + m + i] = sw * u * w * c;
                    jac[cw + i] = -sw * u * x * s;         jac[cw + m + i] = -sw * u * (s + w * x * c);
                }
                double e = sw * (f - grid.G[i]), de = sw * (d - grid.Dg[i]);
                if (r != null) { r[i] = e; r[m + i] = de; }
                obj += e * e + de * de;
            }
            return obj;
        }
        var res = new double[rows];
        var jacobian = new double[rows * np];
        double lambda = 1e-3, current = Residuals(theta, res, jacobian);
        for (int it = 0; it < 50; it++)
        {
            // Augmented system [J; sqrt(lambda) diag(|J_j|)] delta = [-r; 0].
            var aug = new double[(rows + np) * np];
            var rhs = new double[rows + np];
            for (int j = 0; j < np; j++)
            {
                double norm = 0;
                for (int i = 0; i < rows; i++) { double v = jacobian[j * rows + i]; aug[j * (rows + np) + i] = v; norm += v * v; }
                aug[j * (rows + np) + rows + j] = Math.Sqrt(lambda * Math.Max(norm, 1e-30));
            }
            for (int i = 0; i < rows; i++) rhs[i] = -res[i];
            var delta = LeastSquares.Solve(aug, rhs, rows + np, np);
            var trial = new double[np];
            for (int j = 0; j < np; j++) trial[j] = theta[j] + delta[j];
            double obj = Residuals(trial, null, null);
            if (obj < current)
            {
                bool converged = current - obj < 1e-12 * current;
                theta = trial;
                current = Residuals(theta, res, jacobian);
                lambda = Math.Max(lambda / 10, 1e-12);
                if (converged) break;
            }
            else
            {
                lambda *= 10;
                if (lambda > 1e8) break;
            }
        }
        fact = 1;
        p[ActivationParameterNames.Fourier.Fundamental][0] = (float)theta[0];
        for (int k = 0; k < n; k++)
        {
            fact *= k + 1;
            double u = theta[1 + k], ph = theta[1 + n + k];
            if (u < 0) { u = -u; ph += Math.PI; }   // keep amplitudes non-negative
            p[ActivationParameterNames.Fourier.Coefficients][k] = (float)(u * fact);
            p[ActivationParameterNames.Fourier.Phases][k] = (float)Math.IEEERemainder(ph, 2 * Math.PI);
            p[ActivationParameterNames.Fourier.Grid][k] = (float)theta[1 + 2 * n + k];
        }
    }

    // ---------------------------------------------------------------- Tropical

    internal static ActivationParameters FitTropical(int n, FitGrid grid, int iterations)
    {
        int m = grid.Count;
        double s = TropicalKernels.Scale(n);
        var a = new double[n + 1];
        // Tangent from below: s (k x + a_k) <= g on the grid, touching it.
        for (int k = 0; k <= n; k++)
        {
            double low = double.PositiveInfinity;
            for (int i = 0; i < m; i++) low = Math.Min(low, grid.G[i] / s - k * grid.X[i]);
            a[k] = low;
        }
        var win = new int[m];
        double Evaluate(double[] coef, int[] winners)
        {
            double obj = 0;
            for (int i = 0; i < m; i++)
            {
                double x = grid.X[i], bv = coef[0];
                int w = 0;
                for (int k = 1; k <= n; k++) { double v = k * x + coef[k]; if (v > bv) { bv = v; w = k; } }
                winners[i] = w;
                double e = s * bv - grid.G[i], de = s * w - grid.Dg[i];
                obj += grid.W[i] * (e * e + de * de);
            }
            return obj;
        }
        // Best constant shift.
        Evaluate(a, win);
        double shift = 0;
        for (int i = 0; i < m; i++) shift += grid.W[i] * (grid.G[i] - s * (win[i] * grid.X[i] + a[win[i]]));
        for (int k = 0; k <= n; k++) a[k] += shift / s;

        var best = (double[])a.Clone();
        double bestObj = Evaluate(a, win);
        var prev = new int[m];
        int sinceBest = 0;
        var sumW = new double[n + 1];
        var sumR = new double[n + 1];
        for (int it = 0; it < iterations; it++)
        {
            Array.Clear(sumW);
            Array.Clear(sumR);
            for (int i = 0; i < m; i++)
            {
                sumW[win[i]] += grid.W[i];
                sumR[win[i]] += grid.W[i] * (grid.G[i] / s - win[i] * grid.X[i]);
            }
            for (int k = 0; k <= n; k++)
            {
                if (sumW[k] > 0) a[k] = sumR[k] / sumW[k];
                else
                {
                    // Idle line: raise it to touch the current envelope so it can take points next round.
                    double touch = double.PositiveInfinity;
                    for (int i = 0; i < m; i++) touch = Math.Min(touch, (win[i] * grid.X[i] + a[win[i]]) - k * grid.X[i]);
                    a[k] = touch;
                }
            }
            Array.Copy(win, prev, m);
            double obj = Evaluate(a, win);
            if (obj < bestObj) { bestObj = obj; Array.Copy(a, best, n + 1); sinceBest = 0; }
            else if (++sinceBest >= 50) break;          // cycling without progress
            if (win.AsSpan().SequenceEqual(prev)) break; // fixed point
        }
        var p = new ActivationParameters(ActivationKind.Tropical, n);
        var c = p[ActivationParameterNames.Tropical.Coefficients];
        for (int k = 0; k <= n; k++) c[k] = (float)best[k];
        return p;
    }

    // ---------------------------------------------------------------- Tropical rational

    /// <summary>Most kinks placed per max (numerator or denominator) by the least-squares start.</summary>
    internal const int MaxKinksPerSide = 64;

    internal static ActivationParameters FitTropicalRational(int n, FitGrid grid, int iterations)
    {
        int m = grid.Count, L = n + 1;
        // 1. Knots: up to n convex kinks (where g'' > 0) and n concave ones (g'' < 0), placed at quantiles of the
        //    density |g''|^(2/3) (equidistributing the derivative error of a piecewise-linear approximant).
        var curv = new double[m];
        for (int i = 0; i < m; i++)
        {
            int a = Math.Max(0, i - 1), b = Math.Min(m - 1, i + 1);
            curv[i] = (grid.Dg[b] - grid.Dg[a]) / (grid.X[b] - grid.X[a]);
        }
        int perSide = Math.Min(n, MaxKinksPerSide);
        var knots = new List<double>();
        PlaceKnots(grid, curv, +1, perSide, knots);
        PlaceKnots(grid, curv, -1, perSide, knots);
        knots.Sort();
        for (int j = knots.Count - 1; j > 0; j--)
            if (knots[j] - knots[j - 1] < 1e-9 * (grid.X[^1] - grid.X[0])) knots.RemoveAt(j);

        // 2. f = alpha + beta x + sum_j delta_j relu(x - t_j) by linear least squares (value and derivative rows);
        //    positive deltas go to the numerator, negative ones to the denominator, at most n each.
        double[] sol;
        while (true)
        {
            sol = SolveHinges(grid, knots);
            int pos = 0, neg = 0;
            for (int j = 0; j < knots.Count; j++) { if (sol[2 + j] > 0) pos++; else if (sol[2 + j] < 0) neg++; }
            if (pos <= n && neg <= n) break;
            int sign = pos > n ? 1 : -1, drop = -1;
            for (int j = 0; j < knots.Count; j++)
                if (Math.Sign(sol[2 + j]) == sign && (drop < 0 || Math.Abs(sol[2 + j]) < Math.Abs(sol[2 + drop]))) drop = j;
            knots.RemoveAt(drop);
        }

        // 3. Lines: numerator = max of the pieces of alpha + beta x + sum_{delta>0} delta relu(x - t), denominator = max of
        //    the pieces of sum_{delta<0} |delta| relu(x - t); unused lines repeat line 0 (never the first maximum).
        // theta = [p (L) | q (L) | a (L) | b (L)].
        var th = new double[4 * L];
        BuildSide(th, 0, 2 * L, L, sol[0], sol[1], knots, sol, +1);
        BuildSide(th, L, 3 * L, L, 0, 0, knots, sol, -1);

        // 4. Full-batch Adam on the objective from there (moves the kinks), keeping the best iterate.
        var grad = new double[4 * L];
        var mom = new double[4 * L];
        var vel = new double[4 * L];
        var best = (double[])th.Clone();
        double bestObj = double.PositiveInfinity;
        double lr0 = 3e-4 * Math.Max(1e-3, grid.G.Max(Math.Abs));
        const double b1 = 0.9, b2 = 0.999;
        for (int step = 0; step <= iterations; step++)
        {
            Array.Clear(grad);
            double obj = 0;
            for (int i = 0; i < m; i++)
            {
                double x = grid.X[i];
                int wn = ArgMax(th, 0, 2 * L, L, x), wd = ArgMax(th, L, 3 * L, L, x);
                double f = th[wn] * x + th[2 * L + wn] - (th[L + wd] * x + th[3 * L + wd]);
                double e = f - grid.G[i], de = th[wn] - th[L + wd] - grid.Dg[i], w2 = 2 * grid.W[i];
                obj += grid.W[i] * (e * e + de * de);
                grad[wn] += w2 * (e * x + de);
                grad[2 * L + wn] += w2 * e;
                grad[L + wd] -= w2 * (e * x + de);
                grad[3 * L + wd] -= w2 * e;
            }
            if (obj < bestObj) { bestObj = obj; Array.Copy(th, best, th.Length); }
            if (step == iterations) break;
            double lr = lr0 * 0.5 * (1 + Math.Cos(Math.PI * step / iterations));
            double c1 = 1 - Math.Pow(b1, step + 1), c2 = 1 - Math.Pow(b2, step + 1);
            for (int j = 0; j < th.Length; j++)
            {
                mom[j] = b1 * mom[j] + (1 - b1) * grad[j];
                vel[j] = b2 * vel[j] + (1 - b2) * grad[j] * grad[j];
                th[j] -= lr * (mom[j] / c1) / (Math.Sqrt(vel[j] / c2) + 1e-12);
            }
        }
        var p = new ActivationParameters(ActivationKind.TropicalRational, n);
        for (int k = 0; k < L; k++)
        {
            p[ActivationParameterNames.TropicalRational.PowersNum][k] = (float)best[k];
            p[ActivationParameterNames.TropicalRational.PowersDenom][k] = (float)best[L + k];
            p[ActivationParameterNames.TropicalRational.CoefficientsNum][k] = (float)best[2 * L + k];
            p[ActivationParameterNames.TropicalRational.CoefficientsDenom][k] = (float)best[3 * L + k];
        }
        return p;
    }

    // Appends `count` knots at quantiles (j + 1/2)/count of the density |g''|^(2/3) restricted to points where g'' has `sign`.
    private static void PlaceKnots(FitGrid grid, double[] curv, int sign, int count, List<double> knots)
    {
        int m = grid.Count;
        double peak = curv.Max(c => Math.Abs(c));
        if (peak == 0 || count == 0) return;
        var cum = new double[m];
        double total = 0;
        for (int i = 0; i < m; i++)
        {
            double c = curv[i] * sign;
            if (c > 1e-9 * peak) total += Math.Pow(c, 2.0 / 3);
            cum[i] = total;
        }
        if (total == 0) return;
        int i0 = 0;
        for (int j = 0; j < count; j++)
        {
            double target = total * (j + 0.5) / count;
            while (cum[i0] < target) i0++;
            double prev = i0 == 0 ? 0 : cum[i0 - 1];
            double frac = cum[i0] > prev ? (target - prev) / (cum[i0] - prev) : 0.5;
            double left = i0 == 0 ? grid.X[0] : 0.5 * (grid.X[i0 - 1] + grid.X[i0]);
            double right = i0 == m - 1 ? grid.X[m - 1] : 0.5 * (grid.X[i0] + grid.X[i0 + 1]);
            knots.Add(left + frac * (right - left));
        }
    }

    // Least squares for [alpha, beta, delta_1..delta_K] of alpha + beta x + sum delta_j relu(x - t_j), value and derivative rows.
    private static double[] SolveHinges(FitGrid grid, List<double> knots)
    {
        int m = grid.Count, rows = 2 * m, cols = 2 + knots.Count;
        var a = new double[rows * cols];
        var b = new double[rows];
        for (int i = 0; i < m; i++)
        {
            double sw = grid.SqrtW[i], x = grid.X[i];
            a[i] = sw;
            a[rows + i] = sw * x;
            a[rows + m + i] = sw;
            for (int j = 0; j < knots.Count; j++)
            {
                bool on = x > knots[j];
                a[(2 + j) * rows + i] = on ? sw * (x - knots[j]) : 0;
                a[(2 + j) * rows + m + i] = on ? sw : 0;
            }
            b[i] = sw * grid.G[i];
            b[m + i] = sw * grid.Dg[i];
        }
        return LeastSquares.Solve(a, b, rows, cols);
    }

    // Lines of the convex function c0 + c1 x + sum_{sign(delta_j) = sign} |delta_j| relu(x - t_j) (knots sorted): line 0 is
    // c0 + c1 x, line k continues with the slope increased by the k-th kink's |delta|; the rest repeat line 0.
    private static void BuildSide(double[] th, int slopeOff, int interceptOff, int lines, double c0, double c1, List<double> knots, double[] sol, int sign)
    {
        double slope = c1, intercept = c0;
        th[slopeOff] = slope;
        th[interceptOff] = intercept;
        int k = 1;
        for (int j = 0; j < knots.Count && k < lines; j++)
        {
            double d = sol[2 + j] * sign;
            if (!(d > 0)) continue;
            // Continuity at t: slope' t + intercept' = slope t + intercept.
            slope += d;
            intercept -= d * knots[j];
            th[slopeOff + k] = slope;
            th[interceptOff + k] = intercept;
            k++;
        }
        for (; k < lines; k++) { th[slopeOff + k] = th[slopeOff]; th[interceptOff + k] = th[interceptOff]; }
    }

    // First-index argmax of th[slopeOff + k] x + th[interceptOff + k], k < count.
    private static int ArgMax(double[] th, int slopeOff, int interceptOff, int count, double x)
    {
        double bv = th[slopeOff] * x + th[interceptOff];
        int w = 0;
        for (int k = 1; k < count; k++)
        {
            double v = th[slopeOff + k] * x + th[interceptOff + k];
            if (v > bv) { bv = v; w = k; }
        }
        return w;
    }
}
