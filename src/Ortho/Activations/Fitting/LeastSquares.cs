namespace Ortho.Activations;

/// <summary>Dense linear least squares min ||A x - b|| by Householder QR in double (no normal equations).</summary>
internal static class LeastSquares
{
    /// <summary>
    /// Solves for x (length n). <paramref name="a"/> is m x n column-major (column j at a[j*m .. j*m+m)) and is
    /// overwritten, as is <paramref name="b"/>. Columns are scaled to unit norm first (equilibration); a column
    /// whose pivot falls below 1e-13 of the largest is treated as dependent and its unknown set to 0.
    /// </summary>
    public static double[] Solve(double[] a, double[] b, int m, int n)
    {
        if (m < n) throw new ArgumentException($"least squares needs at least as many rows ({m}) as unknowns ({n}).");
        var scale = new double[n];
        for (int j = 0; j < n; j++)
        {
            var col = a.AsSpan(j * m, m);
            double s = Math.Sqrt(Dot(col, col));
            scale[j] = s > 0 ? 1 / s : 1;
            for (int i = 0; i < m; i++) col[i] *= scale[j];
        }
        var diag = new double[n];
        for (int j = 0; j < n; j++)
        {
            var col = a.AsSpan(j * m + j, m - j);
            double norm = Math.Sqrt(Dot(col, col));
            if (norm == 0) { diag[j] = 0; continue; }
            double alpha = col[0] > 0 ? -norm : norm;
            col[0] -= alpha;                      // v = x - alpha e1, stored in place
            double vv = Dot(col, col);
            for (int k = j + 1; k < n; k++)
            {
                var ck = a.AsSpan(k * m + j, m - j);
                double f = 2 * Dot(col, ck) / vv;
                for (int i = 0; i < ck.Length; i++) ck[i] -= f * col[i];
            }
            var bj = b.AsSpan(j, m - j);
            double fb = 2 * Dot(col, bj) / vv;
            for (int i = 0; i < bj.Length; i++) bj[i] -= fb * col[i];
            diag[j] = alpha;
        }
        double maxDiag = diag.Max(Math.Abs);
        var x = new double[n];
        for (int j = n - 1; j >= 0; j--)
        {
            if (Math.Abs(diag[j]) <= 1e-13 * maxDiag) { x[j] = 0; continue; }
            double s = b[j];
            for (int k = j + 1; k < n; k++) s -= a[k * m + j] * x[k];
            x[j] = s / diag[j];
        }
        for (int j = 0; j < n; j++) x[j] *= scale[j];
        return x;
    }

    private static double Dot(ReadOnlySpan<double> u, ReadOnlySpan<double> v)
    {
        double s = 0;
        for (int i = 0; i < u.Length; i++) s += u[i] * v[i];
        return s;
    }
}
