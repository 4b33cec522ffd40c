using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Activations;

/// <summary>
/// Sine and cosine for the general (learned-frequency) Fourier loops when every argument of a block is within
/// <see cref="Kernels.SinCosKernels.FastPathLimit"/>: a reduction modulo pi instead of pi/2, so that sin and cos share
/// one sign, (-1)^m, and need no quadrant selection.
/// </summary>
/// <remarks>
/// m = round(a / pi) (the 1.5*2^23 rounding trick, which leaves m's parity in bit 0 of the sum); r = a - m pi by a
/// Cody-Waite reduction (with hardware FMA: float(pi) then the rest, the first step exact; without: three parts, the
/// first two with 12 significant bits so their products and differences are exact);
/// then near-minimax polynomials on |r| &lt;= pi/2 (fitted offline by Lawson's iteratively reweighted least squares):
/// sin r = r + r^3 (S1 + s (S2 + s (S3 + s S4))), s = r^2, within about 1 ulp relative;
/// cos r = 1 + s (K1 + s (K2 + s (K3 + s (K4 + s K5)))), within about 1e-7 absolute.
/// sin a = (-1)^m sin r, cos a = (-1)^m cos r.
/// </remarks>
internal static class FourierSinCos
{
    private const float InvPi = (float)(1.0 / Math.PI);
    private const float RoundMagic = 12582912f;

    // pi = P1 + P2 + P3 with P1 and P2 of 12 significant bits (P1 = pi truncated to 12 bits, P2 the next 12; a test
    // recomputes them); constants so that kernels compiled before this class is initialized still use immediates.
    internal const float P1 = 3.140625f;
    internal const float P2 = 0.0009675026f;
    private const float P3 = (float)(Math.PI - (double)P1 - (double)P2);
    private const float PF1 = (float)Math.PI;
    private const float PF2 = (float)(Math.PI - (double)PF1);

    private const float S1 = -0.1666666f, S2 = 0.0083330665f, S3 = -0.00019809602f, S4 = 2.6057805E-06f;
    private const float K1 = -0.5f, K2 = 0.04166664f, K3 = -0.0013888407f, K4 = 2.4762088E-05f, K5 = -2.6080406E-07f;

    // r = a - m pi and qm = 1.5*2^23 + m.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Reduce<TV, TOps>(TV a, out TV qm) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        qm = TOps.MulAdd(a, TOps.Splat(InvPi), TOps.Splat(RoundMagic));
        TV m = TOps.Sub(qm, TOps.Splat(RoundMagic));
        TV r;
        if (FmaSupport.Hardware)
        {
            // PF1 = float(pi) is a multiple of 2^-22, and so is a when |a| >= 2 (for |a| < 2, |m| <= 1 and a is a multiple
            // of 2^-23): a - m*PF1 (|.| < 2) is representable, so the fused product-difference is exact. The residue of
            // pi - PF1 - PF2 (~3.6e-15) times |m| <= 41 stays below 2e-13 absolute.
            r = TOps.MulAdd(m, TOps.Splat(-PF1), a);
            r = TOps.MulAdd(m, TOps.Splat(-PF2), r);
        }
        else
        {
            r = TOps.Sub(a, TOps.Mul(m, TOps.Splat(P1)));   // exact (12-bit P1)
            r = TOps.Sub(r, TOps.Mul(m, TOps.Splat(P2)));   // exact (12-bit P2)
            r = TOps.Sub(r, TOps.Mul(m, TOps.Splat(P3)));
        }
        return r;
    }

    /// <summary>cos a for |a| &lt;= <see cref="Kernels.SinCosKernels.FastPathLimit"/> (unchecked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Cos<TV, TOps>(TV a) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV r = Reduce<TV, TOps>(a, out TV qm);
        TV s = TOps.Mul(r, r);
        TV q = TOps.MulAdd(s, TOps.Splat(K5), TOps.Splat(K4));
        q = TOps.MulAdd(q, s, TOps.Splat(K3));
        q = TOps.MulAdd(q, s, TOps.Splat(K2));
        q = TOps.MulAdd(q, s, TOps.Splat(K1));
        TV c = TOps.MulAdd(q, s, TOps.Splat(1f));
        return TOps.Xor(c, TOps.ShiftLeftBits(qm, 31));
    }

    /// <summary>sin a and cos a for |a| &lt;= <see cref="Kernels.SinCosKernels.FastPathLimit"/> (unchecked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SinCos<TV, TOps>(TV a, out TV sin, out TV cos) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV r = Reduce<TV, TOps>(a, out TV qm);
        TV s = TOps.Mul(r, r);
        TV p = TOps.MulAdd(s, TOps.Splat(S4), TOps.Splat(S3));
        p = TOps.MulAdd(p, s, TOps.Splat(S2));
        p = TOps.MulAdd(p, s, TOps.Splat(S1));
        TV sr = TOps.MulAdd(TOps.Mul(r, s), p, r);
        TV q = TOps.MulAdd(s, TOps.Splat(K5), TOps.Splat(K4));
        q = TOps.MulAdd(q, s, TOps.Splat(K3));
        q = TOps.MulAdd(q, s, TOps.Splat(K2));
        q = TOps.MulAdd(q, s, TOps.Splat(K1));
        TV cr = TOps.MulAdd(q, s, TOps.Splat(1f));
        TV sign = TOps.ShiftLeftBits(qm, 31);
        sin = TOps.Xor(sr, sign);
        cos = TOps.Xor(cr, sign);
    }
}
