using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ortho.Kernels;

// erf and erfc in single precision.
// |x| < 0.875:  erf(x) = x P(x^2), P a degree-5 near-minimax fit of erf(sqrt s)/sqrt s (relative error 9e-9).
// |x| >= 0.875: erfc(|x|) = exp(-x^2) t Q(t), t = 1/(1 + |x|/2), Q a degree-8 fit on |x| in [0.875, 10.5]
//               (relative error 6e-9); x^2 is split exactly (hi + lo via FMA) so exp(-x^2) keeps full accuracy.
// erf(x) = sign(x) (1 - erfc|x|) there, and erfc of a negative argument is 2 - erfc|x|, so 1 + erf (the
// Gaussian CDF used by GELU) stays accurate deep in the negative tail.
internal static partial class VMath
{
    private const float ErfSplit = 0.875f;
    private const float ErfcMaxArg = 10.5f; // erfc(10.5) ~ 7e-50: zero in float
    private const float ErfP5 = -0.000621458536198f;
    private const float ErfP4 = 0.0050343706632f;
    private const float ErfP3 = -0.0267929477778f;
    private const float ErfP2 = 0.112824965996f;
    private const float ErfP1 = -0.376125545066f;
    private const float ErfP0 = 1.12837915813f;
    private const float ErfcQ8 = -0.04913531661f;
    private const float ErfcQ7 = 0.2552290936f;
    private const float ErfcQ6 = -0.4529478113f;
    private const float ErfcQ5 = 0.2587632402f;
    private const float ErfcQ4 = -0.0220366541f;
    private const float ErfcQ3 = 0.202985508f;
    private const float ErfcQ2 = 0.2427074506f;
    private const float ErfcQ1 = 0.282451863f;
    private const float ErfcQ0 = 0.2820815777f;

    // ---------------- scalar ----------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ErfSmall(float x)
    {
        float s = x * x;
        float p = MathF.FusedMultiplyAdd(ErfP5, s, ErfP4);
        p = MathF.FusedMultiplyAdd(p, s, ErfP3);
        p = MathF.FusedMultiplyAdd(p, s, ErfP2);
        p = MathF.FusedMultiplyAdd(p, s, ErfP1);
        p = MathF.FusedMultiplyAdd(p, s, ErfP0);
        return x * p;
    }

    /// <summary>erfc(z) for z &gt;= 0.875 (or NaN); finite but meaningless below.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ErfcLarge(float z)
    {
        float zc = MathF.Min(z, ErfcMaxArg);
        float t = 1f / MathF.FusedMultiplyAdd(0.5f, zc, 1f);
        float q = MathF.FusedMultiplyAdd(ErfcQ8, t, ErfcQ7);
        q = MathF.FusedMultiplyAdd(q, t, ErfcQ6);
        q = MathF.FusedMultiplyAdd(q, t, ErfcQ5);
        q = MathF.FusedMultiplyAdd(q, t, ErfcQ4);
        q = MathF.FusedMultiplyAdd(q, t, ErfcQ3);
        q = MathF.FusedMultiplyAdd(q, t, ErfcQ2);
        q = MathF.FusedMultiplyAdd(q, t, ErfcQ1);
        q = MathF.FusedMultiplyAdd(q, t, ErfcQ0);
        float tq = t * q;
        float hi = zc * zc;
        float lo = MathF.FusedMultiplyAdd(zc, zc, -hi);
        tq = MathF.FusedMultiplyAdd(-lo, tq, tq);
        return Exp(-hi) * tq;
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
        if (ax < ErfSplit) return 1f - ErfSmall(x);
        float e = ErfcLarge(ax);
        return x > 0f ? e : 2f - e;
    }

    // ---------------- 256-bit ----------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfSmall(Vector256<float> x)
    {
        Vector256<float> s = x * x;
        Vector256<float> p = Vector256.FusedMultiplyAdd(Vector256.Create(ErfP5), s, Vector256.Create(ErfP4));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(ErfP3));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(ErfP2));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(ErfP1));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(ErfP0));
        return x * p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfcLarge(Vector256<float> z)
    {
        Vector256<float> zc = Vector256.Min(z, Vector256.Create(ErfcMaxArg));
        Vector256<float> t = Vector256<float>.One / Vector256.FusedMultiplyAdd(Vector256.Create(0.5f), zc, Vector256<float>.One);
        Vector256<float> q = Vector256.FusedMultiplyAdd(Vector256.Create(ErfcQ8), t, Vector256.Create(ErfcQ7));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(ErfcQ6));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(ErfcQ5));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(ErfcQ4));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(ErfcQ3));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(ErfcQ2));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(ErfcQ1));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(ErfcQ0));
        Vector256<float> tq = t * q;
        Vector256<float> hi = zc * zc;
        Vector256<float> lo = Vector256.FusedMultiplyAdd(zc, zc, -hi);
        tq = Vector256.FusedMultiplyAdd(-lo, tq, tq);
        return Exp(-hi) * tq;
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
        if (Vector256.LessThanAll(ax, split)) return Vector256<float>.One - ErfSmall(x);
        Vector256<float> e = ErfcLarge(ax);
        Vector256<float> big = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), e, Vector256.Create(2f) - e);
        if (!Vector256.LessThanAny(ax, split)) return big;
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, split), Vector256<float>.One - ErfSmall(x), big);
    }

    // ---------------- 512-bit ----------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfSmall(Vector512<float> x)
    {
        Vector512<float> s = x * x;
        Vector512<float> p = Vector512.FusedMultiplyAdd(Vector512.Create(ErfP5), s, Vector512.Create(ErfP4));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(ErfP3));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(ErfP2));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(ErfP1));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(ErfP0));
        return x * p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfcLarge(Vector512<float> z)
    {
        Vector512<float> zc = Vector512.Min(z, Vector512.Create(ErfcMaxArg));
        Vector512<float> t = Vector512<float>.One / Vector512.FusedMultiplyAdd(Vector512.Create(0.5f), zc, Vector512<float>.One);
        Vector512<float> q = Vector512.FusedMultiplyAdd(Vector512.Create(ErfcQ8), t, Vector512.Create(ErfcQ7));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(ErfcQ6));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(ErfcQ5));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(ErfcQ4));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(ErfcQ3));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(ErfcQ2));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(ErfcQ1));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(ErfcQ0));
        Vector512<float> tq = t * q;
        Vector512<float> hi = zc * zc;
        Vector512<float> lo = Vector512.FusedMultiplyAdd(zc, zc, -hi);
        tq = Vector512.FusedMultiplyAdd(-lo, tq, tq);
        return Exp(-hi) * tq;
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
        if (Vector512.LessThanAll(ax, split)) return Vector512<float>.One - ErfSmall(x);
        Vector512<float> e = ErfcLarge(ax);
        Vector512<float> big = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), e, Vector512.Create(2f) - e);
        if (!Vector512.LessThanAny(ax, split)) return big;
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, split), Vector512<float>.One - ErfSmall(x), big);
    }
}
