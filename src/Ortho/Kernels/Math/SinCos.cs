using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// Vectorized single-precision sine and cosine computed together (TensorPrimitives' SinCos is not vectorized,
/// and its Sin/Cos compute in double). Accuracy: within about 1.5 ulp of the correctly rounded result, near the
/// zeros too: |x| &lt;= <see cref="FastPathLimit"/> by an all-float reduction, up to <see cref="ReducedPathLimit"/>
/// by a vector reduction in double; beyond that, infinities and NaNs per lane by <see cref="Math.SinCos(double)"/>.
/// </summary>
/// <remarks>
/// Method: q = round(x * 2/pi); r = x - q*pi/2 by a three-part Cody-Waite reduction whose first two parts
/// has 12 significant bits, so q*C1 is an exact product and x - q*C1 exact for |q| &lt; 2^12; with FMA the other two
/// parts are subtracted by fused multiply-adds (one rounding each), without FMA by a second exact 12-bit part and
/// a third. Then near-minimax polynomials on |r| &lt;= pi/4 (sin: 3 terms after r, cos: 4 after 1; both well below
/// half an ulp) and the quadrant q mod 4 chooses and signs them.
/// </remarks>
public static unsafe class SinCosKernels
{
    /// <summary>
    /// Largest |x| of the all-float path (float Cody-Waite reduction): within about 1.5 ulp there. Kernels that know
    /// their arguments stay below it per block use that path alone.
    /// </summary>
    public const float FastPathLimit = 128f;

    /// <summary>Largest |x| of the vector path with the reduction done in double (beyond: scalar <see cref="Math.SinCos(double)"/>).</summary>
    public const float ReducedPathLimit = 4_000_000f;

    private const float TwoOverPi = (float)(2.0 / Math.PI);
    // 1.5 * 2^23: adding it to an integer-valued float |q| < 2^22 leaves q in the low mantissa bits.
    private const float RoundMagic = 12582912f;

    // pi/2 = C1 + C2 + C3, C1 and C2 with 12 significant bits (exact products with |q| < 2^12): C1 = floor(2048 pi/2) / 2048,
    // C2 = floor(2^22 (pi/2 - C1)) / 2^22 (a test recomputes both). Constants, not static fields, so the kernels that are
    // compiled before the class is initialized (AggressiveOptimization) still see them as immediates.
    internal const float C1 = 1.5703125f;
    internal const float C2 = 0.0004837513f;
    private const float C3 = (float)(Math.PI / 2 - (double)C1 - (double)C2);

    // Full-precision second and third parts for the FMA reduction: pi/2 = C1 + C2F + C3F.
    private const float C2F = (float)(Math.PI / 2 - (double)C1);
    private const float C3F = (float)(Math.PI / 2 - (double)C1 - (double)C2F);

    // Near-minimax polynomials on |r| <= pi/4 (fitted offline by iteratively reweighted least squares):
    // sin r = r + r^3 (S1 + r^2 (S2 + r^2 S3)), max relative error 8.3e-9;
    // cos r = 1 + r^2 (-1/2 + r^2 (K2 + r^2 (K3 + r^2 K4))), max relative error 7e-10 (float half-ulp: 6e-8).
    private const float S1 = -0.1666665460955179f, S2 = 0.008332160762039615f, S3 = -0.00019515283213817218f;
    private const float K1 = -0.5f, K2 = 0.04166664686638145f, K3 = -0.001388736751318646f, K4 = 2.443845133700142E-05f;

    /// <summary>sin[i] = sin(x[i]), cos[i] = cos(x[i]). The outputs may alias the input.</summary>
    /// <exception cref="ArgumentException">The spans' lengths differ.</exception>
    public static void SinCos(ReadOnlySpan<float> x, Span<float> sin, Span<float> cos)
    {
        if (sin.Length != x.Length || cos.Length != x.Length)
            throw new ArgumentException($"sin ({sin.Length}) and cos ({cos.Length}) must have the length of x ({x.Length}).");
        fixed (float* px = x, ps = sin, pc = cos)
        {
            var job = new SpanJob { X = px, Sin = ps, Cos = pc, N = x.Length };
            SimdDispatch.Run(ref job);
        }
    }

    private struct SpanJob : ISimdJob
    {
        public float* X, Sin, Cos;
        public int N;

        public static bool HasV128Path => true;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            int i = Loop<TV, TOps>(X, Sin, Cos, N);
            Loop<float, SimdScalar>(X + i, Sin + i, Cos + i, N - i);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Loop<TV, TOps>(float* x, float* s, float* c, int n) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int i = 0;
        for (; i <= n - TOps.Count; i += TOps.Count)
        {
            Eval<TV, TOps>(TOps.Load(x + i), out TV sv, out TV cv);
            TOps.Store(s + i, sv);
            TOps.Store(c + i, cv);
        }
        return i;
    }

    /// <summary>sin and cos of every lane, any argument (the checked building block of the Fourier kernels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Eval<TV, TOps>(TV x, out TV sin, out TV cos) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV ax = TOps.Abs(x);
        if (TOps.AnyGreaterThan(ax, TOps.Splat(ReducedPathLimit)))
        {
            Fallback<TV, TOps>(x, out sin, out cos);
            return;
        }
        if (TOps.AnyGreaterThan(ax, TOps.Splat(FastPathLimit)))
        {
            TV r = HalfPiReduction.Reduce<TV, TOps>(x, out TV q);
            Finish<TV, TOps>(TOps.Add(q, TOps.Splat(RoundMagic)), r, out sin, out cos);
            return;
        }
        EvalUnchecked<TV, TOps>(x, out sin, out cos);
    }

    /// <summary>sin and cos of every lane for |x| &lt;= <see cref="FastPathLimit"/> (the caller guarantees the range; lanes
    /// outside it lose accuracy). No branch, no call: for kernels that bound their arguments per block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void EvalUnchecked<TV, TOps>(TV x, out TV sin, out TV cos) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        // qm = 1.5*2^23 + round(x * 2/pi): adding the magic constant rounds to an integer kept in the low mantissa bits.
        TV qm = TOps.MulAdd(x, TOps.Splat(TwoOverPi), TOps.Splat(RoundMagic));
        TV q = TOps.Sub(qm, TOps.Splat(RoundMagic));
        TV r = TOps.Sub(x, TOps.Mul(q, TOps.Splat(C1)));     // exact (12-bit C1, Sterbenz)
        if (FmaSupport.Hardware)
        {
            // One rounding each: r - q*C2F and then - q*C3F are fused, so their error is half an ulp of the result.
            r = TOps.MulAdd(q, TOps.Splat(-C2F), r);
            r = TOps.MulAdd(q, TOps.Splat(-C3F), r);
        }
        else
        {
            r = TOps.Sub(r, TOps.Mul(q, TOps.Splat(C2)));     // exact (12-bit C2)
            r = TOps.Sub(r, TOps.Mul(q, TOps.Splat(C3)));
        }
        Finish<TV, TOps>(qm, r, out sin, out cos);
    }

    // Polynomials on r (|r| <= pi/4 + rounding) and the quadrant j = q mod 4, read from the low bits of qm = q + 1.5*2^23:
    // bit 0 swaps sin and cos, sin is negated for j = 2, 3 (bit 1), cos for j = 1, 2 (bit 1 xor bit 0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish<TV, TOps>(TV qm, TV r, out TV sin, out TV cos) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV r2 = TOps.Mul(r, r);

        TV ps = TOps.MulAdd(r2, TOps.Splat(S3), TOps.Splat(S2));
        ps = TOps.MulAdd(r2, ps, TOps.Splat(S1));
        TV sr = TOps.MulAdd(TOps.Mul(r, r2), ps, r);

        TV pc = TOps.MulAdd(r2, TOps.Splat(K4), TOps.Splat(K3));
        pc = TOps.MulAdd(r2, pc, TOps.Splat(K2));
        pc = TOps.MulAdd(r2, pc, TOps.Splat(K1));
        TV cr = TOps.MulAdd(r2, pc, TOps.Splat(1f));

        TV bit0 = TOps.ShiftLeftBits(qm, 31);                       // bit 0 in the sign position
        TV swap = TOps.ShiftRightArithmeticBits(bit0, 31);          // all ones where bit 0 is set
        TV sinSign = TOps.And(TOps.ShiftLeftBits(qm, 30), TOps.FromBits(int.MinValue));
        TV cosSign = TOps.Xor(sinSign, bit0);
        sin = TOps.Xor(TOps.Select(swap, cr, sr), sinSign);
        cos = TOps.Xor(TOps.Select(swap, sr, cr), cosSign);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fallback<TV, TOps>(TV x, out TV sin, out TV cos) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        float* bx = stackalloc float[TOps.Count];
        float* bs = stackalloc float[TOps.Count];
        float* bc = stackalloc float[TOps.Count];
        TOps.Store(bx, x);
        TV xs = TOps.Load(bx);
        for (int i = 0; i < TOps.Count; i++)
            if (!(MathF.Abs(bx[i]) <= ReducedPathLimit)) bx[i] = 0f; // keep the vector path in range
        TV r = HalfPiReduction.Reduce<TV, TOps>(TOps.Load(bx), out TV q);
        Finish<TV, TOps>(TOps.Add(q, TOps.Splat(RoundMagic)), r, out TV s, out TV c);
        TOps.Store(bs, s);
        TOps.Store(bc, c);
        TOps.Store(bx, xs);
        for (int i = 0; i < TOps.Count; i++)
        {
            if (MathF.Abs(bx[i]) <= ReducedPathLimit) continue;
            (double ds, double dc) = Math.SinCos(bx[i]);
            bs[i] = (float)ds;
            bc[i] = (float)dc;
        }
        sin = TOps.Load(bs);
        cos = TOps.Load(bc);
    }
}
