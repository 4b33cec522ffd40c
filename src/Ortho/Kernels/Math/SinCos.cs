using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Ortho.Activations;

namespace Ortho.Kernels;

/// <summary>
/// Vectorized single-precision sine and cosine computed together (TensorPrimitives' SinCos is not vectorized,
/// and its Sin/Cos compute in double). Accuracy: within about 1-2 ulp (absolute error below ~1.2e-7 near the
/// zeros) for |x| &lt;= <see cref="FastPathLimit"/>; lanes beyond that limit, infinities and NaNs go through
/// <see cref="Math.SinCos(double)"/> in double, so the result is always the correctly rounded-or-close value.
/// </summary>
/// <remarks>
/// Method: q = round(x * 2/pi); r = x - q*pi/2 by a three-part Cody-Waite reduction whose first two parts
/// have 12 significant bits, so q*C1 and q*C2 are exact products and both subtractions are exact without
/// FMA for |q| &lt; 2^12; then Taylor polynomials on |r| &lt;= pi/4 (sin to r^9, cos to r^10, truncation error
/// below 0.05 ulp) and the quadrant q mod 4 chooses and signs them.
/// </remarks>
public static unsafe class SinCosKernels
{
    /// <summary>Largest |x| handled by the vector polynomial path; larger lanes use the scalar double fallback.</summary>
    public const float FastPathLimit = 6000f;

    private const float TwoOverPi = (float)(2.0 / Math.PI);
    // 1.5 * 2^23: adding it to an integer-valued float |q| < 2^22 leaves q in the low mantissa bits.
    private const float RoundMagic = 12582912f;

    // pi/2 = C1 + C2 + C3, C1 and C2 with 12 significant bits (exact products with |q| < 2^12).
    private static readonly float C1 = (float)(Math.Floor(Math.PI / 2 * 2048.0) / 2048.0);
    private static readonly float C2 = (float)(Math.Floor((Math.PI / 2 - Math.Floor(Math.PI / 2 * 2048.0) / 2048.0) * 4194304.0) / 4194304.0);
    private static readonly float C3 = (float)(Math.PI / 2 - (double)C1 - (double)C2);

    // Taylor coefficients: sin r = r + r^3 (S1 + r^2 (S2 + r^2 (S3 + r^2 S4))), cos r = 1 + r^2 (K1 + ... + r^8 K5).
    private const float S1 = (float)(-1.0 / 6), S2 = (float)(1.0 / 120), S3 = (float)(-1.0 / 5040), S4 = (float)(1.0 / 362880);
    private const float K1 = -0.5f, K2 = (float)(1.0 / 24), K3 = (float)(-1.0 / 720), K4 = (float)(1.0 / 40320), K5 = (float)(-1.0 / 3628800);

    /// <summary>sin[i] = sin(x[i]), cos[i] = cos(x[i]). The outputs may alias the input.</summary>
    /// <exception cref="ArgumentException">The spans' lengths differ.</exception>
    public static void SinCos(ReadOnlySpan<float> x, Span<float> sin, Span<float> cos) => SinCos(x, sin, cos, SimdWidth.Auto);

    internal static void SinCos(ReadOnlySpan<float> x, Span<float> sin, Span<float> cos, SimdWidth width)
    {
        if (sin.Length != x.Length || cos.Length != x.Length)
            throw new ArgumentException($"sin ({sin.Length}) and cos ({cos.Length}) must have the length of x ({x.Length}).");
        fixed (float* px = x, ps = sin, pc = cos)
        {
            int n = x.Length, i = 0;
            switch (SimdSupport.Resolve(width))
            {
                case SimdWidth.V512: i = Loop<Vector512<float>, Simd512>(px, ps, pc, n); break;
                case SimdWidth.V256: i = Loop<Vector256<float>, Simd256>(px, ps, pc, n); break;
                case SimdWidth.V128: i = Loop<Vector128<float>, Simd128>(px, ps, pc, n); break;
            }
            Loop<float, SimdScalar>(px + i, ps + i, pc + i, n - i);
        }
    }

    private static int Loop<TV, TS>(float* x, float* s, float* c, int n) where TV : unmanaged where TS : ISimd<TV>
    {
        int i = 0;
        for (; i <= n - TS.Count; i += TS.Count)
        {
            Eval<TV, TS>(TS.Load(x + i), out TV sv, out TV cv);
            TS.Store(s + i, sv);
            TS.Store(c + i, cv);
        }
        return i;
    }

    /// <summary>sin and cos of every lane (the building block of the Fourier kernels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Eval<TV, TS>(TV x, out TV sin, out TV cos) where TV : unmanaged where TS : ISimd<TV>
    {
        if (TS.AnyGreaterThan(TS.Abs(x), TS.Splat(FastPathLimit)))
        {
            Fallback<TV, TS>(x, out sin, out cos);
            return;
        }
        EvalUnchecked<TV, TS>(x, out sin, out cos);
    }

    /// <summary>sin and cos of every lane for |x| &lt;= <see cref="FastPathLimit"/> (the caller guarantees the range; lanes
    /// outside it get wrong values). No branch, no call: for kernels that bound their arguments per block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void EvalUnchecked<TV, TS>(TV x, out TV sin, out TV cos) where TV : unmanaged where TS : ISimd<TV>
    {
        TV q = TS.Round(TS.Mul(x, TS.Splat(TwoOverPi)));
        TV r = TS.Sub(x, TS.Mul(q, TS.Splat(C1)));     // exact
        r = TS.Sub(r, TS.Mul(q, TS.Splat(C2)));         // exact
        r = TS.Sub(r, TS.Mul(q, TS.Splat(C3)));
        TV r2 = TS.Mul(r, r);

        TV ps = TS.Fma(r2, TS.Splat(S4), TS.Splat(S3));
        ps = TS.Fma(r2, ps, TS.Splat(S2));
        ps = TS.Fma(r2, ps, TS.Splat(S1));
        TV sr = TS.Fma(TS.Mul(r, r2), ps, r);

        TV pc = TS.Fma(r2, TS.Splat(K5), TS.Splat(K4));
        pc = TS.Fma(r2, pc, TS.Splat(K3));
        pc = TS.Fma(r2, pc, TS.Splat(K2));
        pc = TS.Fma(r2, pc, TS.Splat(K1));
        TV cr = TS.Fma(r2, pc, TS.Splat(1f));

        // Quadrant j = q mod 4 from the low mantissa bits of q + 1.5*2^23.
        TV qm = TS.Add(q, TS.Splat(RoundMagic));
        TV noSwap = TS.Equal(TS.And(qm, TS.FromBits(1)), TS.Splat(0f));
        TV sinSign = TS.ShiftLeftBits(TS.And(qm, TS.FromBits(2)), 30);
        TV cosSign = TS.ShiftLeftBits(TS.And(TS.Add(qm, TS.Splat(1f)), TS.FromBits(2)), 30);
        sin = TS.Xor(TS.Select(noSwap, sr, cr), sinSign);
        cos = TS.Xor(TS.Select(noSwap, cr, sr), cosSign);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fallback<TV, TS>(TV x, out TV sin, out TV cos) where TV : unmanaged where TS : ISimd<TV>
    {
        float* bx = stackalloc float[TS.Count];
        float* bs = stackalloc float[TS.Count];
        float* bc = stackalloc float[TS.Count];
        TS.Store(bx, x);
        TV xs = TS.Load(bx);
        for (int i = 0; i < TS.Count; i++)
            if (!(MathF.Abs(bx[i]) <= FastPathLimit)) bx[i] = 0f; // keep the fast path in range
        EvalUnchecked<TV, TS>(TS.Load(bx), out TV s, out TV c);
        TS.Store(bs, s);
        TS.Store(bc, c);
        TS.Store(bx, xs);
        for (int i = 0; i < TS.Count; i++)
        {
            if (MathF.Abs(bx[i]) <= FastPathLimit) continue;
            (double ds, double dc) = Math.SinCos(bx[i]);
            bs[i] = (float)ds;
            bc[i] = (float)dc;
        }
        sin = TS.Load(bs);
        cos = TS.Load(bc);
    }
}
