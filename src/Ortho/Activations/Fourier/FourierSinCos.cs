using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Activations;

/// <summary>
/// sin(pi y) and cos(pi y) for the general (learned-frequency) Fourier loops, with the angle given in half-turns: the
/// loops compute y = x (w / pi) - p / pi in one multiply-add, so the reduction is exact and needs no multiple of pi.
/// </summary>
/// <remarks>
/// m = round(y) (the 1.5*2^23 rounding trick, which leaves m's parity in bit 0 of the sum); r = y - m, exact, |r| &lt;= 1/2;
/// then near-minimax polynomials on |r| &lt;= 1/2 (<c>scripts/fit-fourier-sincos.py</c> fits them and measures the float
/// evaluation): sin(pi r) = r (S0 + s (S1 + s (S2 + s (S3 + s S4)))), s = r^2, within 2.64 float ulps relative;
/// cos(pi r) = 1 + s (K1 + s (K2 + s (K3 + s K4))), within 1.38e-7 absolute (the fit itself is within 5.3e-8; the
/// rest is float rounding, of the size of the last bit of values near 1).
/// sin(pi y) = (-1)^m sin(pi r), cos(pi y) = (-1)^m cos(pi r): sine and cosine share one sign and need no quadrant
/// selection. Against a reduction of the angle itself modulo pi this saves three multiply-adds a term (the rounding of
/// m, and the two-part product m pi), which are what the loops are bound by, and trades them for two additions; the
/// cosine's degree-8 polynomial saves one more (a degree-10 one is within 2.4e-10, far below the float rounding).
/// The half-turn angle's constants w / pi and p / pi are rounded to float, and the angle once more: the error this adds
/// is of the size of the rounding of the angle w x - p itself in float (torchortho's), a few units in its last place.
/// </remarks>
internal static class FourierSinCos
{
    /// <summary>Largest |y| for which these are used: the sine/cosine fast path's limit, in half-turns.</summary>
    public const float Limit = (float)(Kernels.SinCosKernels.FastPathLimit / Math.PI);

    private const float RoundMagic = 12582912f;

    private const float S0 = 3.1415927f, S1 = -5.1677103f, S2 = 2.5500777f, S3 = -0.59829217f, S4 = 0.077659376f;
    private const float K1 = -4.9347954f, K2 = 4.0584507f, K3 = -1.3320938f, K4 = 0.22008055f;

    // r = y - m, exact, and qm = 1.5*2^23 + m.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Reduce<TV, TOps>(TV y, out TV qm) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        qm = TOps.Add(y, TOps.Splat(RoundMagic));
        return TOps.Sub(y, TOps.Sub(qm, TOps.Splat(RoundMagic)));
    }

    /// <summary>cos(pi y) for |y| &lt;= <see cref="Limit"/> (unchecked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV CosPi<TV, TOps>(TV y) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV r = Reduce<TV, TOps>(y, out TV qm);
        return TOps.Xor(CosPoly<TV, TOps>(TOps.Mul(r, r)), Sign<TV, TOps>(qm));
    }

    /// <summary>sin(pi y) and cos(pi y) for |y| &lt;= <see cref="Limit"/> (unchecked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SinCosPi<TV, TOps>(TV y, out TV sin, out TV cos) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV r = Reduce<TV, TOps>(y, out TV qm);
        TV s = TOps.Mul(r, r);
        TV p = TOps.MulAdd(s, TOps.Splat(S4), TOps.Splat(S3));
        p = TOps.MulAdd(p, s, TOps.Splat(S2));
        p = TOps.MulAdd(p, s, TOps.Splat(S1));
        p = TOps.MulAdd(p, s, TOps.Splat(S0));
        TV sign = Sign<TV, TOps>(qm);
        sin = TOps.Xor(TOps.Mul(p, r), sign);
        cos = TOps.Xor(CosPoly<TV, TOps>(s), sign);
    }

    // cos(pi r) from s = r^2, |r| <= 1/2.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV CosPoly<TV, TOps>(TV s) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV q = TOps.MulAdd(s, TOps.Splat(K4), TOps.Splat(K3));
        q = TOps.MulAdd(q, s, TOps.Splat(K2));
        q = TOps.MulAdd(q, s, TOps.Splat(K1));
        return TOps.MulAdd(q, s, TOps.Splat(1f));
    }

    // (-1)^m as a sign bit: m's parity is bit 0 of qm.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Sign<TV, TOps>(TV qm) where TV : unmanaged where TOps : struct, ISimd<TV> => TOps.ShiftLeftBits(qm, 31);
}
