using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ortho.Kernels;

// erf, erfc and the Gaussian CDF in single precision (generated layout: scalar, 256-bit, 512-bit).
// |x| < 0.5:  erf(x) = x (c0 + s Q(s)), s = x^2, Q a degree-4 near-minimax fit (relative error 5e-11), with
//             c0 = 2/sqrt(pi) split into float hi + lo so the leading term is exact to one rounding;
//             erfc(x) = 1 - erf(x) evaluated as (1 - x c0hi) - x (c0lo + s Q) with two roundings.
// |x| >= 0.5: erfc(|x|) = exp(-x^2) t R(t - c), t = 1/(1 + |x|), R a degree-10 fit on |x| in [0.5, 10.5]
//             centred at c (relative error 3e-9); x^2 is split exactly (hi + lo via FMA) so exp(-x^2) keeps full accuracy;
//             erf(x) = sign(x) (1 - erfc|x|), erfc(x) = 2 - erfc|x| for negative x.
// NormCdf(x) = Phi(x) = erfc(-x / sqrt 2) / 2 takes exp(-x^2 / 2) from x itself (exactly split), so it keeps
// its relative accuracy deep in the negative tail (GELU's); NormCdf(x, e) reuses a caller's exp(-x^2/2).
internal static partial class VMath
{
    private const float ErfSplit = 0.5f;
    private const float ErfcMaxArg = 10.5f; // erfc(10.5) ~ 7e-50: zero in float
    private const float ErfC0Hi = 1.128379225730896f;
    private const float ErfC0Lo = -5.86353834222e-8f;
    private const float NegInvSqrt2 = -0.70710678118654752f;
    private const float ErfcCenter = 0.37681159377098083f;
    private const float ErfQ4 = -0.000783140057897f;
    private const float ErfQ3 = 0.0052085451034f;
    private const float ErfQ2 = -0.0268648026648f;
    private const float ErfQ1 = 0.1128378741f;
    private const float ErfQ0 = -0.376126388819f;
    private const float ErfcR10 = 2.03240974222f;
    private const float ErfcR9 = -1.75321002291f;
    private const float ErfcR8 = -0.0556618286116f;
    private const float ErfcR7 = 0.995974836878f;
    private const float ErfcR6 = -0.739366714325f;
    private const float ErfcR5 = -0.0336252254915f;
    private const float ErfcR4 = 0.535927586361f;
    private const float ErfcR3 = -0.35013789807f;
    private const float ErfcR2 = -0.29900782456f;
    private const float ErfcR1 = 0.561104422424f;
    private const float ErfcR0 = 0.791117412132f;

    // ---------------- scalar ----------------

    /// <summary>c0lo + s Q(s), the small-argument correction term.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ErfInner(float x)
    {
        float s = x * x;
        float q = MathF.FusedMultiplyAdd(ErfQ4, s, ErfQ3);
        q = MathF.FusedMultiplyAdd(q, s, ErfQ2);
        q = MathF.FusedMultiplyAdd(q, s, ErfQ1);
        q = MathF.FusedMultiplyAdd(q, s, ErfQ0);
        return MathF.FusedMultiplyAdd(s, q, ErfC0Lo);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ErfSmall(float x) => MathF.FusedMultiplyAdd(x, ErfC0Hi, x * ErfInner(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ErfcSmall(float x) => MathF.FusedMultiplyAdd(-x, ErfInner(x), MathF.FusedMultiplyAdd(-x, ErfC0Hi, 1f));

    /// <summary>t R(t) = erfc(z) exp(z^2) for z &gt;= 0.5 (clamped at 10.5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ErfcScaled(float z)
    {
        float t = 1f / (MathF.Min(z, ErfcMaxArg) + 1f);
        float u = t - ErfcCenter;
        float r = MathF.FusedMultiplyAdd(ErfcR10, u, ErfcR9);
        r = MathF.FusedMultiplyAdd(r, u, ErfcR8);
        r = MathF.FusedMultiplyAdd(r, u, ErfcR7);
        r = MathF.FusedMultiplyAdd(r, u, ErfcR6);
        r = MathF.FusedMultiplyAdd(r, u, ErfcR5);
        r = MathF.FusedMultiplyAdd(r, u, ErfcR4);
        r = MathF.FusedMultiplyAdd(r, u, ErfcR3);
        r = MathF.FusedMultiplyAdd(r, u, ErfcR2);
        r = MathF.FusedMultiplyAdd(r, u, ErfcR1);
        r = MathF.FusedMultiplyAdd(r, u, ErfcR0);
        return t * r;
    }

    /// <summary>erfc(z) for z &gt;= 0.5 (or NaN); finite but meaningless below.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ErfcLarge(float z)
    {
        float zc = MathF.Min(z, ErfcMaxArg);
        float hi = zc * zc;
        float lo = MathF.FusedMultiplyAdd(zc, zc, -hi);
        float e = Exp(-hi);
        return MathF.FusedMultiplyAdd(-lo, e, e) * ErfcScaled(z);
    }

    /// <summary>exp(-x^2 / 2) with x^2 split exactly, accurate to a few ulp for all x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ExpNegHalfSquare(float x)
    {
        float xc = MathF.Min(MathF.Abs(x), 20f); // exp(-200) is 0; keeps lo finite for infinite x
        float hi = xc * xc;
        float lo = MathF.FusedMultiplyAdd(xc, xc, -hi);
        float e = Exp(-0.5f * hi);
        return MathF.FusedMultiplyAdd(-0.5f * lo, e, e);
    }

    /// <summary>Error function erf(x), scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Erf(float x)
    {
        float ax = MathF.Abs(x);
        if (ax < ErfSplit) return ErfSmall(x);
        return MathF.CopySign(1f - ErfcLarge(ax), x);
    }

    /// <summary>Complementary error function erfc(x) = 1 - erf(x), scalar, accurate for large positive x too.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Erfc(float x)
    {
        float ax = MathF.Abs(x);
        if (ax < ErfSplit) return ErfcSmall(x);
        float e = ErfcLarge(ax);
        return x > 0f ? e : 2f - e;
    }

    /// <summary>Standard normal CDF Phi(x), scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float NormCdf(float x)
    {
        float z = x * NegInvSqrt2;
        float az = MathF.Abs(z);
        if (az < ErfSplit) return 0.5f * ErfcSmall(z);
        return NormCdfLarge(z, az, ExpNegHalfSquare(x));
    }

    /// <summary>Standard normal CDF Phi(x), given e = <see cref="ExpNegHalfSquare(float)"/>(x), scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float NormCdf(float x, float e)
    {
        float z = x * NegInvSqrt2;
        float az = MathF.Abs(z);
        if (az < ErfSplit) return 0.5f * ErfcSmall(z);
        return NormCdfLarge(z, az, e);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float NormCdfLarge(float z, float az, float e)
    {
        float halfE = 0.5f * e * ErfcScaled(az);
        return z > 0f ? halfE : 1f - halfE;
    }

    // ---------------- 256-bit ----------------

    /// <summary>c0lo + s Q(s), the small-argument correction term.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfInner(Vector256<float> x)
    {
        Vector256<float> s = x * x;
        Vector256<float> q = Vector256.FusedMultiplyAdd(Vector256.Create(ErfQ4), s, Vector256.Create(ErfQ3));
        q = Vector256.FusedMultiplyAdd(q, s, Vector256.Create(ErfQ2));
        q = Vector256.FusedMultiplyAdd(q, s, Vector256.Create(ErfQ1));
        q = Vector256.FusedMultiplyAdd(q, s, Vector256.Create(ErfQ0));
        return Vector256.FusedMultiplyAdd(s, q, Vector256.Create(ErfC0Lo));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfSmall(Vector256<float> x) => Vector256.FusedMultiplyAdd(x, Vector256.Create(ErfC0Hi), x * ErfInner(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfcSmall(Vector256<float> x) => Vector256.FusedMultiplyAdd(-x, ErfInner(x), Vector256.FusedMultiplyAdd(-x, Vector256.Create(ErfC0Hi), Vector256<float>.One));

    /// <summary>t R(t) = erfc(z) exp(z^2) for z &gt;= 0.5 (clamped at 10.5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfcScaled(Vector256<float> z)
    {
        Vector256<float> t = Vector256<float>.One / (Vector256.Min(z, Vector256.Create(ErfcMaxArg)) + Vector256<float>.One);
        Vector256<float> u = t - Vector256.Create(ErfcCenter);
        Vector256<float> r = Vector256.FusedMultiplyAdd(Vector256.Create(ErfcR10), u, Vector256.Create(ErfcR9));
        r = Vector256.FusedMultiplyAdd(r, u, Vector256.Create(ErfcR8));
        r = Vector256.FusedMultiplyAdd(r, u, Vector256.Create(ErfcR7));
        r = Vector256.FusedMultiplyAdd(r, u, Vector256.Create(ErfcR6));
        r = Vector256.FusedMultiplyAdd(r, u, Vector256.Create(ErfcR5));
        r = Vector256.FusedMultiplyAdd(r, u, Vector256.Create(ErfcR4));
        r = Vector256.FusedMultiplyAdd(r, u, Vector256.Create(ErfcR3));
        r = Vector256.FusedMultiplyAdd(r, u, Vector256.Create(ErfcR2));
        r = Vector256.FusedMultiplyAdd(r, u, Vector256.Create(ErfcR1));
        r = Vector256.FusedMultiplyAdd(r, u, Vector256.Create(ErfcR0));
        return t * r;
    }

    /// <summary>erfc(z) for z &gt;= 0.5 (or NaN); finite but meaningless below.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfcLarge(Vector256<float> z)
    {
        Vector256<float> zc = Vector256.Min(z, Vector256.Create(ErfcMaxArg));
        Vector256<float> hi = zc * zc;
        Vector256<float> lo = Vector256.FusedMultiplyAdd(zc, zc, -hi);
        Vector256<float> e = Exp(-hi);
        return Vector256.FusedMultiplyAdd(-lo, e, e) * ErfcScaled(z);
    }

    /// <summary>exp(-x^2 / 2) with x^2 split exactly, accurate to a few ulp for all x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ExpNegHalfSquare(Vector256<float> x)
    {
        Vector256<float> xc = Vector256.Min(Vector256.Abs(x), Vector256.Create(20f)); // exp(-200) is 0; keeps lo finite for infinite x
        Vector256<float> hi = xc * xc;
        Vector256<float> lo = Vector256.FusedMultiplyAdd(xc, xc, -hi);
        Vector256<float> e = Exp(Vector256.Create(-0.5f) * hi);
        return Vector256.FusedMultiplyAdd(Vector256.Create(-0.5f) * lo, e, e);
    }

    /// <summary>erf per lane, 256-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Erf(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x);
        Vector256<float> split = Vector256.Create(ErfSplit);
        if (Vector256.LessThanAll(ax, split)) return ErfSmall(x);
        Vector256<float> big = Vector256.ConditionalSelect(Vector256.Create(-0f), x, Vector256<float>.One - ErfcLarge(ax));
        if (!Vector256.LessThanAny(ax, split)) return big;
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, split), ErfSmall(x), big);
    }

    /// <summary>erfc per lane, 256-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Erfc(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x);
        Vector256<float> split = Vector256.Create(ErfSplit);
        if (Vector256.LessThanAll(ax, split)) return ErfcSmall(x);
        Vector256<float> e = ErfcLarge(ax);
        Vector256<float> big = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), e, Vector256.Create(2f) - e);
        if (!Vector256.LessThanAny(ax, split)) return big;
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, split), ErfcSmall(x), big);
    }

    /// <summary>Standard normal CDF Phi(x) per lane, 256-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> NormCdf(Vector256<float> x)
    {
        Vector256<float> z = x * Vector256.Create(NegInvSqrt2);
        Vector256<float> az = Vector256.Abs(z);
        Vector256<float> split = Vector256.Create(ErfSplit);
        if (Vector256.LessThanAll(az, split)) return Vector256.Create(0.5f) * ErfcSmall(z);
        Vector256<float> big = NormCdfLarge(z, az, ExpNegHalfSquare(x));
        if (!Vector256.LessThanAny(az, split)) return big;
        return Vector256.ConditionalSelect(Vector256.LessThan(az, split), Vector256.Create(0.5f) * ErfcSmall(z), big);
    }

    /// <summary>Standard normal CDF Phi(x) per lane given e = ExpNegHalfSquare(x), 256-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> NormCdf(Vector256<float> x, Vector256<float> e)
    {
        Vector256<float> z = x * Vector256.Create(NegInvSqrt2);
        Vector256<float> az = Vector256.Abs(z);
        Vector256<float> split = Vector256.Create(ErfSplit);
        if (Vector256.LessThanAll(az, split)) return Vector256.Create(0.5f) * ErfcSmall(z);
        Vector256<float> big = NormCdfLarge(z, az, e);
        if (!Vector256.LessThanAny(az, split)) return big;
        return Vector256.ConditionalSelect(Vector256.LessThan(az, split), Vector256.Create(0.5f) * ErfcSmall(z), big);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> NormCdfLarge(Vector256<float> z, Vector256<float> az, Vector256<float> e)
    {
        Vector256<float> halfE = Vector256.Create(0.5f) * e * ErfcScaled(az);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<float>.Zero), halfE, Vector256<float>.One - halfE);
    }

    // ---------------- 512-bit ----------------

    /// <summary>c0lo + s Q(s), the small-argument correction term.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfInner(Vector512<float> x)
    {
        Vector512<float> s = x * x;
        Vector512<float> q = Vector512.FusedMultiplyAdd(Vector512.Create(ErfQ4), s, Vector512.Create(ErfQ3));
        q = Vector512.FusedMultiplyAdd(q, s, Vector512.Create(ErfQ2));
        q = Vector512.FusedMultiplyAdd(q, s, Vector512.Create(ErfQ1));
        q = Vector512.FusedMultiplyAdd(q, s, Vector512.Create(ErfQ0));
        return Vector512.FusedMultiplyAdd(s, q, Vector512.Create(ErfC0Lo));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfSmall(Vector512<float> x) => Vector512.FusedMultiplyAdd(x, Vector512.Create(ErfC0Hi), x * ErfInner(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfcSmall(Vector512<float> x) => Vector512.FusedMultiplyAdd(-x, ErfInner(x), Vector512.FusedMultiplyAdd(-x, Vector512.Create(ErfC0Hi), Vector512<float>.One));

    /// <summary>t R(t) = erfc(z) exp(z^2) for z &gt;= 0.5 (clamped at 10.5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfcScaled(Vector512<float> z)
    {
        Vector512<float> t = Vector512<float>.One / (Vector512.Min(z, Vector512.Create(ErfcMaxArg)) + Vector512<float>.One);
        Vector512<float> u = t - Vector512.Create(ErfcCenter);
        Vector512<float> r = Vector512.FusedMultiplyAdd(Vector512.Create(ErfcR10), u, Vector512.Create(ErfcR9));
        r = Vector512.FusedMultiplyAdd(r, u, Vector512.Create(ErfcR8));
        r = Vector512.FusedMultiplyAdd(r, u, Vector512.Create(ErfcR7));
        r = Vector512.FusedMultiplyAdd(r, u, Vector512.Create(ErfcR6));
        r = Vector512.FusedMultiplyAdd(r, u, Vector512.Create(ErfcR5));
        r = Vector512.FusedMultiplyAdd(r, u, Vector512.Create(ErfcR4));
        r = Vector512.FusedMultiplyAdd(r, u, Vector512.Create(ErfcR3));
        r = Vector512.FusedMultiplyAdd(r, u, Vector512.Create(ErfcR2));
        r = Vector512.FusedMultiplyAdd(r, u, Vector512.Create(ErfcR1));
        r = Vector512.FusedMultiplyAdd(r, u, Vector512.Create(ErfcR0));
        return t * r;
    }

    /// <summary>erfc(z) for z &gt;= 0.5 (or NaN); finite but meaningless below.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfcLarge(Vector512<float> z)
    {
        Vector512<float> zc = Vector512.Min(z, Vector512.Create(ErfcMaxArg));
        Vector512<float> hi = zc * zc;
        Vector512<float> lo = Vector512.FusedMultiplyAdd(zc, zc, -hi);
        Vector512<float> e = Exp(-hi);
        return Vector512.FusedMultiplyAdd(-lo, e, e) * ErfcScaled(z);
    }

    /// <summary>exp(-x^2 / 2) with x^2 split exactly, accurate to a few ulp for all x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> ExpNegHalfSquare(Vector512<float> x)
    {
        Vector512<float> xc = Vector512.Min(Vector512.Abs(x), Vector512.Create(20f)); // exp(-200) is 0; keeps lo finite for infinite x
        Vector512<float> hi = xc * xc;
        Vector512<float> lo = Vector512.FusedMultiplyAdd(xc, xc, -hi);
        Vector512<float> e = Exp(Vector512.Create(-0.5f) * hi);
        return Vector512.FusedMultiplyAdd(Vector512.Create(-0.5f) * lo, e, e);
    }

    /// <summary>erf per lane, 512-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Erf(Vector512<float> x)
    {
        Vector512<float> ax = Vector512.Abs(x);
        Vector512<float> split = Vector512.Create(ErfSplit);
        if (Vector512.LessThanAll(ax, split)) return ErfSmall(x);
        Vector512<float> big = Vector512.ConditionalSelect(Vector512.Create(-0f), x, Vector512<float>.One - ErfcLarge(ax));
        if (!Vector512.LessThanAny(ax, split)) return big;
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, split), ErfSmall(x), big);
    }

    /// <summary>erfc per lane, 512-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Erfc(Vector512<float> x)
    {
        Vector512<float> ax = Vector512.Abs(x);
        Vector512<float> split = Vector512.Create(ErfSplit);
        if (Vector512.LessThanAll(ax, split)) return ErfcSmall(x);
        Vector512<float> e = ErfcLarge(ax);
        Vector512<float> big = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), e, Vector512.Create(2f) - e);
        if (!Vector512.LessThanAny(ax, split)) return big;
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, split), ErfcSmall(x), big);
    }

    /// <summary>Standard normal CDF Phi(x) per lane, 512-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> NormCdf(Vector512<float> x)
    {
        Vector512<float> z = x * Vector512.Create(NegInvSqrt2);
        Vector512<float> az = Vector512.Abs(z);
        Vector512<float> split = Vector512.Create(ErfSplit);
        if (Vector512.LessThanAll(az, split)) return Vector512.Create(0.5f) * ErfcSmall(z);
        Vector512<float> big = NormCdfLarge(z, az, ExpNegHalfSquare(x));
        if (!Vector512.LessThanAny(az, split)) return big;
        return Vector512.ConditionalSelect(Vector512.LessThan(az, split), Vector512.Create(0.5f) * ErfcSmall(z), big);
    }

    /// <summary>Standard normal CDF Phi(x) per lane given e = ExpNegHalfSquare(x), 512-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> NormCdf(Vector512<float> x, Vector512<float> e)
    {
        Vector512<float> z = x * Vector512.Create(NegInvSqrt2);
        Vector512<float> az = Vector512.Abs(z);
        Vector512<float> split = Vector512.Create(ErfSplit);
        if (Vector512.LessThanAll(az, split)) return Vector512.Create(0.5f) * ErfcSmall(z);
        Vector512<float> big = NormCdfLarge(z, az, e);
        if (!Vector512.LessThanAny(az, split)) return big;
        return Vector512.ConditionalSelect(Vector512.LessThan(az, split), Vector512.Create(0.5f) * ErfcSmall(z), big);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> NormCdfLarge(Vector512<float> z, Vector512<float> az, Vector512<float> e)
    {
        Vector512<float> halfE = Vector512.Create(0.5f) * e * ErfcScaled(az);
        return Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), halfE, Vector512<float>.One - halfE);
    }
}
