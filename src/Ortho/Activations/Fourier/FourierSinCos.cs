using System.Runtime.CompilerServices;

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

    private static readonly float P1 = (float)Split(Math.PI, 12);
    private static readonly float P2 = (float)Split(Math.PI - Split(Math.PI, 12), 12);
    private static readonly float P3 = (float)(Math.PI - (double)P1 - (double)P2);
    private const float PF1 = (float)Math.PI;
    private static readonly float PF2 = (float)(Math.PI - (double)PF1);

    private const float S1 = -0.1666666f, S2 = 0.0083330665f, S3 = -0.00019809602f, S4 = 2.6057805E-06f;
    private const float K1 = -0.5f, K2 = 0.04166664f, K3 = -0.0013888407f, K4 = 2.4762088E-05f, K5 = -2.6080406E-07f;

    // v truncated to its leading `bits` significant bits (v > 0).
    private static double Split(double v, int bits)
    {
        double scale = Math.Pow(2, bits - 1 - Math.Floor(Math.Log2(v)));
        return Math.Floor(v * scale) / scale;
    }

    // r = a - m pi and qm = 1.5*2^23 + m.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Reduce<TV, TS>(TV a, out TV qm) where TV : unmanaged where TS : ISimd<TV>
    {
        qm = TS.Fma(a, TS.Splat(InvPi), TS.Splat(RoundMagic));
        TV m = TS.Sub(qm, TS.Splat(RoundMagic));
        TV r;
        if (FmaSupport.Hardware)
        {
            // PF1 = float(pi) is a multiple of 2^-22, and so is a when |a| >= 2 (for |a| < 2, |m| <= 1 and a is a multiple
            // of 2^-23): a - m*PF1 (|.| < 2) is representable, so the fused product-difference is exact. The residue of
            // pi - PF1 - PF2 (~3.6e-15) times |m| <= 41 stays below 2e-13 absolute.
            r = TS.Fma(m, TS.Splat(-PF1), a);
            r = TS.Fma(m, TS.Splat(-PF2), r);
        }
        else
        {
            r = TS.Sub(a, TS.Mul(m, TS.Splat(P1)));   // exact (12-bit P1)
            r = TS.Sub(r, TS.Mul(m, TS.Splat(P2)));   // exact (12-bit P2)
            r = TS.Sub(r, TS.Mul(m, TS.Splat(P3)));
        }
        return r;
    }

    /// <summary>cos a for |a| &lt;= <see cref="Kernels.SinCosKernels.FastPathLimit"/> (unchecked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Cos<TV, TS>(TV a) where TV : unmanaged where TS : ISimd<TV>
    {
        TV r = Reduce<TV, TS>(a, out TV qm);
        TV s = TS.Mul(r, r);
        TV q = TS.Fma(s, TS.Splat(K5), TS.Splat(K4));
        q = TS.Fma(q, s, TS.Splat(K3));
        q = TS.Fma(q, s, TS.Splat(K2));
        q = TS.Fma(q, s, TS.Splat(K1));
        TV c = TS.Fma(q, s, TS.Splat(1f));
        return TS.Xor(c, TS.ShiftLeftBits(qm, 31));
    }

    /// <summary>sin a and cos a for |a| &lt;= <see cref="Kernels.SinCosKernels.FastPathLimit"/> (unchecked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SinCos<TV, TS>(TV a, out TV sin, out TV cos) where TV : unmanaged where TS : ISimd<TV>
    {
        TV r = Reduce<TV, TS>(a, out TV qm);
        TV s = TS.Mul(r, r);
        TV p = TS.Fma(s, TS.Splat(S4), TS.Splat(S3));
        p = TS.Fma(p, s, TS.Splat(S2));
        p = TS.Fma(p, s, TS.Splat(S1));
        TV sr = TS.Fma(TS.Mul(r, s), p, r);
        TV q = TS.Fma(s, TS.Splat(K5), TS.Splat(K4));
        q = TS.Fma(q, s, TS.Splat(K3));
        q = TS.Fma(q, s, TS.Splat(K2));
        q = TS.Fma(q, s, TS.Splat(K1));
        TV cr = TS.Fma(q, s, TS.Splat(1f));
        TV sign = TS.ShiftLeftBits(qm, 31);
        sin = TS.Xor(sr, sign);
        cos = TS.Xor(cr, sign);
    }
}
