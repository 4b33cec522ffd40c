namespace Ortho.Activations;

/// <summary>
/// Fourier fit: with harmonic frequencies w_k = k w0 the problem is linear in (c_k cos p_k, c_k sin p_k)/k! and f0;
/// w0 is chosen by a scan plus golden-section search of the least-squares residual (or given), then converted to
/// amplitude/phase. Optionally all parameters are refined by Levenberg-Marquardt.
/// </summary>
internal static class FourierFit
{
    public static ActivationParameters Fit(int n, FitGrid grid, FitOptions o)
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
        var p = new ActivationParameters(FourierFamily.Instance, n);
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
}
