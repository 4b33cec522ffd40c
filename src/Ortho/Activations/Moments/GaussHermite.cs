using System.Collections.Concurrent;

namespace Ortho.Activations;

/// <summary>
/// Gauss-Hermite quadrature for the standard normal weight: E[g(z)], z ~ N(0, 1), is approximated by
/// sum_i w_i g(z_i), exactly for polynomials of degree up to 2n - 1 (weights sum to 1).
/// </summary>
/// <remarks>
/// Nodes are the eigenvalues of the Jacobi matrix of the probabilists' Hermite polynomials (zero diagonal,
/// off-diagonal sqrt(k)), found by bisection on Sturm counts and polished by Newton steps on the orthonormal
/// recurrence p_{k+1} = (z p_k - sqrt(k) p_{k-1}) / sqrt(k+1); weights are 1 / sum_{k&lt;n} p_k(z_i)^2.
/// </remarks>
public static class GaussHermite
{
    /// <summary>Largest supported rule (beyond it the recurrence values overflow at the outer nodes).</summary>
    public const int MaxNodes = 256;

    private static readonly ConcurrentDictionary<int, (double[] Nodes, double[] Weights)> Cache = new();

    /// <summary>The n-node rule (cached; the arrays are shared, do not modify them).</summary>
    /// <exception cref="ArgumentOutOfRangeException">n is not in [1, <see cref="MaxNodes"/>].</exception>
    public static (double[] Nodes, double[] Weights) Rule(int n)
    {
        if (n < 1 || n > MaxNodes) throw new ArgumentOutOfRangeException(nameof(n), n, $"Gauss-Hermite node count must be in [1, {MaxNodes}]; got {n}.");
        return Cache.GetOrAdd(n, Compute);
    }

    /// <summary>E[g(sigma z)], z ~ N(0, 1), by the n-node rule.</summary>
    public static double Expectation(Func<double, double> g, double sigma = 1, int n = 128)
    {
        ArgumentNullException.ThrowIfNull(g);
        var (z, w) = Rule(n);
        double s = 0;
        for (int i = 0; i < z.Length; i++) s += w[i] * g(sigma * z[i]);
        return s;
    }

    private static (double[], double[]) Compute(int n)
    {
        var nodes = new double[n];
        var weights = new double[n];
        double bound = 2 * Math.Sqrt(n) + 1;
        // Eigenvalues in increasing order; compute the upper half and mirror (the rule is symmetric).
        for (int i = n / 2; i < n; i++)
        {
            double lo = 0, hi = bound;
            if (n % 2 == 1 && i == n / 2) { nodes[i] = 0; continue; }
            // Find t with exactly i eigenvalues below it, moving up: smallest t with CountBelow(t) >= i + 1.
            for (int it = 0; it < 200 && hi - lo > 1e-15 * Math.Max(1, Math.Abs(hi)); it++)
            {
                double mid = 0.5 * (lo + hi);
                if (CountBelow(mid, n) >= i + 1) hi = mid; else lo = mid;
            }
            double x = 0.5 * (lo + hi);
            for (int it = 0; it < 3; it++)
            {
                Orthonormal(x, n, out double pn, out double pn1, out _);
                double step = pn / (Math.Sqrt(n) * pn1);
                if (double.IsFinite(step) && Math.Abs(step) < 1e-6) x -= step;
            }
            nodes[i] = x;
        }
        for (int i = 0; i < n / 2; i++) nodes[i] = -nodes[n - 1 - i];
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            Orthonormal(nodes[i], n, out _, out _, out double sumSquares);
            weights[i] = 1 / sumSquares;
            total += weights[i];
        }
        // Exact weights sum to 1; remove the last rounding.
        for (int i = 0; i < n; i++) weights[i] /= total;
        return (nodes, weights);
    }

    // Number of eigenvalues of the n x n Jacobi matrix below t (Sturm sequence by the LDL^T pivots).
    private static int CountBelow(double t, int n)
    {
        int count = 0;
        double d = -t;
        if (d < 0) count++;
        for (int k = 1; k < n; k++)
        {
            if (d == 0) d = 1e-300;
            d = -t - k / d;
            if (d < 0) count++;
        }
        return count;
    }

    // p_n(x), p_{n-1}(x) and sum_{k<n} p_k(x)^2 of the orthonormal probabilists' Hermite polynomials.
    private static void Orthonormal(double x, int n, out double pn, out double pn1, out double sumSquares)
    {
        double p0 = 1, p1 = x, sum = 1;
        if (n == 1) { pn = p1; pn1 = p0; sumSquares = sum; return; }
        sum += p1 * p1;
        for (int k = 1; k < n; k++)
        {
            double p2 = (x * p1 - Math.Sqrt(k) * p0) / Math.Sqrt(k + 1);
            p0 = p1;
            p1 = p2;
            if (k + 1 < n) sum += p1 * p1;
        }
        pn = p1;
        pn1 = p0;
        sumSquares = sum;
    }
}
