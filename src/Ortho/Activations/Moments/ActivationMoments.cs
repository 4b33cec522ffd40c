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
/// E[f], E[f^2], E[f'^2] under x ~ N(0, sigma^2) (DESIGN 1.7): Gauss-Hermite quadrature for any f given with its
/// derivative, exact quadrature for Hermite (a polynomial), closed forms for Fourier (Gaussian characteristic
/// function) and exact piecewise integration (normal distribution function) for the piecewise-linear tropical kinds.
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

    /// <summary>Moments of any of the four activations with the given parameter values.</summary>
    public static MomentsResult Of(ActivationParameters p, double sigma = 1)
    {
        ArgumentNullException.ThrowIfNull(p);
        int n = p.Degree;
        return p.Kind switch
        {
            ActivationKind.Hermite => Hermite(p[ActivationParameterNames.Hermite.Coefficients], n, sigma),
            ActivationKind.Fourier => Fourier(p[ActivationParameterNames.Fourier.Fundamental], p[ActivationParameterNames.Fourier.Coefficients],
                p[ActivationParameterNames.Fourier.Phases], p[ActivationParameterNames.Fourier.Grid], n, sigma),
            ActivationKind.Tropical => Tropical(p[ActivationParameterNames.Tropical.Coefficients], n, sigma),
            _ => TropicalRational(p[ActivationParameterNames.TropicalRational.PowersNum], p[ActivationParameterNames.TropicalRational.PowersDenom],
                p[ActivationParameterNames.TropicalRational.CoefficientsNum], p[ActivationParameterNames.TropicalRational.CoefficientsDenom], n, sigma),
        };
    }

    /// <summary>Hermite moments, exact: f^2 has degree 2n &lt;= 64, integrated by the 64-node rule (exact to degree 127).</summary>
    public static MomentsResult Hermite(ReadOnlySpan<float> coefficients, int degree, double sigma = 1)
    {
        HermiteKernels.ValidateDegree(degree);
        ActivationChecks.CheckParam(coefficients.Length, degree + 1, nameof(coefficients), "Hermite", degree);
        CheckSigma(sigma);
        var (z, w) = GaussHermite.Rule(64);
        double m1 = 0, m2 = 0, d2 = 0;
        for (int i = 0; i < z.Length; i++)
        {
            double v = HermiteKernels.Evaluate(sigma * z[i], coefficients, degree, out double d);
            m1 += w[i] * v;
            m2 += w[i] * v * v;
            d2 += w[i] * d * d;
        }
        return new MomentsResult(m1, m2, d2, sigma * sigma);
    }

    /// <summary>
    /// Fourier moments in closed form: E[cos(w x - p)] = cos(p) e^{-w^2 sigma^2 / 2}, and products of two terms by
    /// cos a cos b = (cos(a-b) + cos(a+b))/2, sin a sin b = (cos(a-b) - cos(a+b))/2.
    /// </summary>
    public static MomentsResult Fourier(ReadOnlySpan<float> fundamental, ReadOnlySpan<float> coefficients, ReadOnlySpan<float> phases,
        ReadOnlySpan<float> grid, int degree, double sigma = 1)
    {
        FourierKernels.ValidateDegree(degree);
        ActivationChecks.CheckParam(fundamental.Length, 1, nameof(fundamental), "Fourier", degree);
        ActivationChecks.CheckParam(coefficients.Length, degree, nameof(coefficients), "Fourier", degree);
        ActivationChecks.CheckParam(phases.Length, degree, nameof(phases), "Fourier", degree);
        ActivationChecks.CheckParam(grid.Length, degree, nameof(grid), "Fourier", degree);
        CheckSigma(sigma);
        double s2 = sigma * sigma, f0 = fundamental[0];
        Span<double> amp = stackalloc double[degree];
        double invFact = 1;
        for (int k = 0; k < degree; k++) { invFact /= k + 1; amp[k] = coefficients[k] * invFact; }
        double Ecos(double w, double p) => Math.Cos(p) * Math.Exp(-0.5 * w * w * s2);

        double mean = f0, m2 = f0 * f0, d2 = 0;
        for (int j = 0; j < degree; j++)
        {
            double ej = amp[j] * Ecos(grid[j], phases[j]);
            mean += ej;
            m2 += 2 * f0 * ej;
            for (int k = 0; k < degree; k++)
            {
                double diff = Ecos((double)grid[j] - grid[k], (double)phases[j] - phases[k]);
                double sum = Ecos((double)grid[j] + grid[k], (double)phases[j] + phases[k]);
                double a = amp[j] * amp[k];
                m2 += a * 0.5 * (diff + sum);
                d2 += a * grid[j] * grid[k] * 0.5 * (diff - sum);
            }
        }
        return new MomentsResult(mean, m2, d2, s2);
    }

    /// <summary>Tropical moments, exact: f is piecewise linear, integrated segment by segment with the normal distribution function.</summary>
    public static MomentsResult Tropical(ReadOnlySpan<float> coefficients, int degree, double sigma = 1)
    {
        TropicalKernels.ValidateDegree(degree);
        ActivationChecks.CheckParam(coefficients.Length, degree + 1, nameof(coefficients), "Tropical", degree);
        CheckSigma(sigma);
        var slopes = new float[degree + 1];
        for (int k = 0; k <= degree; k++) slopes[k] = k;
        var breaks = HullBreaks(slopes, coefficients);
        var a = coefficients.ToArray();
        return PiecewiseLinear(breaks, x => TropicalKernels.Evaluate(x, a, degree, out double d), x =>
        {
            TropicalKernels.Evaluate(x, a, degree, out double d);
            return d;
        }, sigma);
    }

    /// <summary>Tropical rational moments, exact (piecewise linear between the breakpoints of both maxima).</summary>
    public static MomentsResult TropicalRational(ReadOnlySpan<float> powersNum, ReadOnlySpan<float> powersDenom,
        ReadOnlySpan<float> coefficientsNum, ReadOnlySpan<float> coefficientsDenom, int degree, double sigma = 1)
    {
        TropicalRationalKernels.ValidateDegree(degree);
        CheckSigma(sigma);
        var breaks = HullBreaks(powersNum, coefficientsNum);
        breaks.AddRange(HullBreaks(powersDenom, coefficientsDenom));
        breaks.Sort();
        float[] p = powersNum.ToArray(), q = powersDenom.ToArray(), a = coefficientsNum.ToArray(), b = coefficientsDenom.ToArray();
        return PiecewiseLinear(breaks, x => TropicalRationalKernels.Evaluate(x, p, q, a, b, degree, out _), x =>
        {
            TropicalRationalKernels.Evaluate(x, p, q, a, b, degree, out double d);
            return d;
        }, sigma);
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

    private static void CheckSigma(double sigma)
    {
        if (!(sigma > 0) || double.IsInfinity(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "sigma must be positive and finite.");
    }
}
