namespace Ortho.Activations;

/// <summary>
/// Tropical fit: lines tangent from below to g, shifted by the best constant, then Lloyd iterations (each active
/// line's intercept set to the weighted mean residual of the points it wins).
/// </summary>
internal static class TropicalFit
{
    public static ActivationParameters Fit(int n, FitGrid grid, int iterations)
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
        var p = new ActivationParameters(TropicalFamily.Instance, n);
        var c = p[ActivationParameterNames.Tropical.Coefficients];
        for (int k = 0; k <= n; k++) c[k] = (float)best[k];
        return p;
    }
}
