namespace Ortho.Activations;

/// <summary>Moments of an activation f under x ~ N(0, sigma^2) and the paper's gains.</summary>
/// <param name="Mean">E[f(x)].</param>
/// <param name="SecondMoment">E[f(x)^2].</param>
/// <param name="DerivativeSecondMoment">E[f'(x)^2].</param>
/// <param name="InputVariance">Var[x] = sigma^2.</param>
public readonly record struct MomentsResult(double Mean, double SecondMoment, double DerivativeSecondMoment, double InputVariance)
{
    /// <summary>Var[f(x)] = E[f^2] - E[f]^2.</summary>
    public double Variance => SecondMoment - Mean * Mean;

    /// <summary>Forward gain Var[x] / E[f^2].</summary>
    public double ForwardGain => InputVariance / SecondMoment;

    /// <summary>Backward gain Var[x] / E[f'^2].</summary>
    public double BackwardGain => InputVariance / DerivativeSecondMoment;

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant(
        $"E[f]={Mean:G6} E[f^2]={SecondMoment:G6} E[f'^2]={DerivativeSecondMoment:G6} forward gain={ForwardGain:G6} backward gain={BackwardGain:G6}");
}

/// <summary>
/// E[f], E[f^2], E[f'^2] under x ~ N(0, sigma^2): Gauss-Hermite quadrature for any f given with its
/// derivative; each family's own method for its parameters (exact quadrature for Hermite, closed forms for Fourier,
/// exact piecewise integration with the normal distribution function for the piecewise-linear tropical kinds).
/// </summary>
public static class ActivationMoments
{
    /// <summary>Default Gauss-Hermite node count for general functions.</summary>
    public const int DefaultNodes = 128;

    /// <summary>Moments of any activation given f and f' (Gauss-Hermite quadrature; exact for polynomials of degree &lt; 2 nodes).</summary>
    /// <remarks>Converges slowly for non-smooth f (kinks): use the exact methods for the tropical kinds.</remarks>
    public static MomentsResult Compute(Func<double, double> f, Func<double, double> derivative, double sigma = 1, int nodes = DefaultNodes)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(derivative);
        CheckSigma(sigma);
        var (z, w) = GaussHermite.Rule(nodes);
        double m1 = 0, m2 = 0, d2 = 0;
        for (int i = 0; i < z.Length; i++)
        {
            double x = sigma * z[i], v = f(x), d = derivative(x);
            m1 += w[i] * v;
            m2 += w[i] * v * v;
            d2 += w[i] * d * d;
        }
        return new MomentsResult(m1, m2, d2, sigma * sigma);
    }

    /// <summary>Moments of any learnable activation with the given parameter values (its family's method: exact where it has one).</summary>
    public static MomentsResult Of(ActivationParameters p, double sigma = 1)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.Family.Moments(p, sigma);
    }

    /// <summary>
    /// Exact moments of a continuous piecewise-linear f with kinks only at <paramref name="breaks"/> (sorted):
    /// on each segment [lo, hi], f = alpha x + beta (read off f and f' at an interior point), and with A = lo/sigma,
    /// B = hi/sigma: P = Phi(B) - Phi(A), E[x] = sigma (phi(A) - phi(B)), E[x^2] = sigma^2 (P + A phi(A) - B phi(B)).
    /// </summary>
    internal static MomentsResult PiecewiseLinear(List<double> breaks, Func<double, double> f, Func<double, double> derivative, double sigma)
    {
        double m1 = 0, m2 = 0, d2 = 0;
        int segments = breaks.Count + 1;
        for (int j = 0; j < segments; j++)
        {
            double lo = j == 0 ? double.NegativeInfinity : breaks[j - 1];
            double hi = j == breaks.Count ? double.PositiveInfinity : breaks[j];
            if (!(hi > lo)) continue;
            double mid = double.IsNegativeInfinity(lo) ? (double.IsPositiveInfinity(hi) ? 0 : hi - 1) :
                double.IsPositiveInfinity(hi) ? lo + 1 : 0.5 * (lo + hi);
            double alpha = derivative(mid), beta = f(mid) - alpha * mid;
            double A = lo / sigma, B = hi / sigma;
            double pA = double.IsInfinity(A) ? 0 : SpecialFunctions.NormalPdf(A), pB = double.IsInfinity(B) ? 0 : SpecialFunctions.NormalPdf(B);
            double P = Mass(A, B);
            double e1 = sigma * (pA - pB);
            double e2 = sigma * sigma * (P + (double.IsInfinity(A) ? 0 : A * pA) - (double.IsInfinity(B) ? 0 : B * pB));
            m1 += alpha * e1 + beta * P;
            m2 += alpha * alpha * e2 + 2 * alpha * beta * e1 + beta * beta * P;
            d2 += alpha * alpha * P;
        }
        return new MomentsResult(m1, m2, d2, sigma * sigma);
    }

    // Phi(B) - Phi(A) computed from the tail nearer to the interval to keep relative accuracy.
    private static double Mass(double A, double B)
    {
        if (A >= 0) return SpecialFunctions.NormalCdf(-A) - SpecialFunctions.NormalCdf(-B);
        return SpecialFunctions.NormalCdf(B) - SpecialFunctions.NormalCdf(A);
    }

    /// <summary>Breakpoints (sorted) of max_k (s_k x + a_k): where consecutive upper-hull lines cross.</summary>
    internal static List<double> HullBreaks(ReadOnlySpan<float> slopes, ReadOnlySpan<float> intercepts)
    {
        int m = slopes.Length;
        var order = new int[m];
        for (int k = 0; k < m; k++) order[k] = k;
        float[] s = slopes.ToArray(), a = intercepts.ToArray();
        Array.Sort(order, (i, j) => s[i] != s[j] ? s[i].CompareTo(s[j]) : a[j].CompareTo(a[i]));
        var hull = new List<int>();
        foreach (int k in order)
        {
            if (hull.Count > 0 && s[hull[^1]] == s[k]) continue;
            while (hull.Count >= 2)
            {
                int l1 = hull[^2], l2 = hull[^1];
                double lhs = ((double)a[l1] - a[l2]) * ((double)s[k] - s[l1]);
                double rhs = ((double)a[l1] - a[k]) * ((double)s[l2] - s[l1]);
                if (lhs < rhs) break;
                hull.RemoveAt(hull.Count - 1);
            }
            hull.Add(k);
        }
        var breaks = new List<double>(hull.Count);
        for (int j = 0; j + 1 < hull.Count; j++)
            breaks.Add(((double)a[hull[j]] - a[hull[j + 1]]) / ((double)s[hull[j + 1]] - s[hull[j]]));
        return breaks;
    }

    internal static void CheckSigma(double sigma)
    {
        if (!(sigma > 0) || double.IsInfinity(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "sigma must be positive and finite.");
    }
}
