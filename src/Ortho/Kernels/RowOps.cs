using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// Reductions and maps over one contiguous row of floats, written once over <see cref="ISimd{TV}"/> and called from
/// kernels already dispatched to a width (<see cref="SimdDispatch"/>).
/// </summary>
/// <remarks>
/// <para><b>Row kernels</b> (normalization, softmax, cross-entropy, optimizers): the functions without "Padded" in their
/// description run in <see cref="SimdLoop"/>'s order (vectors of the width, a Vector256 step after Vector512, then
/// scalars), so a row's result depends only on its data and the width. Their multiply-adds are always fused
/// (<see cref="ISimd{TV}.Fma"/>).</para>
/// <para><b>Attention tiles</b>: <see cref="MaxPadded{TV, TOps}"/>, <see cref="ExpScaleShift{TV, TOps}"/>,
/// <see cref="ExpScaleShiftNoSum{TV, TOps}"/> and <see cref="SoftmaxGrad{TV, TOps}"/> treat the last partial vector with a
/// lane mask, so their rows must be readable and writable up to n rounded up to the vector width (the tiles are 64
/// floats wide; masked lanes may hold any bits, NaN included). They use the fast forms: <see cref="FastExp"/>,
/// <see cref="ISimd{TV}.MulAdd"/> and <see cref="ISimd{TV}.MaxNative"/>.</para>
/// </remarks>
internal static unsafe class RowOps
{
    /// <summary>Sum of x[0..n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum<TV, TOps>(float* x, int n) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        SimdLoop.Sum<TV, TOps, SumFold>(new SumFold { X = x }, n);

    /// <summary>Sum of (x - m)^2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumSquaredDeviations<TV, TOps>(float* x, int n, float m) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        SimdLoop.Sum<TV, TOps, SquaredDeviationFold>(new SquaredDeviationFold { X = x, M = m }, n);

    /// <summary>Sum of a[i] * b[i] (one accumulator per width, fused multiply-adds).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot<TV, TOps>(float* a, float* b, int n) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        SimdLoop.Sum<TV, TOps, DotFold>(new DotFold { A = a, B = b }, n);

    /// <summary>Maximum of x[0..n) (NaN propagates; n &gt;= 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max<TV, TOps>(float* x, int n) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        SimdLoop.Max<TV, TOps, MaxFold>(new MaxFold { X = x }, n);

    /// <summary>Maximum of |x[i]| (0 for n = 0; NaN if an element is NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAbs<TV, TOps>(float* x, int n) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        MathF.Max(0f, SimdLoop.Max<TV, TOps, MaxAbsFold>(new MaxAbsFold { X = x }, n));

    /// <summary>Sum of exp(x - shift) (<see cref="VMath.Exp{TV, TOps}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumExp<TV, TOps>(float* x, int n, float shift) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        SimdLoop.Sum<TV, TOps, ExpFold>(new ExpFold { X = x, Shift = shift }, n);

    /// <summary>y = exp(x - shift) (y may equal x); returns the sum of y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ExpStore<TV, TOps>(float* x, float* y, int n, float shift) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        SimdLoop.Sum<TV, TOps, ExpStoreFold>(new ExpStoreFold { X = x, Y = y, Shift = shift }, n);

    /// <summary>y /= d.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Divide<TV, TOps>(float* y, int n, float d) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        SimdLoop.Map<TV, TOps, DivideStep>(new DivideStep { Y = y, D = d }, n);

    /// <summary>dst += src.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddInto<TV, TOps>(float* dst, float* src, int n) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        SimdLoop.Map<TV, TOps, AddStep>(new AddStep { Dst = dst, Src = src }, n);

    /// <summary>
    /// dst[j] += src[r * stride + j] over the rows r = 0, 1, ..., rows - 1 in order, for j in [0, n): column sums of a
    /// row-major block. Each column's sum stays in a register over all rows (8 vectors of columns at a time), so no
    /// add waits on the previous row's store, and threads that sum adjacent column ranges never write one cache line
    /// of dst row after row. The same bits as adding the rows one by one with <see cref="AddInto{TV, TOps}"/>.
    /// </summary>
    public static void AddColumnSums<TV, TOps>(float* dst, float* src, int rows, nint stride, int n) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int w = TOps.Count, j = 0;
        for (; j + 8 * w <= n; j += 8 * w) AddColumnSums8<TV, TOps>(dst + j, src + j, rows, stride);
        for (; j + w <= n; j += w)
        {
            TV acc = TOps.Load(dst + j);
            float* s = src + j;
            for (int r = 0; r < rows; r++, s += stride) acc = TOps.Add(acc, TOps.Load(s));
            TOps.Store(dst + j, acc);
        }
        for (; j < n; j++)
        {
            float acc = dst[j];
            float* s = src + j;
            for (int r = 0; r < rows; r++, s += stride) acc += *s;
            dst[j] = acc;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddColumnSums8<TV, TOps>(float* d, float* s, int rows, nint stride) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int w = TOps.Count;
        TV a0 = TOps.Load(d), a1 = TOps.Load(d + w), a2 = TOps.Load(d + 2 * w), a3 = TOps.Load(d + 3 * w);
        TV a4 = TOps.Load(d + 4 * w), a5 = TOps.Load(d + 5 * w), a6 = TOps.Load(d + 6 * w), a7 = TOps.Load(d + 7 * w);
        for (int r = 0; r < rows; r++, s += stride)
        {
            a0 = TOps.Add(a0, TOps.Load(s)); a1 = TOps.Add(a1, TOps.Load(s + w));
            a2 = TOps.Add(a2, TOps.Load(s + 2 * w)); a3 = TOps.Add(a3, TOps.Load(s + 3 * w));
            a4 = TOps.Add(a4, TOps.Load(s + 4 * w)); a5 = TOps.Add(a5, TOps.Load(s + 5 * w));
            a6 = TOps.Add(a6, TOps.Load(s + 6 * w)); a7 = TOps.Add(a7, TOps.Load(s + 7 * w));
        }
        TOps.Store(d, a0); TOps.Store(d + w, a1); TOps.Store(d + 2 * w, a2); TOps.Store(d + 3 * w, a3);
        TOps.Store(d + 4 * w, a4); TOps.Store(d + 5 * w, a5); TOps.Store(d + 6 * w, a6); TOps.Store(d + 7 * w, a7);
    }

    /// <summary>dst += src * s (fast multiply-adds, <see cref="ISimd{TV}.MulAdd"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled<TV, TOps>(float* dst, float* src, int n, float s) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        SimdLoop.Map<TV, TOps, AddScaledStep>(new AddScaledStep { Dst = dst, Src = src, S = s }, n);

    /// <summary>dst = src * s (dst may equal src).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleTo<TV, TOps>(float* dst, float* src, int n, float s) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        SimdLoop.Map<TV, TOps, ScaleStep>(new ScaleStep { Dst = dst, Src = src, S = s }, n);

    /// <summary>Padded: maximum of p[0..n), n &gt;= 1, the last partial vector masked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxPadded<TV, TOps>(float* p, int n) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int w = TOps.Count, j = 0;
        TV ninf = TOps.Splat(float.NegativeInfinity), vm = ninf;
        for (; j + w <= n; j += w) vm = TOps.MaxNative(vm, TOps.Load(p + j));
        if (j < n) vm = TOps.MaxNative(vm, TOps.Select(TOps.FirstLanes(n - j), TOps.Load(p + j), ninf));
        return TOps.MaxLanes(vm);
    }

    /// <summary>Padded: p[j] = exp(p[j] * scale - shift) for j &lt; n, returning the sum; p[n..zeroTo) = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ExpScaleShift<TV, TOps>(float* p, int n, int zeroTo, float scale, float shift) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int w = TOps.Count, j = 0;
        TV vs = TOps.Zero, vsc = TOps.Splat(scale), vsh = TOps.Splat(-shift);
        for (; j + w <= n; j += w)
        {
            TV e = FastExp.Exp<TV, TOps>(TOps.MulAdd(TOps.Load(p + j), vsc, vsh));
            TOps.Store(p + j, e);
            vs = TOps.Add(vs, e);
        }
        if (j < n)
        {
            TV e = TOps.Select(TOps.FirstLanes(n - j), FastExp.Exp<TV, TOps>(TOps.MulAdd(TOps.Load(p + j), vsc, vsh)), TOps.Zero);
            TOps.Store(p + j, e);
            vs = TOps.Add(vs, e);
            j += w;
        }
        ZeroFrom<TV, TOps>(p, j, zeroTo);
        return TOps.Sum(vs);
    }

    /// <summary>Padded: p[j] = exp(p[j] * scale - shift) for j &lt; n; p[n..zeroTo) = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ExpScaleShiftNoSum<TV, TOps>(float* p, int n, int zeroTo, float scale, float shift) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int w = TOps.Count, j = 0;
        TV vsc = TOps.Splat(scale), vsh = TOps.Splat(-shift);
        for (; j + w <= n; j += w) TOps.Store(p + j, FastExp.Exp<TV, TOps>(TOps.MulAdd(TOps.Load(p + j), vsc, vsh)));
        if (j < n)
        {
            TOps.Store(p + j, TOps.Select(TOps.FirstLanes(n - j), FastExp.Exp<TV, TOps>(TOps.MulAdd(TOps.Load(p + j), vsc, vsh)), TOps.Zero));
            j += w;
        }
        ZeroFrom<TV, TOps>(p, j, zeroTo);
    }

    /// <summary>Padded: d[j] = p[j] * (d[j] - sub) * scale for j &lt; n; d[n..zeroTo) = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SoftmaxGrad<TV, TOps>(float* d, float* p, int n, int zeroTo, float sub, float scale) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int w = TOps.Count, j = 0;
        TV vsub = TOps.Splat(sub), vsc = TOps.Splat(scale);
        for (; j + w <= n; j += w) TOps.Store(d + j, TOps.Mul(TOps.Mul(TOps.Load(p + j), TOps.Sub(TOps.Load(d + j), vsub)), vsc));
        if (j < n)
        {
            TV v = TOps.Mul(TOps.Mul(TOps.Load(p + j), TOps.Sub(TOps.Load(d + j), vsub)), vsc);
            TOps.Store(d + j, TOps.Select(TOps.FirstLanes(n - j), v, TOps.Zero));
            j += w;
        }
        ZeroFrom<TV, TOps>(d, j, zeroTo);
    }

    /// <summary>Sum of a[j] * b[j] with two accumulators (fast multiply-adds) combined in a fixed order, then a plain scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float DotPair<TV, TOps>(float* a, float* b, int n) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int w = TOps.Count, j = 0;
        TV s0 = TOps.Zero, s1 = TOps.Zero;
        for (; j + 2 * w <= n; j += 2 * w)
        {
            s0 = TOps.MulAdd(TOps.Load(a + j), TOps.Load(b + j), s0);
            s1 = TOps.MulAdd(TOps.Load(a + j + w), TOps.Load(b + j + w), s1);
        }
        for (; j + w <= n; j += w) s0 = TOps.MulAdd(TOps.Load(a + j), TOps.Load(b + j), s0);
        float s = TOps.Sum(TOps.Add(s0, s1));
        for (; j < n; j++) s += a[j] * b[j];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ZeroFrom<TV, TOps>(float* p, int j, int end) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int w = TOps.Count;
        for (; j + w <= end; j += w) TOps.Store(p + j, TOps.Zero);
        for (; j < end; j++) p[j] = 0f;
    }

    private struct SumFold : ISimdFold
    {
        public float* X;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TV Step<TV, TOps>(TV acc, nint i) where TV : unmanaged where TOps : struct, ISimd<TV> => TOps.Add(acc, TOps.Load(X + i));
    }

    private struct SquaredDeviationFold : ISimdFold
    {
        public float* X;
        public float M;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TV Step<TV, TOps>(TV acc, nint i) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV d = TOps.Sub(TOps.Load(X + i), TOps.Splat(M));
            return TOps.Fma(d, d, acc);
        }
    }

    private struct DotFold : ISimdFold
    {
        public float* A, B;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TV Step<TV, TOps>(TV acc, nint i) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Fma(TOps.Load(A + i), TOps.Load(B + i), acc);
    }

    private struct MaxFold : ISimdFold
    {
        public float* X;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TV Step<TV, TOps>(TV acc, nint i) where TV : unmanaged where TOps : struct, ISimd<TV> => TOps.Max(acc, TOps.Load(X + i));
    }

    private struct MaxAbsFold : ISimdFold
    {
        public float* X;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TV Step<TV, TOps>(TV acc, nint i) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Max(acc, TOps.Abs(TOps.Load(X + i)));
    }

    private struct ExpFold : ISimdFold
    {
        public float* X;
        public float Shift;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TV Step<TV, TOps>(TV acc, nint i) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Add(acc, VMath.Exp<TV, TOps>(TOps.Sub(TOps.Load(X + i), TOps.Splat(Shift))));
    }

    private struct ExpStoreFold : ISimdFold
    {
        public float* X, Y;
        public float Shift;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TV Step<TV, TOps>(TV acc, nint i) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV e = VMath.Exp<TV, TOps>(TOps.Sub(TOps.Load(X + i), TOps.Splat(Shift)));
            TOps.Store(Y + i, e);
            return TOps.Add(acc, e);
        }
    }

    private struct DivideStep : ISimdStep
    {
        public float* Y;
        public float D;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Store(Y + i, TOps.Div(TOps.Load(Y + i), TOps.Splat(D)));
    }

    private struct AddStep : ISimdStep
    {
        public float* Dst, Src;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Store(Dst + i, TOps.Add(TOps.Load(Dst + i), TOps.Load(Src + i)));
    }

    private struct AddScaledStep : ISimdStep
    {
        public float* Dst, Src;
        public float S;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Store(Dst + i, TOps.MulAdd(TOps.Load(Src + i), TOps.Splat(S), TOps.Load(Dst + i)));
    }

    private struct ScaleStep : ISimdStep
    {
        public float* Dst, Src;
        public float S;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Store(Dst + i, TOps.Mul(TOps.Load(Src + i), TOps.Splat(S)));
    }
}
