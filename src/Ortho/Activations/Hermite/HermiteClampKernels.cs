using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Ortho.Kernels;

namespace Ortho.Activations;

/// <summary>
/// Kernels of torchortho's learnable soft clamp, applied to x before the Hermite basis when the activation is built
/// with <c>clamp=True</c>: s(x) = (sigmoid(x) - 1/2) 2L, L = <c>clamp.lim_val</c> (a learnable scalar, init sqrt(3)).
/// </summary>
/// <remarks>
/// Written as s = L (sigma - (1 - sigma)) with sigma and 1 - sigma each accurate in both tails; ds/dx = 2L sigma (1 - sigma),
/// ds/dL = sigma - (1 - sigma). The backward reduces dL like the Hermite coefficients: float lanes over runs of
/// <see cref="KernelBlocks.SubBlock"/> elements, then double per block, blocks added in order (same bits for any
/// thread count). A clamped Hermite activation runs this forward, then the Hermite forward on s; its backward recomputes
/// s, runs the Hermite backward on s (dy to ds) and then this backward (ds to dx and dL).
/// </remarks>
public static unsafe class HermiteClampKernels
{
    /// <summary>s = (sigmoid(x) - 1/2) 2L elementwise; s may alias x.</summary>
    /// <param name="s">Output, length of x.</param>
    /// <param name="x">Input.</param>
    /// <param name="limit">L (<c>clamp.lim_val</c>).</param>
    public static void Forward(Span<float> s, ReadOnlySpan<float> x, float limit) => Forward(s, x, limit, SimdWidth.Auto);

    /// <summary>
    /// Backward of <see cref="Forward(Span{float}, ReadOnlySpan{float}, float)"/> for the loss sum(s * ds):
    /// dx = ds 2L sigma (1 - sigma) (written, or added when <paramref name="accumulateDx"/>), and
    /// dLimit[0] += sum_i ds_i (2 sigma(x_i) - 1) (accumulated).
    /// </summary>
    /// <param name="dx">Input gradient (length of x); may be empty when <paramref name="needDx"/> is false. May alias ds.</param>
    /// <param name="dLimit">Gradient of L, one value, ACCUMULATED (+=).</param>
    /// <param name="x">The forward input.</param>
    /// <param name="ds">Upstream gradient (of s), length of x.</param>
    /// <param name="limit">L.</param>
    /// <param name="needDx">False skips dx (dL only).</param>
    /// <param name="accumulateDx">True adds into dx instead of overwriting it.</param>
    public static void Backward(Span<float> dx, Span<float> dLimit, ReadOnlySpan<float> x, ReadOnlySpan<float> ds, float limit,
        bool needDx = true, bool accumulateDx = false) =>
        Backward(dx, dLimit, x, ds, limit, needDx, accumulateDx, SimdWidth.Auto);

    /// <summary>s(x) and ds/dx in double precision (for evaluation, fitting and checks).</summary>
    public static double Evaluate(double x, double limit, out double derivative)
    {
        // e = exp(-|x|): sigma - (1 - sigma) = sign(x) (1 - e) / (1 + e), sigma (1 - sigma) = e / (1 + e)^2.
        double e = Math.Exp(-Math.Abs(x)), d = 1 + e;
        derivative = 2 * limit * e / (d * d);
        return Math.CopySign(limit * (1 - e) / d, x);
    }

    internal static void Forward(Span<float> s, ReadOnlySpan<float> x, float limit, SimdWidth width)
    {
        KernelBlocks.CheckSameLength(x.Length, s.Length, nameof(s));
        fixed (float* ps = s, px = x)
        {
            var job = new ForwardJob { S = ps, X = px, Limit = limit, Width = SimdSupport.Resolve(width) };
            KernelBlocks.Run(x.Length, 12, job);
        }
    }

    internal static void Backward(Span<float> dx, Span<float> dLimit, ReadOnlySpan<float> x, ReadOnlySpan<float> ds, float limit,
        bool needDx, bool accumulateDx, SimdWidth width)
    {
        int n = x.Length;
        KernelBlocks.CheckSameLength(n, ds.Length, nameof(ds));
        if (needDx) KernelBlocks.CheckSameLength(n, dx.Length, nameof(dx));
        if (dLimit.Length != 1) throw new ArgumentException($"dLimit has length {dLimit.Length}, expected 1 (the gradient of the scalar clamp.lim_val).", nameof(dLimit));
        int blocks = KernelBlocks.BlockCount(n);
        if (blocks == 0) return;
        double[] partials = KernelBlocks.RentPartials(blocks, 1);
        try
        {
            fixed (float* pdx = dx, px = x, pds = ds)
            fixed (double* pp = partials)
            {
                var job = new BackwardJob
                {
                    Dx = pdx, X = px, Ds = pds, Partials = pp, Limit = limit,
                    NeedDx = needDx, AccumulateDx = accumulateDx, Width = SimdSupport.Resolve(width),
                };
                KernelBlocks.Run(n, 16, job);
            }
            Span<double> total = stackalloc double[1];
            KernelBlocks.SumRows(partials, blocks, 1, total);
            dLimit[0] += (float)total[0];
        }
        finally { KernelBlocks.ReturnPartials(partials); }
    }

    private struct ForwardJob : IBlockJob
    {
        public float* S, X;
        public float Limit;
        public SimdWidth Width;

        public readonly void Run(int start, int count, int block)
        {
            float* s = S + start, x = X + start;
            int i = Width switch
            {
                SimdWidth.V512 => ForwardLoop<Vector512<float>, Simd512, Sigmoid512>(s, x, count, Limit),
                SimdWidth.V256 => ForwardLoop<Vector256<float>, Simd256, Sigmoid256>(s, x, count, Limit),
                _ => 0,
            };
            ForwardLoop<float, SimdScalar, SigmoidScalar>(s + i, x + i, count - i, Limit);
        }
    }

    private struct BackwardJob : IBlockJob
    {
        public float* Dx, X, Ds;
        public double* Partials;
        public float Limit;
        public bool NeedDx, AccumulateDx;
        public SimdWidth Width;

        public readonly void Run(int start, int count, int block)
        {
            float* dx = Dx + start, x = X + start, ds = Ds + start;
            double* sum = Partials + block;
            int i = Width switch
            {
                SimdWidth.V512 => BackwardLoop<Vector512<float>, Simd512, Sigmoid512>(dx, x, ds, count, Limit, sum, NeedDx, AccumulateDx),
                SimdWidth.V256 => BackwardLoop<Vector256<float>, Simd256, Sigmoid256>(dx, x, ds, count, Limit, sum, NeedDx, AccumulateDx),
                _ => 0,
            };
            BackwardLoop<float, SimdScalar, SigmoidScalar>(dx + i, x + i, ds + i, count - i, Limit, sum, NeedDx, AccumulateDx);
        }
    }

    // Processes the largest multiple of TS.Count elements; returns how many.
    private static int ForwardLoop<TV, TS, TSig>(float* s, float* x, int count, float limit)
        where TV : unmanaged where TS : ISimd<TV> where TSig : ISigmoidPair<TV>
    {
        int n = count - count % TS.Count;
        TV l = TS.Splat(limit);
        for (int i = 0; i < n; i += TS.Count)
        {
            TV sig = TSig.Invoke(TS.Load(x + i), out TV c);
            TS.Store(s + i, TS.Mul(l, TS.Sub(sig, c)));
        }
        return n;
    }

    private static int BackwardLoop<TV, TS, TSig>(float* dx, float* x, float* ds, int count, float limit, double* sum, bool needDx, bool accumulateDx)
        where TV : unmanaged where TS : ISimd<TV> where TSig : ISigmoidPair<TV>
    {
        int n = count - count % TS.Count;
        TV twoL = TS.Splat(2 * limit);
        for (int s = 0; s < n; s += KernelBlocks.SubBlock)
        {
            int e = Math.Min(n, s + KernelBlocks.SubBlock);
            TV acc = default;
            for (int i = s; i < e; i += TS.Count)
            {
                TV sig = TSig.Invoke(TS.Load(x + i), out TV c), g = TS.Load(ds + i);
                acc = TS.Fma(g, TS.Sub(sig, c), acc);               // ds/dL = 2 sigma - 1
                if (needDx)
                {
                    TV v = TS.Mul(g, TS.Mul(twoL, TS.Mul(sig, c))); // ds/dx = 2L sigma (1 - sigma)
                    if (accumulateDx) v = TS.Add(TS.Load(dx + i), v);
                    TS.Store(dx + i, v);
                }
            }
            *sum += TS.SumToDouble(acc);
        }
        return n;
    }

    // sigmoid(x) and 1 - sigmoid(x), each accurate in both tails, per width (the operator-struct pattern).
    private interface ISigmoidPair<TV> where TV : unmanaged
    {
        static abstract TV Invoke(TV x, out TV oneMinus);
    }

    private struct Sigmoid512 : ISigmoidPair<Vector512<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> x, out Vector512<float> oneMinus) => VMath.SigmoidPair(x, out oneMinus);
    }

    private struct Sigmoid256 : ISigmoidPair<Vector256<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> x, out Vector256<float> oneMinus) => VMath.SigmoidPair(x, out oneMinus);
    }

    private struct SigmoidScalar : ISigmoidPair<float>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float x, out float oneMinus) => VMath.SigmoidPair(x, out oneMinus);
    }
}
