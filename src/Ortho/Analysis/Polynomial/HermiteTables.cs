using System.Numerics;

namespace Ortho.Analysis;

/// <summary>
/// Exact change-of-basis tables between monomials x^n and the scaled probabilists' Hermite polynomials
/// phi_k = He_k/k! (phi_0 = 1, phi_1 = x, phi_k = (x phi_(k-1) - phi_(k-2))/k), the basis of the Hermite activation.
/// </summary>
public static class HermiteTables
{
    /// <summary>rows[n][p]: the coefficient of x^p in phi_n, for n = 0..maxDegree (by the recurrence, exactly).</summary>
    public static Rational[][] HermiteToMonomial(int maxDegree)
    {
        if (maxDegree < 0) throw new ArgumentOutOfRangeException(nameof(maxDegree));
        var rows = new Rational[maxDegree + 1][];
        rows[0] = [Rational.One];
        if (maxDegree >= 1) rows[1] = [Rational.Zero, Rational.One];
        for (int k = 2; k <= maxDegree; k++)
        {
            var r = new Rational[k + 1];
            for (int p = 0; p <= k; p++)
            {
                var xPrev = p >= 1 && p - 1 < rows[k - 1].Length ? rows[k - 1][p - 1] : Rational.Zero;
                var prev2 = p < rows[k - 2].Length ? rows[k - 2][p] : Rational.Zero;
                r[p] = (xPrev - prev2) / k;
            }
            rows[k] = r;
        }
        return rows;
    }

    /// <summary>rows[n][k]: the coefficient of phi_k in x^n: x^n = sum_j n!/(2^j j!) phi_(n-2j) (closed form).</summary>
    public static Rational[][] MonomialToHermite(int maxDegree)
    {
        if (maxDegree < 0) throw new ArgumentOutOfRangeException(nameof(maxDegree));
        var rows = new Rational[maxDegree + 1][];
        for (int n = 0; n <= maxDegree; n++)
        {
            var r = new Rational[n + 1];
            for (int k = 0; k <= n; k++) r[k] = Rational.Zero;
            for (int j = 0; 2 * j <= n; j++)
                r[n - 2 * j] = new Rational(Factorial(n), BigInteger.Pow(2, j) * Factorial(j));
            rows[n] = r;
        }
        return rows;
    }

    /// <summary>
    /// The monomial coefficients m_p of f(z) = sum_k a_k phi_k(z) (a Hermite activation with coefficients a, read
    /// exactly from float32), p = 0..n.
    /// </summary>
    public static Rational[] ActivationMonomials(ReadOnlySpan<float> coefficients)
    {
        int n = coefficients.Length - 1;
        var rows = HermiteToMonomial(n);
        var m = new Rational[n + 1];
        for (int p = 0; p <= n; p++) m[p] = Rational.Zero;
        for (int k = 0; k <= n; k++)
        {
            var a = Rational.FromFloat(coefficients[k]);
            if (a.IsZero) continue;
            for (int p = 0; p <= k; p++) m[p] += a * rows[k][p];
        }
        return m;
    }

    private static BigInteger Factorial(int n)
    {
        var f = BigInteger.One;
        for (int i = 2; i <= n; i++) f *= i;
        return f;
    }
}
