namespace Ortho.Activations;

/// <summary>
/// Hermite fit: linear least squares in the coefficients (value and derivative rows), solved by Householder QR in double.
/// With the clamp, the basis is taken at s(x) (L at its initial sqrt(3)), still linear in the coefficients.
/// </summary>
internal static class HermiteFit
{
    public static ActivationParameters Fit(HermiteFamily family, int n, FitGrid grid, double ridge)
    {
        int m = grid.Count, rows = 2 * m + n + 1, cols = n + 1;
        var a = new double[rows * cols];
        var b = new double[rows];
        Span<double> phi = stackalloc double[n + 1];
        for (int i = 0; i < m; i++)
        {
            double x = grid.X[i], dsdx = 1;
            if (family.Clamp) x = HermiteClampKernels.Evaluate(x, HermiteFamily.InitialClampLimit, out dsdx);
            HermiteKernels.Basis(x, phi);
            double sw = grid.SqrtW[i];
            for (int k = 0; k <= n; k++)
            {
                a[k * rows + i] = sw * phi[k];                               // f  = sum a_k phi_k(s)
                a[k * rows + m + i] = k == 0 ? 0 : sw * phi[k - 1] * dsdx;   // f' = sum a_k phi_{k-1}(s) s'
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
        var solution = LeastSquares.Solve(a, b, rows, cols);
        var p = new ActivationParameters(family, n);
        var c = p[ActivationParameterNames.Hermite.Coefficients];
        for (int k = 0; k <= n; k++) c[k] = (float)solution[k];
        if (family.Clamp) p[ActivationParameterNames.Hermite.ClampLimit][0] = HermiteFamily.InitialClampLimit;
        return p;
    }
}
