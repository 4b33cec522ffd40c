using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Activations;

/// <summary>
/// sin(pi y) and cos(pi y) for the general (learned-frequency) Fourier loops, with the angle given in half-turns: the
/// loops compute y = x (w / pi) - p / pi in one multiply-add, so the reduction is exact and needs no multiple of pi.
/// </summary>
/// <remarks>
/// m = round(y), r = y - m, exact, |r| &lt;= 1/2 (<see cref="ISimd{TV}.RoundRemainder"/>: one <c>vreduceps</c> on AVX-512); m's
/// parity, for the sign, is bit 0 of y + 1.5*2^23, an addition beside the chain that leads to the polynomials;
/// then near-minimax polynomials on |r| &lt;= 1/2 (<c>scripts/fit-fourier-sincos.py</c> fits them and measures the float
/// evaluation): sin(pi r) = r (S0 + s (S1 + s (S2 + s (S3 + s S4)))), s = r^2, within 2.64 float ulps relative;
/// cos(pi r) = 1 + s (K1 + s (K2 + s (K3 + s K4))), within 1.38e-7 absolute (the fit itself is within 5.3e-8; the
/// rest is float rounding, of the size of the last bit of values near 1).
/// sin(pi y) = (-1)^m sin(pi r), cos(pi y) = (-1)^m cos(pi r): sine and cosine share one sign and need no quadrant
/// selection. Against a reduction of the angle itself modulo pi this saves three multiply-adds a term (the rounding of
/// m, and the two-part product m pi), and trades them for the remainder and one addition; the
/// cosine's degree-8 polynomial saves one more (a degree-10 one is within 2.4e-10, far below the float rounding).
/// The half-turn angle's constants w / pi and p / pi are rounded to float, and the angle once more: the error this adds
/// is of the size of the rounding of the angle w x - p itself in float (torchortho's), a few units in its last place.
/// </remarks>
internal static class FourierSinCos
{
    /// <summary>Largest |y| for which these are used: the sine/cosine fast path's limit, in half-turns.</summary>
    public const float Limit = (float)(Kernels.SinCosKernels.FastPathLimit / Math.PI);

    private const float RoundMagic = SimdFallback.RoundMagic;

    private const float S0 = 3.1415927f, S1 = -5.1677103f, S2 = 2.5500777f, S3 = -0.59829217f, S4 = 0.077659376f;
    private const float K1 = -4.9347954f, K2 = 4.0584507f, K3 = -1.3320938f, K4 = 0.22008055f;

    // r = y - m, exact, and qm = 1.5*2^23 + m. On AVX-512 r is one instruction (vreduceps) and qm, needed only for the
    // sign, is off the chain that leads to the polynomials.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Reduce<TV, TOps>(TV y, out TV qm) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        qm = TOps.Add(y, TOps.Splat(RoundMagic));
        return TOps.RoundRemainder(y);
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
        TV sign = Sign<TV, TOps>(qm);
        TV p = TOps.MulAdd(s, TOps.Splat(S4), TOps.Splat(S3));
        p = TOps.MulAdd(p, s, TOps.Splat(S2));
        p = TOps.MulAdd(p, s, TOps.Splat(S1));
        p = TOps.MulAdd(p, s, TOps.Splat(S0));
        sin = TOps.Mul(p, TOps.Xor(r, sign)); // sin is odd: the sign on r, beside the polynomial
        cos = TOps.Xor(CosPoly<TV, TOps>(s), sign);
    }

    /// <summary>
    /// cos(pi y) of four vectors as two parts, cos(pi y) = cosR ^ sign: cosR = cos(pi r) of the remainder and sign = (-1)^m
    /// as a sign bit. The caller puts the sign on the factor it multiplies cosR by (a coefficient, an upstream gradient),
    /// which is ready long before cosR: the sign's instructions leave the chain that runs from the angle to the sum, and
    /// (-a) * b is -(a * b) exactly, so the bits are those of <see cref="CosPi"/>, but for a NaN's sign: an input NaN
    /// whose payload's lowest bit is set gives NaNs of both signs, and the operand order picks which goes on (tested as
    /// NaN on every width). Each step is taken for all four vectors before the next: the core then always has four
    /// independent instructions at hand instead of one chain of a dozen dependent ones (measured 1.2x in the learned
    /// Fourier loops).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CosPi4<TV, TOps>(TV y0, TV y1, TV y2, TV y3, out TV cosR0, out TV cosR1, out TV cosR2, out TV cosR3,
        out TV sign0, out TV sign1, out TV sign2, out TV sign3)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV r0 = Reduce<TV, TOps>(y0, out TV q0), r1 = Reduce<TV, TOps>(y1, out TV q1);
        TV r2 = Reduce<TV, TOps>(y2, out TV q2), r3 = Reduce<TV, TOps>(y3, out TV q3);
        sign0 = Sign<TV, TOps>(q0); sign1 = Sign<TV, TOps>(q1); sign2 = Sign<TV, TOps>(q2); sign3 = Sign<TV, TOps>(q3);
        TV s0 = TOps.Mul(r0, r0), s1 = TOps.Mul(r1, r1), s2 = TOps.Mul(r2, r2), s3 = TOps.Mul(r3, r3);
        CosPoly4<TV, TOps>(s0, s1, s2, s3, out cosR0, out cosR1, out cosR2, out cosR3);
    }

    /// <summary>
    /// sin(pi y) of four vectors, and cos(pi y) as the two parts of <see cref="CosPi4"/>; step by step as it. The sine's
    /// sign goes on the remainder (sin is odd), beside the square that starts the polynomials; the same bits as
    /// <see cref="SinCosPi"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SinCosPi4<TV, TOps>(TV y0, TV y1, TV y2, TV y3, out TV sin0, out TV sin1, out TV sin2, out TV sin3,
        out TV cosR0, out TV cosR1, out TV cosR2, out TV cosR3, out TV sign0, out TV sign1, out TV sign2, out TV sign3)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV r0 = Reduce<TV, TOps>(y0, out TV q0), r1 = Reduce<TV, TOps>(y1, out TV q1);
        TV r2 = Reduce<TV, TOps>(y2, out TV q2), r3 = Reduce<TV, TOps>(y3, out TV q3);
        TV s0 = TOps.Mul(r0, r0), s1 = TOps.Mul(r1, r1), s2 = TOps.Mul(r2, r2), s3 = TOps.Mul(r3, r3);
        sign0 = Sign<TV, TOps>(q0); sign1 = Sign<TV, TOps>(q1); sign2 = Sign<TV, TOps>(q2); sign3 = Sign<TV, TOps>(q3);
        r0 = TOps.Xor(r0, sign0); r1 = TOps.Xor(r1, sign1); r2 = TOps.Xor(r2, sign2); r3 = TOps.Xor(r3, sign3);
        TV c4 = TOps.Splat(S4), c3 = TOps.Splat(S3);
        TV p0 = TOps.MulAdd(s0, c4, c3), p1 = TOps.MulAdd(s1, c4, c3), p2 = TOps.MulAdd(s2, c4, c3), p3 = TOps.MulAdd(s3, c4, c3);
        TV c = TOps.Splat(S2);
        p0 = TOps.MulAdd(p0, s0, c); p1 = TOps.MulAdd(p1, s1, c); p2 = TOps.MulAdd(p2, s2, c); p3 = TOps.MulAdd(p3, s3, c);
        c = TOps.Splat(S1);
        p0 = TOps.MulAdd(p0, s0, c); p1 = TOps.MulAdd(p1, s1, c); p2 = TOps.MulAdd(p2, s2, c); p3 = TOps.MulAdd(p3, s3, c);
        c = TOps.Splat(S0);
        p0 = TOps.MulAdd(p0, s0, c); p1 = TOps.MulAdd(p1, s1, c); p2 = TOps.MulAdd(p2, s2, c); p3 = TOps.MulAdd(p3, s3, c);
        CosPoly4<TV, TOps>(s0, s1, s2, s3, out cosR0, out cosR1, out cosR2, out cosR3);
        sin0 = TOps.Mul(p0, r0); sin1 = TOps.Mul(p1, r1); sin2 = TOps.Mul(p2, r2); sin3 = TOps.Mul(p3, r3);
    }

    // CosPoly of four vectors, step by step.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CosPoly4<TV, TOps>(TV s0, TV s1, TV s2, TV s3, out TV q0, out TV q1, out TV q2, out TV q3)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV k4 = TOps.Splat(K4), k = TOps.Splat(K3);
        q0 = TOps.MulAdd(s0, k4, k); q1 = TOps.MulAdd(s1, k4, k); q2 = TOps.MulAdd(s2, k4, k); q3 = TOps.MulAdd(s3, k4, k);
        k = TOps.Splat(K2);
        q0 = TOps.MulAdd(q0, s0, k); q1 = TOps.MulAdd(q1, s1, k); q2 = TOps.MulAdd(q2, s2, k); q3 = TOps.MulAdd(q3, s3, k);
        k = TOps.Splat(K1);
        q0 = TOps.MulAdd(q0, s0, k); q1 = TOps.MulAdd(q1, s1, k); q2 = TOps.MulAdd(q2, s2, k); q3 = TOps.MulAdd(q3, s3, k);
        k = TOps.Splat(1f);
        q0 = TOps.MulAdd(q0, s0, k); q1 = TOps.MulAdd(q1, s1, k); q2 = TOps.MulAdd(q2, s2, k); q3 = TOps.MulAdd(q3, s3, k);
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
