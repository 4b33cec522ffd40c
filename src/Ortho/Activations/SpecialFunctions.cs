namespace Ortho.Activations;

/// <summary>Double-precision special functions (relative error about 1e-15) used by fitting and moments.</summary>
public static class SpecialFunctions
{
    private static readonly double TwoOverSqrtPi = 2.0 / Math.Sqrt(Math.PI);
    private static readonly double InvSqrtPi = 1.0 / Math.Sqrt(Math.PI);
    private static readonly double InvSqrt2Pi = 1.0 / Math.Sqrt(2 * Math.PI);

    /// <summary>The error function erf(x) = (2/sqrt(pi)) int_0^x e^{-t^2} dt.</summary>
    /// <remarks>
    /// |x| &lt; 2: erf(x) = (2/sqrt(pi)) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1)) (all terms positive, no
    /// cancellation); |x| &gt;= 2: 1 - erfc(x) with erfc from its continued fraction.
    /// </remarks>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        double r = ax < 2 ? ErfSeries(ax) : 1 - ErfcContinuedFraction(ax);
        return x < 0 ? -r : r;
    }

    /// <summary>The complementary error function erfc(x) = 1 - erf(x), accurate in relative terms for large x.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x >= 2) return ErfcContinuedFraction(x);
        if (x > -2) return 1 - (x < 0 ? -ErfSeries(-x) : ErfSeries(x));
        return 2 - ErfcContinuedFraction(-x);
    }

    /// <summary>Standard normal density e^{-z^2/2} / sqrt(2 pi).</summary>
    public static double NormalPdf(double z) => InvSqrt2Pi * Math.Exp(-0.5 * z * z);

    /// <summary>Standard normal distribution function Phi(z) = erfc(-z/sqrt(2)) / 2 (accurate in both tails).</summary>
    public static double NormalCdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2.0));

    private static double ErfSeries(double x)
    {
        double t = x, s = x, x2 = 2 * x * x;
        for (int n = 1; n < 200 && t > 1e-17 * s; n++)
        {
            t *= x2 / (2 * n + 1);
            s += t;
        }
        return TwoOverSqrtPi * Math.Exp(-x * x) * s;
    }

    // erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the tail; 80 levels
    // reach full double precision for x >= 2.
    private static double ErfcContinuedFraction(double x)
    {
        if (x > 27) return 0;
        double f = x;
        for (int k = 80; k >= 1; k--) f = x + 0.5 * k / f;
        return InvSqrtPi * Math.Exp(-x * x) / f;
    }
}
