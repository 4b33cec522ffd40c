using System.Runtime.CompilerServices;
using Ortho.Kernels;
using Ortho.Kernels.Simd;

namespace Ortho.Activations;

/// <summary>
/// Fused kernels of the tropical rational activation f(x) = max_k (p_k x + a_k) - max_k (q_k x + b_k), k = 0..n,
/// parameters (torchortho names and order) <c>powers_num</c> p, <c>powers_denom</c> q, <c>coefficients_num</c> a,
/// <c>coefficients_denom</c> b, n + 1 values each, all learnable.
/// </summary>
/// <remarks>
/// With i the numerator's and j the denominator's winning index (first index on ties, as PyTorch's max):
/// df/dx = p_i - q_j, df/dp_i = x, df/da_i = 1, df/dq_j = -x, df/db_j = -1. Each max is evaluated as described in
/// <see cref="MaxAffinePlan"/> (vectorized scan up to <see cref="MaxAffine.ScanLimit"/> lines, else the upper hull).
/// Degrees 1..<see cref="MaxDegree"/>.
/// </remarks>
public static unsafe class TropicalRationalKernels
{
    /// <summary>Smallest supported degree.</summary>
    public const int MinDegree = 1;

    /// <summary>Largest supported degree.</summary>
    public const int MaxDegree = 1024;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless degree is in [<see cref="MinDegree"/>, <see cref="MaxDegree"/>].</summary>
    public static void ValidateDegree(int degree) => ActivationChecks.CheckDegree(degree, MinDegree, MaxDegree, "Tropical rational");

    /// <summary>y = f(x) elementwise. y may alias x.</summary>
    /// <param name="y">Output, length of x.</param>
    /// <param name="x">Input.</param>
    /// <param name="powersNum">p (n + 1): numerator slopes.</param>
    /// <param name="powersDenom">q (n + 1): denominator slopes.</param>
    /// <param name="coefficientsNum">a (n + 1): numerator intercepts.</param>
    /// <param name="coefficientsDenom">b (n + 1): denominator intercepts.</param>
    /// <param name="degree">n, in [<see cref="MinDegree"/>, <see cref="MaxDegree"/>].</param>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> powersNum, ReadOnlySpan<float> powersDenom,
        ReadOnlySpan<float> coefficientsNum, ReadOnlySpan<float> coefficientsDenom, int degree)
    {
        CheckParams(degree, powersNum, powersDenom, coefficientsNum, coefficientsDenom);
        ActivationChecks.CheckSameLength(x.Length, y.Length, nameof(y));
        int m = degree + 1;
        Span<float> buf = stackalloc float[4 * m];
        Span<int> index = stackalloc int[2 * m];
        Span<double> breaks = stackalloc double[2 * m];
        fixed (float* py = y, px = x, pf = buf)
        fixed (int* pi = index)
        fixed (double* pb = breaks)
        {
            var num = MaxAffine.Prepare(powersNum, coefficientsNum, pf, pf + m, pi, pb);
            var den = MaxAffine.Prepare(powersDenom, coefficientsDenom, pf + 2 * m, pf + 3 * m, pi + m, pb + m);
            var job = new Job { Y = py, X = px, Num = num, Den = den };
            FixedBlocks.Run(x.Length, num.Search || den.Search ? 80 : 2 + 4 * (num.M + den.M), job);
        }
    }

    /// <summary>
    /// Backward for the loss sum(y * dy): dx = dy (p_i - q_j) (written, or added when <paramref name="accumulateDx"/>);
    /// the four parameter gradients are ACCUMULATED (+=).
    /// </summary>
    /// <param name="dx">Input gradient (length of x); may be empty when <paramref name="needDx"/> is false. May alias dy.</param>
    /// <param name="dPowersNum">Gradient of p (n + 1), accumulated.</param>
    /// <param name="dPowersDenom">Gradient of q (n + 1), accumulated.</param>
    /// <param name="dCoefficientsNum">Gradient of a (n + 1), accumulated.</param>
    /// <param name="dCoefficientsDenom">Gradient of b (n + 1), accumulated.</param>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">Upstream gradient.</param>
    /// <param name="powersNum">p.</param>
    /// <param name="powersDenom">q.</param>
    /// <param name="coefficientsNum">a.</param>
    /// <param name="coefficientsDenom">b.</param>
    /// <param name="degree">n.</param>
    /// <param name="needDx">False skips dx.</param>
    /// <param name="accumulateDx">True adds into dx instead of overwriting it.</param>
    public static void Backward(Span<float> dx, Span<float> dPowersNum, Span<float> dPowersDenom, Span<float> dCoefficientsNum,
        Span<float> dCoefficientsDenom, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> powersNum,
        ReadOnlySpan<float> powersDenom, ReadOnlySpan<float> coefficientsNum, ReadOnlySpan<float> coefficientsDenom, int degree,
        bool needDx = true, bool accumulateDx = false)
    {
        CheckParams(degree, powersNum, powersDenom, coefficientsNum, coefficientsDenom);
        int len = x.Length, m = degree + 1;
        ActivationChecks.CheckSameLength(len, dy.Length, nameof(dy));
        if (needDx) ActivationChecks.CheckSameLength(len, dx.Length, nameof(dx));
        ActivationChecks.CheckParam(dPowersNum.Length, m, nameof(dPowersNum), "Tropical rational", degree);
        ActivationChecks.CheckParam(dPowersDenom.Length, m, nameof(dPowersDenom), "Tropical rational", degree);
        ActivationChecks.CheckParam(dCoefficientsNum.Length, m, nameof(dCoefficientsNum), "Tropical rational", degree);
        ActivationChecks.CheckParam(dCoefficientsDenom.Length, m, nameof(dCoefficientsDenom), "Tropical rational", degree);
        int blocks = FixedBlocks.Count(len);
        if (blocks == 0) return;
        Span<float> buf = stackalloc float[4 * m];
        Span<int> index = stackalloc int[2 * m];
        Span<double> breaks = stackalloc double[2 * m];
        // Partial row: [sum g x (num winner) | sum g x (den winner) | sum g (num) | sum g (den)], by original index.
        int stride = 4 * m;
        double[] partials = FixedBlocks.RentPartials(blocks, stride);
        try
        {
            fixed (float* pdx = dx, px = x, pdy = dy, pf = buf)
            fixed (int* pi = index)
            fixed (double* pb = breaks, pp = partials)
            {
                var num = MaxAffine.Prepare(powersNum, coefficientsNum, pf, pf + m, pi, pb);
                var den = MaxAffine.Prepare(powersDenom, coefficientsDenom, pf + 2 * m, pf + 3 * m, pi + m, pb + m);
                var job = new Job
                {
                    Dx = pdx, X = px, Dy = pdy, Partials = pp, Stride = stride, M = m, Num = num, Den = den,
                    NeedDx = needDx, AccumulateDx = accumulateDx,
                };
                FixedBlocks.Run(len, num.Search || den.Search ? 120 : 4 + 9 * (num.M + den.M), job);
            }
            Span<double> total = stride <= 4096 ? stackalloc double[stride] : new double[stride];
            FixedBlocks.SumRows(partials, blocks, stride, total);
            for (int k = 0; k < m; k++)
            {
                dPowersNum[k] += (float)total[k];
                dPowersDenom[k] -= (float)total[m + k];
                dCoefficientsNum[k] += (float)total[2 * m + k];
                dCoefficientsDenom[k] -= (float)total[3 * m + k];
            }
        }
        finally { FixedBlocks.ReturnPartials(partials); }
    }

    private static void CheckParams(int degree, ReadOnlySpan<float> p, ReadOnlySpan<float> q, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ValidateDegree(degree);
        ActivationChecks.CheckParam(p.Length, degree + 1, "powersNum", "Tropical rational", degree);
        ActivationChecks.CheckParam(q.Length, degree + 1, "powersDenom", "Tropical rational", degree);
        ActivationChecks.CheckParam(a.Length, degree + 1, "coefficientsNum", "Tropical rational", degree);
        ActivationChecks.CheckParam(b.Length, degree + 1, "coefficientsDenom", "Tropical rational", degree);
    }



    // One job type for both directions: Dy == null means forward (writes Y).
    private struct Job : IBlockJob
    {
        public float* Y, Dx, X, Dy;
        public double* Partials;
        public int Stride, M;
        public MaxAffinePlan Num, Den;
        public bool NeedDx, AccumulateDx;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int start, int count, int block) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            float* x = X + start;
            bool scan = !Num.Search && !Den.Search;
            if (Dy == null)
            {
                float* y = Y + start;
                int i = !scan || TOps.Count == 1 ? 0 : ForwardScan<TV, TOps>(y, x, count, in this);
                for (; i < count; i++)
                    y[i] = Num.Value(Num.Winner(x[i]), x[i]) - Den.Value(Den.Winner(x[i]), x[i]);
            }
            else
            {
                float* dx = Dx + start, dy = Dy + start;
                double* sums = Partials + (long)block * Stride;
                int i = !scan || TOps.Count == 1 ? 0 : BackwardScan<TV, TOps>(dx, x, dy, count, sums, in this);
                for (; i < count; i++)
                {
                    int wn = Num.Winner(x[i]), wd = Den.Winner(x[i]);
                    float g = dy[i], gx = g * x[i];
                    sums[Num.Index[wn]] += gx;
                    sums[M + Den.Index[wd]] += gx;
                    sums[2 * M + Num.Index[wn]] += g;
                    sums[3 * M + Den.Index[wd]] += g;
                    if (NeedDx)
                    {
                        float v = g * (Num.S[wn] - Den.S[wd]);
                        dx[i] = AccumulateDx ? dx[i] + v : v;
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int ForwardScan<TV, TOps>(float* y, float* x, int count, in Job job) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int len = count - count % TOps.Count;
        for (int i = 0; i < len; i += TOps.Count)
        {
            TV xv = TOps.Load(x + i);
            TOps.Store(y + i, TOps.Sub(job.Num.Max<TV, TOps>(xv), job.Den.Max<TV, TOps>(xv)));
        }
        return len;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int BackwardScan<TV, TOps>(float* dx, float* x, float* dy, int count, double* sums, in Job job)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int len = count - count % TOps.Count, mn = job.Num.M, md = job.Den.M, m = job.M;
        bool needDx = job.NeedDx, accDx = job.AccumulateDx;
        // acc: [num g x | num g | den g x | den g] per candidate slot.
        byte* accBuffer = stackalloc byte[VectorAlign.Bytes<TV>(2 * (mn + md))];
        TV* acc = VectorAlign.Up<TV>(accBuffer);
        TV* accNg = acc + mn, accD = acc + 2 * mn, accDg = accD + md;
        float* slots = stackalloc float[Math.Max(mn, md)];
        for (int j = 0; j < Math.Max(mn, md); j++) slots[j] = j;
        for (int b = 0; b < len; b += FixedBlocks.SubBlock)
        {
            int e = Math.Min(len, b + FixedBlocks.SubBlock);
            for (int j = 0; j < 2 * (mn + md); j++) acc[j] = default;
            int i = b;
            // Two vectors per iteration: each sum is loaded and stored once for both, and its lanes still add the
            // first vector's element before the second's (the bits of one vector at a time).
            for (; TOps.Count > 1 && i + 2 * TOps.Count <= e; i += 2 * TOps.Count)
            {
                TV xv = TOps.Load(x + i), g = TOps.Load(dy + i), gx = TOps.Mul(g, xv);
                TV xv2 = TOps.Load(x + i + TOps.Count), g2 = TOps.Load(dy + i + TOps.Count), gx2 = TOps.Mul(g2, xv2);
                job.Num.ArgMax<TV, TOps>(xv, slots, out TV slotN, out TV slopeN);
                job.Den.ArgMax<TV, TOps>(xv, slots, out TV slotD, out TV slopeD);
                job.Num.ArgMax<TV, TOps>(xv2, slots, out TV slotN2, out TV slopeN2);
                job.Den.ArgMax<TV, TOps>(xv2, slots, out TV slotD2, out TV slopeD2);
                AddToWinners2<TV, TOps>(acc, accNg, mn, slotN, slotN2, slots, gx, gx2, g, g2);
                AddToWinners2<TV, TOps>(accD, accDg, md, slotD, slotD2, slots, gx, gx2, g, g2);
                if (needDx)
                {
                    GradientStore.Put<TV, TOps>(dx + i, TOps.Mul(g, TOps.Sub(slopeN, slopeD)), accDx);
                    GradientStore.Put<TV, TOps>(dx + i + TOps.Count, TOps.Mul(g2, TOps.Sub(slopeN2, slopeD2)), accDx);
                }
            }
            for (; i < e; i += TOps.Count)
            {
                TV xv = TOps.Load(x + i), g = TOps.Load(dy + i), gx = TOps.Mul(g, xv);
                job.Num.ArgMax<TV, TOps>(xv, slots, out TV slotN, out TV slopeN);
                job.Den.ArgMax<TV, TOps>(xv, slots, out TV slotD, out TV slopeD);
                AddToWinners<TV, TOps>(acc, accNg, mn, slotN, slots, gx, g);
                AddToWinners<TV, TOps>(accD, accDg, md, slotD, slots, gx, g);
                if (needDx) GradientStore.Put<TV, TOps>(dx + i, TOps.Mul(g, TOps.Sub(slopeN, slopeD)), accDx);
            }
            for (int j = 0; j < mn; j++)
            {
                sums[job.Num.Index[j]] += SimdDouble.SumToDouble<TV, TOps>(acc[j]);
                sums[2 * m + job.Num.Index[j]] += SimdDouble.SumToDouble<TV, TOps>(accNg[j]);
            }
            for (int j = 0; j < md; j++)
            {
                sums[m + job.Den.Index[j]] += SimdDouble.SumToDouble<TV, TOps>(accD[j]);
                sums[3 * m + job.Den.Index[j]] += SimdDouble.SumToDouble<TV, TOps>(accDg[j]);
            }
        }
        return len;
    }

    // Per slot j: accGx[j] += gx and accG[j] += g in the lanes that slot wins (the compare in both orders: see
    // MaxAffine.AddWhereEqual).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddToWinners<TV, TOps>(TV* accGx, TV* accG, int count, TV winner, float* slots, TV gx, TV g)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        for (int j = 0; j < count; j++)
        {
            TV slot = TOps.Splat(slots[j]);
            accGx[j] = MaxAffine.AddWhereEqual<TV, TOps>(accGx[j], winner, slot, gx);
            accG[j] = MaxAffine.AddWhereEqual<TV, TOps>(accG[j], slot, winner, g);
        }
    }

    // AddToWinners for two vectors, the first's values added first: the sums stay in registers between the two.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddToWinners2<TV, TOps>(TV* accGx, TV* accG, int count, TV winner, TV winner2, float* slots, TV gx, TV gx2, TV g, TV g2)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        for (int j = 0; j < count; j++)
        {
            TV slot = TOps.Splat(slots[j]);
            accGx[j] = MaxAffine.AddWhereEqual<TV, TOps>(MaxAffine.AddWhereEqual<TV, TOps>(accGx[j], winner, slot, gx), winner2, slot, gx2);
            accG[j] = MaxAffine.AddWhereEqual<TV, TOps>(MaxAffine.AddWhereEqual<TV, TOps>(accG[j], slot, winner, g), slot, winner2, g2);
        }
    }

    /// <summary>f(x) and f'(x) (winners' slopes, first index on ties) in double precision.</summary>
    public static double Evaluate(double x, ReadOnlySpan<float> powersNum, ReadOnlySpan<float> powersDenom,
        ReadOnlySpan<float> coefficientsNum, ReadOnlySpan<float> coefficientsDenom, int degree, out double derivative)
    {
        CheckParams(degree, powersNum, powersDenom, coefficientsNum, coefficientsDenom);
        double n = MaxOf(x, powersNum, coefficientsNum, out int i), d = MaxOf(x, powersDenom, coefficientsDenom, out int j);
        derivative = (double)powersNum[i] - powersDenom[j];
        return n - d;
    }

    private static double MaxOf(double x, ReadOnlySpan<float> s, ReadOnlySpan<float> a, out int w)
    {
        double best = s[0] * x + a[0];
        w = 0;
        for (int k = 1; k < s.Length; k++)
        {
            double v = s[k] * x + a[k];
            if (v > best) { best = v; w = k; }
        }
        return best;
    }
}
