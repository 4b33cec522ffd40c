using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

// erf, erfc and the Gaussian CDF in single precision, per lane of any width (see ISimd).
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

    /// <summary>c0lo + s Q(s), the small-argument correction term.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfInner<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV s = TOps.Mul(x, x);
        TV q = TOps.Fma(TOps.Splat(ErfQ4), s, TOps.Splat(ErfQ3));
        q = TOps.Fma(q, s, TOps.Splat(ErfQ2));
        q = TOps.Fma(q, s, TOps.Splat(ErfQ1));
        q = TOps.Fma(q, s, TOps.Splat(ErfQ0));
        return TOps.Fma(s, q, TOps.Splat(ErfC0Lo));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfSmall<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        TOps.Fma(x, TOps.Splat(ErfC0Hi), TOps.Mul(x, ErfInner<TV, TOps>(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfcSmall<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        TOps.Fma(TOps.Neg(x), ErfInner<TV, TOps>(x), TOps.Fma(TOps.Neg(x), TOps.Splat(ErfC0Hi), TOps.Splat(1f)));

    /// <summary>t R(t) = erfc(z) exp(z^2) for z &gt;= 0.5 (clamped at 10.5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfcScaled<TV, TOps>(TV z) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV one = TOps.Splat(1f);
        TV t = TOps.Div(one, TOps.Add(AtMost<TV, TOps>(z, ErfcMaxArg), one));
        TV u = TOps.Sub(t, TOps.Splat(ErfcCenter));
        TV r = TOps.Fma(TOps.Splat(ErfcR10), u, TOps.Splat(ErfcR9));
        r = TOps.Fma(r, u, TOps.Splat(ErfcR8));
        r = TOps.Fma(r, u, TOps.Splat(ErfcR7));
        r = TOps.Fma(r, u, TOps.Splat(ErfcR6));
        r = TOps.Fma(r, u, TOps.Splat(ErfcR5));
        r = TOps.Fma(r, u, TOps.Splat(ErfcR4));
        r = TOps.Fma(r, u, TOps.Splat(ErfcR3));
        r = TOps.Fma(r, u, TOps.Splat(ErfcR2));
        r = TOps.Fma(r, u, TOps.Splat(ErfcR1));
        r = TOps.Fma(r, u, TOps.Splat(ErfcR0));
        return TOps.Mul(t, r);
    }

    /// <summary>erfc(z) for z &gt;= 0.5 (or NaN); finite but meaningless below.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfcLarge<TV, TOps>(TV z) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV zc = AtMost<TV, TOps>(z, ErfcMaxArg);
        TV hi = TOps.Mul(zc, zc);
        TV lo = TOps.Fma(zc, zc, TOps.Neg(hi));
        TV e = Exp<TV, TOps>(TOps.Neg(hi));
        return TOps.Mul(TOps.Fma(TOps.Neg(lo), e, e), ErfcScaled<TV, TOps>(z));
    }

    /// <summary>exp(-x^2 / 2) per lane with x^2 split exactly, accurate to a few ulp for all x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV ExpNegHalfSquare<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV xc = AtMost<TV, TOps>(TOps.Abs(x), 20f); // exp(-200) is 0; keeps lo finite for infinite x
        TV hi = TOps.Mul(xc, xc);
        TV lo = TOps.Fma(xc, xc, TOps.Neg(hi));
        TV e = Exp<TV, TOps>(TOps.Mul(TOps.Splat(-0.5f), hi));
        return TOps.Fma(TOps.Mul(TOps.Splat(-0.5f), lo), e, e);
    }

    /// <summary>Error function erf(x) per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Erf<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV ax = TOps.Abs(x);
        TV split = TOps.Splat(ErfSplit);
        if (TOps.AllLessThan(ax, split)) return ErfSmall<TV, TOps>(x);
        TV big = CopySign<TV, TOps>(TOps.Sub(TOps.Splat(1f), ErfcLarge<TV, TOps>(ax)), x);
        if (!TOps.AnyLessThan(ax, split)) return big;
        return TOps.Select(TOps.LessThan(ax, split), ErfSmall<TV, TOps>(x), big);
    }

    /// <summary>Complementary error function erfc(x) = 1 - erf(x) per lane, accurate for large positive x too.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Erfc<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV ax = TOps.Abs(x);
        TV split = TOps.Splat(ErfSplit);
        if (TOps.AllLessThan(ax, split)) return ErfcSmall<TV, TOps>(x);
        TV e = ErfcLarge<TV, TOps>(ax);
        TV big = TOps.Select(TOps.GreaterThan(x, TOps.Zero), e, TOps.Sub(TOps.Splat(2f), e));
        if (!TOps.AnyLessThan(ax, split)) return big;
        return TOps.Select(TOps.LessThan(ax, split), ErfcSmall<TV, TOps>(x), big);
    }

    /// <summary>Standard normal CDF Phi(x) per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV NormCdf<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV z = TOps.Mul(x, TOps.Splat(NegInvSqrt2));
        TV az = TOps.Abs(z);
        TV split = TOps.Splat(ErfSplit);
        if (TOps.AllLessThan(az, split)) return TOps.Mul(TOps.Splat(0.5f), ErfcSmall<TV, TOps>(z));
        TV big = NormCdfLarge<TV, TOps>(z, az, ExpNegHalfSquare<TV, TOps>(x));
        if (!TOps.AnyLessThan(az, split)) return big;
        return TOps.Select(TOps.LessThan(az, split), TOps.Mul(TOps.Splat(0.5f), ErfcSmall<TV, TOps>(z)), big);
    }

    /// <summary>Standard normal CDF Phi(x) per lane, given e = <see cref="ExpNegHalfSquare{TV, TOps}(TV)"/>(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV NormCdf<TV, TOps>(TV x, TV e) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV z = TOps.Mul(x, TOps.Splat(NegInvSqrt2));
        TV az = TOps.Abs(z);
        TV split = TOps.Splat(ErfSplit);
        if (TOps.AllLessThan(az, split)) return TOps.Mul(TOps.Splat(0.5f), ErfcSmall<TV, TOps>(z));
        TV big = NormCdfLarge<TV, TOps>(z, az, e);
        if (!TOps.AnyLessThan(az, split)) return big;
        return TOps.Select(TOps.LessThan(az, split), TOps.Mul(TOps.Splat(0.5f), ErfcSmall<TV, TOps>(z)), big);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV NormCdfLarge<TV, TOps>(TV z, TV az, TV e) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV halfE = TOps.Mul(TOps.Mul(TOps.Splat(0.5f), e), ErfcScaled<TV, TOps>(az));
        return TOps.Select(TOps.GreaterThan(z, TOps.Zero), halfE, TOps.Sub(TOps.Splat(1f), halfE));
    }
}
