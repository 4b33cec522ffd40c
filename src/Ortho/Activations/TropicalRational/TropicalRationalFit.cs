namespace Ortho.Activations;

/// <summary>
/// Tropical rational fit: a continuous piecewise-linear least-squares fit with kinks placed where |g''| is large (up
/// to n convex and n concave kinks), split exactly into numerator (convex kinks) minus denominator (concave kinks)
/// maxima; then a fixed number of full-batch Adam steps that also move the kinks, keeping the best iterate.
/// Deterministic.
/// </summary>
internal static class TropicalRationalFit
{
    /// <summary>Most kinks placed per max (numerator or denominator) by the least-squares start.</summary>
    internal const int MaxKinksPerSide = 64;

    public static ActivationParameters Fit(int n, FitGrid grid, int iterations)
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
        double gMax = 0;
        foreach (double v in grid.G) gMax = Math.Max(gMax, Math.Abs(v));
        double lr0 = 3e-4 * Math.Max(1e-3, gMax);
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
        var p = new ActivationParameters(TropicalRationalFamily.Instance, n);
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
