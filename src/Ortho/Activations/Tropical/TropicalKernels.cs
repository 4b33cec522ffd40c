using System.Runtime.CompilerServices;
using Ortho.Kernels;
using Ortho.Kernels.Simd;

namespace Ortho.Activations;

/// <summary>
/// Fused kernels of the tropical polynomial activation f(x) = (sqrt(2)/n) max_{k=0..n} (k x + a_k),
/// parameter <c>coefficients</c> = a (n + 1 values); the slopes 0..n are fixed (torchortho's int64 buffer
/// <c>powers</c>).
/// </summary>
/// <remarks>
/// The gradient flows to the winning term, the first index on ties (as PyTorch's max): df/da_k = sqrt(2)/n for
/// the winner, df/dx = (sqrt(2)/n) * k_winner. Up to <see cref="MaxAffine.ScanLimit"/> lines (n &lt;= 31) every
/// line is scanned with Vector512/256/128 (the running maximum, the winner named by its slope, and per-line sums by
/// masked adds; PyTorch's float semantics, see <see cref="MaxAffinePlan"/>); for more lines
/// the upper hull is computed once per call and scanned when small, else searched per element in O(log n)
/// (see <see cref="MaxAffinePlan"/>). Degrees 1..<see cref="MaxDegree"/>.
/// </remarks>
public static unsafe class TropicalKernels
{
    /// <summary>Smallest supported degree.</summary>
    public const int MinDegree = 1;

    /// <summary>Largest supported degree.</summary>
    public const int MaxDegree = 1024;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless degree is in [<see cref="MinDegree"/>, <see cref="MaxDegree"/>].</summary>
    public static void ValidateDegree(int degree) => ActivationChecks.CheckDegree(degree, MinDegree, MaxDegree, "Tropical");

    /// <summary>The output scale sqrt(2)/n as the float the kernels multiply by.</summary>
    public static float Scale(int degree) => (float)(Math.Sqrt(2.0) / degree);

    /// <summary>y = f(x) elementwise. y may alias x.</summary>
    /// <param name="y">Output, length of x.</param>
    /// <param name="x">Input.</param>
    /// <param name="coefficients">a_0..a_n.</param>
    /// <param name="degree">n, in [<see cref="MinDegree"/>, <see cref="MaxDegree"/>].</param>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> coefficients, int degree)
    {
        ValidateDegree(degree);
        ActivationChecks.CheckSameLength(x.Length, y.Length, nameof(y));
        int m = degree + 1;
        ActivationChecks.CheckParam(coefficients.Length, m, nameof(coefficients), "Tropical", degree);
        Span<float> slopes = stackalloc float[m], s = stackalloc float[m], a = stackalloc float[m];
        Span<int> index = stackalloc int[m];
        Span<double> breaks = stackalloc double[m];
        Powers(slopes);
        fixed (float* py = y, px = x, ps = s, pa = a)
        fixed (int* pi = index)
        fixed (double* pb = breaks)
        {
            var plan = MaxAffine.Prepare(slopes, coefficients, ps, pa, pi, pb);
            var job = new Job { Y = py, X = px, Plan = plan, Scale = Scale(degree) };
            FixedBlocks.Run(x.Length, plan.Search ? 40 : 2 + 4 * plan.M, job);
        }
    }

    /// <summary>
    /// Backward for the loss sum(y * dy): dx = dy * (sqrt(2)/n) k_win (written, or added when
    /// <paramref name="accumulateDx"/>), dCoefficients[k] += (sqrt(2)/n) * sum of dy over the elements k wins.
    /// </summary>
    /// <param name="dx">Input gradient (length of x); may be empty when <paramref name="needDx"/> is false. May alias dy.</param>
    /// <param name="dCoefficients">Coefficient gradient (n + 1), ACCUMULATED (+=).</param>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">Upstream gradient.</param>
    /// <param name="coefficients">a_0..a_n.</param>
    /// <param name="degree">n.</param>
    /// <param name="needDx">False skips dx.</param>
    /// <param name="accumulateDx">True adds into dx instead of overwriting it.</param>
    public static void Backward(Span<float> dx, Span<float> dCoefficients, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> coefficients, int degree, bool needDx = true, bool accumulateDx = false)
    {
        ValidateDegree(degree);
        int len = x.Length, m = degree + 1;
        ActivationChecks.CheckSameLength(len, dy.Length, nameof(dy));
        if (needDx) ActivationChecks.CheckSameLength(len, dx.Length, nameof(dx));
        ActivationChecks.CheckParam(coefficients.Length, m, nameof(coefficients), "Tropical", degree);
        ActivationChecks.CheckParam(dCoefficients.Length, m, nameof(dCoefficients), "Tropical", degree);
        int blocks = FixedBlocks.Count(len);
        if (blocks == 0) return;
        Span<float> slopes = stackalloc float[m], s = stackalloc float[m], a = stackalloc float[m];
        Span<int> index = stackalloc int[m];
        Span<double> breaks = stackalloc double[m];
        Powers(slopes);
        float scale = Scale(degree);
        double[] partials = FixedBlocks.RentPartials(blocks, m);
        try
        {
            fixed (float* pdx = dx, px = x, pdy = dy, ps = s, pa = a)
            fixed (int* pi = index)
            fixed (double* pb = breaks, pp = partials)
            {
                var plan = MaxAffine.Prepare(slopes, coefficients, ps, pa, pi, pb);
                var job = new Job
                {
                    Dx = pdx, X = px, Dy = pdy, Partials = pp, Stride = m, Plan = plan, Scale = scale,
                    NeedDx = needDx, AccumulateDx = accumulateDx,
                };
                FixedBlocks.Run(len, plan.Search ? 60 : 4 + 7 * plan.M, job);
            }
            Span<double> total = m <= 1024 ? stackalloc double[m] : new double[m];
            FixedBlocks.SumRows(partials, blocks, m, total);
            for (int k = 0; k < m; k++) dCoefficients[k] += (float)(scale * total[k]);
        }
        finally { FixedBlocks.ReturnPartials(partials); }
    }

    private static void Powers(Span<float> slopes)
    {
        for (int k = 0; k < slopes.Length; k++) slopes[k] = k;
    }

    // One job type for both directions: Dy == null means forward (writes Y).
    private struct Job : IBlockJob
    {
        public float* Y, Dx, X, Dy;
        public double* Partials;
        public int Stride;
        public MaxAffinePlan Plan;
        public float Scale;
        public bool NeedDx, AccumulateDx;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int start, int count, int block) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            float* x = X + start;
            if (Dy == null)
            {
                float* y = Y + start;
                int i = Plan.Search || TOps.Count == 1 ? 0 : ForwardScan<TV, TOps>(y, x, count, in Plan, Scale);
                for (; i < count; i++) y[i] = Scale * Plan.Value(Plan.Winner(x[i]), x[i]);
            }
            else
            {
                float* dx = Dx + start, dy = Dy + start;
                double* sums = Partials + (long)block * Stride;
                int i = Plan.Search || TOps.Count == 1 ? 0 : BackwardScan<TV, TOps>(dx, x, dy, count, sums, in this);
                // Scalar tail (and the whole block in search mode): double sums straight into the block's row.
                for (; i < count; i++)
                {
                    int w = Plan.Winner(x[i]);
                    sums[Plan.Index[w]] += dy[i];
                    if (NeedDx)
                    {
                        float v = dy[i] * (Scale * Plan.S[w]);
                        dx[i] = AccumulateDx ? dx[i] + v : v;
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int ForwardScan<TV, TOps>(float* y, float* x, int count, in MaxAffinePlan plan, float scale)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int len = count - count % TOps.Count;
        TV sc = TOps.Splat(scale);
        for (int i = 0; i < len; i += TOps.Count)
        {
            TV best = plan.Max<TV, TOps>(TOps.Load(x + i));
            TOps.Store(y + i, TOps.Mul(sc, best));
        }
        return len;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int BackwardScan<TV, TOps>(float* dx, float* x, float* dy, int count, double* sums, in Job job)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int len = count - count % TOps.Count, m = job.Plan.M;
        bool needDx = job.NeedDx, accDx = job.AccumulateDx;
        TV sc = TOps.Splat(job.Scale);
        byte* accBuffer = stackalloc byte[VectorAlign.Bytes<TV>(m)];
        TV* acc = VectorAlign.Up<TV>(accBuffer);
        float* s = job.Plan.S;
        for (int b = 0; b < len; b += FixedBlocks.SubBlock)
        {
            int e = Math.Min(len, b + FixedBlocks.SubBlock);
            for (int j = 0; j < m; j++) acc[j] = default;
            int i = b;
            // Two vectors per iteration: each line's sum is loaded and stored once for both, and its lanes still add the
            // first vector's element before the second's (the bits of one vector at a time).
            for (; TOps.Count > 1 && i + 2 * TOps.Count <= e; i += 2 * TOps.Count)
            {
                TV g = TOps.Load(dy + i), g2 = TOps.Load(dy + i + TOps.Count);
                TV slope = job.Plan.ArgMaxSlope<TV, TOps>(TOps.Load(x + i));
                TV slope2 = job.Plan.ArgMaxSlope<TV, TOps>(TOps.Load(x + i + TOps.Count));
                for (int j = 0; j < m; j++)
                {
                    TV sj = TOps.Splat(s[j]);
                    acc[j] = MaxAffine.AddWhereEqual<TV, TOps>(MaxAffine.AddWhereEqual<TV, TOps>(acc[j], slope, sj, g), slope2, sj, g2);
                }
                if (needDx)
                {
                    GradientStore.Put<TV, TOps>(dx + i, TOps.Mul(g, TOps.Mul(sc, slope)), accDx);
                    GradientStore.Put<TV, TOps>(dx + i + TOps.Count, TOps.Mul(g2, TOps.Mul(sc, slope2)), accDx);
                }
            }
            for (; i < e; i += TOps.Count)
            {
                TV g = TOps.Load(dy + i);
                TV slope = job.Plan.ArgMaxSlope<TV, TOps>(TOps.Load(x + i));
                for (int j = 0; j < m; j++)
                    acc[j] = MaxAffine.AddWhereEqual<TV, TOps>(acc[j], slope, TOps.Splat(s[j]), g);
                if (needDx) GradientStore.Put<TV, TOps>(dx + i, TOps.Mul(g, TOps.Mul(sc, slope)), accDx);
            }
            for (int j = 0; j < m; j++) sums[job.Plan.Index[j]] += SimdDouble.SumToDouble<TV, TOps>(acc[j]);
        }
        return len;
    }

    /// <summary>f(x) and f'(x) (the winner's slope, first index on ties) in double precision.</summary>
    public static double Evaluate(double x, ReadOnlySpan<float> coefficients, int degree, out double derivative)
    {
        ValidateDegree(degree);
        ActivationChecks.CheckParam(coefficients.Length, degree + 1, nameof(coefficients), "Tropical", degree);
        double best = coefficients[0];
        int w = 0;
        for (int k = 1; k <= degree; k++)
        {
            double v = k * x + coefficients[k];
            if (v > best) { best = v; w = k; }
        }
        double scale = Math.Sqrt(2.0) / degree;
        derivative = scale * w;
        return scale * best;
    }
}
