using System.Runtime.CompilerServices;
using Ortho.Kernels;
using Ortho.Kernels.Simd;

namespace Ortho.Activations;

/// <summary>
/// Fused kernels of the Hermite activation f(x) = sum_{k=0..n} a_k phi_k(x), phi_k = He_k / k!
/// (He_k: probabilists' Hermite polynomials), parameter <c>coefficients</c> = a (n+1 values).
/// </summary>
/// <remarks>
/// phi_0 = 1, phi_1 = x, phi_k = (x phi_{k-1} - phi_{k-2}) / k (the recurrence, never powers);
/// f'(x) = sum_{k=1..n} a_k phi_{k-1}(x); df/da_k = phi_k(x).
/// Forward reads x once and writes y once; backward reads x and dy once, writes dx and reduces the
/// coefficient gradient in the same pass (float lanes over runs of <see cref="FixedBlocks.SubBlock"/>
/// elements, then double per block, then blocks added in order: same bits for any thread count).
/// Degrees 1..<see cref="MaxDegree"/>: up to 32 the float recurrence stays within a few ulp of the
/// double-precision value of f relative to sum |a_k phi_k| (checked by a test over |x| &lt;= 6).
/// The clamped variant (torchortho's <c>clamp=True</c>) evaluates the basis at s(x) instead: in the same pass, each
/// run of <see cref="FixedBlocks.SubBlock"/> elements is mapped to s (and ds/dx, ds/dL) in a stack tile that the
/// loops then read in place of x (<see cref="IHermiteInput"/>); dL is reduced next to the coefficients.
/// </remarks>
public static unsafe class HermiteKernels
{
    /// <summary>Smallest supported degree.</summary>
    public const int MinDegree = 1;

    /// <summary>Largest supported degree.</summary>
    public const int MaxDegree = 32;

    /// <summary>Number of coefficients of a degree-n Hermite activation: n + 1.</summary>
    public static int ParameterCount(int degree) => degree + 1;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless degree is in [<see cref="MinDegree"/>, <see cref="MaxDegree"/>].</summary>
    public static void ValidateDegree(int degree) => ActivationChecks.CheckDegree(degree, MinDegree, MaxDegree, "Hermite");

    // 1/k, k = 0..MaxDegree (entry 0 unused).
    private static readonly float[] InverseK = Enumerable.Range(0, MaxDegree + 1).Select(k => k == 0 ? 0f : 1f / k).ToArray();

    /// <summary>y = f(x) elementwise. y may alias x.</summary>
    /// <param name="y">Output, length of x.</param>
    /// <param name="x">Input.</param>
    /// <param name="coefficients">a_0..a_n (n + 1 values).</param>
    /// <param name="degree">n, in [<see cref="MinDegree"/>, <see cref="MaxDegree"/>].</param>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> coefficients, int degree) =>
        Forward<NoClamp>(y, x, coefficients, 0f, degree);

    /// <summary>
    /// y = f(s(x)) elementwise, s the soft clamp (sigmoid(x) - 1/2) 2L (<see cref="HermiteClampKernels"/>), applied in
    /// the same pass. y may alias x.
    /// </summary>
    /// <param name="y">Output, length of x.</param>
    /// <param name="x">Input.</param>
    /// <param name="coefficients">a_0..a_n (n + 1 values).</param>
    /// <param name="clampLimit">L (<c>clamp.lim_val</c>).</param>
    /// <param name="degree">n, in [<see cref="MinDegree"/>, <see cref="MaxDegree"/>].</param>
    public static void ForwardClamped(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> coefficients, float clampLimit, int degree) =>
        Forward<SoftClamp>(y, x, coefficients, clampLimit, degree);

    /// <summary>
    /// Backward of <see cref="Forward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/> for the loss
    /// sum(y * dy): dx = dy * f'(x) (written, or added when <paramref name="accumulateDx"/>), and
    /// dCoefficients[k] += sum_i dy_i phi_k(x_i) (accumulated).
    /// </summary>
    /// <param name="dx">Input gradient (length of x); may be empty when <paramref name="needDx"/> is false. May alias dy.</param>
    /// <param name="dCoefficients">Coefficient gradient, n + 1 values, ACCUMULATED (+=).</param>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">Upstream gradient, length of x.</param>
    /// <param name="coefficients">a_0..a_n.</param>
    /// <param name="degree">n.</param>
    /// <param name="needDx">False skips dx (parameter gradients only).</param>
    /// <param name="accumulateDx">True adds into dx instead of overwriting it.</param>
    public static void Backward(Span<float> dx, Span<float> dCoefficients, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> coefficients, int degree, bool needDx = true, bool accumulateDx = false) =>
        Backward<NoClamp>(dx, dCoefficients, [], x, dy, coefficients, 0f, degree, needDx, accumulateDx);

    /// <summary>
    /// Backward of <see cref="ForwardClamped"/> for the loss sum(y * dy), s recomputed from x in the same pass:
    /// dx = dy f'(s) ds/dx (written, or added when <paramref name="accumulateDx"/>), dCoefficients[k] += sum_i dy_i phi_k(s_i)
    /// and dClampLimit[0] += sum_i dy_i f'(s_i) ds/dL (both accumulated), with ds/dx = 2L sigma (1 - sigma) and
    /// ds/dL = 2 sigma - 1.
    /// </summary>
    /// <param name="dx">Input gradient (length of x); may be empty when <paramref name="needDx"/> is false. May alias dy.</param>
    /// <param name="dCoefficients">Coefficient gradient, n + 1 values, ACCUMULATED (+=).</param>
    /// <param name="dClampLimit">Gradient of L, one value, ACCUMULATED (+=).</param>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">Upstream gradient, length of x.</param>
    /// <param name="coefficients">a_0..a_n.</param>
    /// <param name="clampLimit">L.</param>
    /// <param name="degree">n.</param>
    /// <param name="needDx">False skips dx (parameter gradients only).</param>
    /// <param name="accumulateDx">True adds into dx instead of overwriting it.</param>
    public static void BackwardClamped(Span<float> dx, Span<float> dCoefficients, Span<float> dClampLimit, ReadOnlySpan<float> x,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> coefficients, float clampLimit, int degree, bool needDx = true, bool accumulateDx = false)
    {
        if (dClampLimit.Length != 1)
            throw new ArgumentException($"dClampLimit has length {dClampLimit.Length}, expected 1 (the gradient of the scalar clamp.lim_val).", nameof(dClampLimit));
        Backward<SoftClamp>(dx, dCoefficients, dClampLimit, x, dy, coefficients, clampLimit, degree, needDx, accumulateDx);
    }

    private static void Forward<TIn>(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> coefficients, float limit, int degree)
        where TIn : struct, IHermiteInput
    {
        ValidateDegree(degree);
        ActivationChecks.CheckSameLength(x.Length, y.Length, nameof(y));
        ActivationChecks.CheckParam(coefficients.Length, degree + 1, nameof(coefficients), "Hermite", degree);
        fixed (float* py = y, px = x, pa = coefficients, pinv = InverseK)
            FixedBlocks.Run(x.Length, 2 + degree + (TIn.IsIdentity ? 0 : 12),
                new ForwardJob<TIn> { Y = py, X = px, A = pa, Inv = pinv, Limit = limit, Degree = degree });
    }

    // The partial sums per block: the n + 1 coefficients, then dL with the clamp.
    private static void Backward<TIn>(Span<float> dx, Span<float> dCoefficients, Span<float> dLimit, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> coefficients, float limit, int degree, bool needDx, bool accumulateDx) where TIn : struct, IHermiteInput
    {
        ValidateDegree(degree);
        int n = x.Length, p = degree + 1, width = p + dLimit.Length;
        ActivationChecks.CheckSameLength(n, dy.Length, nameof(dy));
        if (needDx) ActivationChecks.CheckSameLength(n, dx.Length, nameof(dx));
        ActivationChecks.CheckParam(coefficients.Length, p, nameof(coefficients), "Hermite", degree);
        ActivationChecks.CheckParam(dCoefficients.Length, p, nameof(dCoefficients), "Hermite", degree);
        int blocks = FixedBlocks.Count(n);
        if (blocks == 0) return;
        double[] partials = FixedBlocks.RentPartials(blocks, width);
        try
        {
            fixed (float* pdx = dx, px = x, pdy = dy, pa = coefficients, pinv = InverseK)
            fixed (double* pp = partials)
            {
                var job = new BackwardJob<TIn>
                {
                    Dx = pdx, X = px, Dy = pdy, A = pa, Inv = pinv, Partials = pp, Limit = limit, Degree = degree,
                    NeedDx = needDx, AccumulateDx = accumulateDx,
                };
                FixedBlocks.Run(n, 4 + 3 * degree + (TIn.IsIdentity ? 0 : 16), job);
            }
            Span<double> total = stackalloc double[width];
            FixedBlocks.SumRows(partials, blocks, width, total);
            for (int k = 0; k < p; k++) dCoefficients[k] += (float)total[k];
            if (!TIn.IsIdentity) dLimit[0] += (float)total[p];
        }
        finally { FixedBlocks.ReturnPartials(partials); }
    }

    private struct ForwardJob<TIn> : IBlockJob where TIn : struct, IHermiteInput
    {
        public float* Y, X, A, Inv;
        public float Limit;
        public int Degree;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int start, int count, int block) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            float* y = Y + start, x = X + start;
            if (TIn.IsIdentity)
            {
                int i = ForwardLoop<TV, TOps>(y, x, count, A, Inv, Degree);
                ForwardLoop<float, SimdScalar>(y + i, x + i, count - i, A, Inv, Degree);
                return;
            }
            // A tile of s first, then the basis over it (in L1): fused per vector, the map's and the recurrence's
            // dependency chains would run back to back.
            float* s = stackalloc float[FixedBlocks.SubBlock];
            for (int t = 0; t < count; t += FixedBlocks.SubBlock)
            {
                int m = Math.Min(FixedBlocks.SubBlock, count - t);
                MapTile<TV, TOps, TIn>(x + t, m, Limit, s, null, null);
                int i = ForwardLoop<TV, TOps>(y + t, s, m, A, Inv, Degree);
                ForwardLoop<float, SimdScalar>(y + t + i, s + i, m - i, A, Inv, Degree);
            }
        }
    }

    private struct BackwardJob<TIn> : IBlockJob where TIn : struct, IHermiteInput
    {
        public float* Dx, X, Dy, A, Inv;
        public double* Partials;
        public float Limit;
        public int Degree;
        public bool NeedDx, AccumulateDx;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int start, int count, int block) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            float* dx = Dx + start, x = X + start, dy = Dy + start;
            double* sums = Partials + (long)block * (Degree + (TIn.IsIdentity ? 1 : 2));
            if (TIn.IsIdentity)
            {
                int i = BackwardLoop<TV, TOps, TIn>(dx, x, dy, count, A, Inv, Degree, sums, NeedDx, AccumulateDx, null, null);
                BackwardLoop<float, SimdScalar, TIn>(dx + i, x + i, dy + i, count - i, A, Inv, Degree, sums, NeedDx, AccumulateDx, null, null);
                return;
            }
            // Tiles of s, ds/dx and ds/dL first (as in the forward), one accumulation run each.
            float* s = stackalloc float[3 * FixedBlocks.SubBlock];
            float* dsdx = s + FixedBlocks.SubBlock, dsdl = dsdx + FixedBlocks.SubBlock;
            for (int t = 0; t < count; t += FixedBlocks.SubBlock)
            {
                int m = Math.Min(FixedBlocks.SubBlock, count - t);
                MapTile<TV, TOps, TIn>(x + t, m, Limit, s, dsdx, dsdl);
                int i = BackwardLoop<TV, TOps, TIn>(dx + t, s, dy + t, m, A, Inv, Degree, sums, NeedDx, AccumulateDx, dsdx, dsdl);
                BackwardLoop<float, SimdScalar, TIn>(dx + t + i, s + i, dy + t + i, m - i, A, Inv, Degree, sums, NeedDx, AccumulateDx, dsdx + i, dsdl + i);
            }
        }
    }

    // s = TIn's map of x[0..count) into s, and with non-null dsdx its derivatives: whole vectors, then single elements
    // (the same bits at every width).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MapTile<TV, TOps, TIn>(float* x, int count, float limit, float* s, float* dsdx, float* dsdl)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TIn : struct, IHermiteInput
    {
        MapRun<TV, TOps, TIn>(x, 0, count, limit, s, dsdx, dsdl);
        MapRun<float, SimdScalar, TIn>(x, count - count % TOps.Count, count, limit, s, dsdx, dsdl);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MapRun<TV, TOps, TIn>(float* x, int i, int count, float limit, float* s, float* dsdx, float* dsdl)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TIn : struct, IHermiteInput
    {
        TV l = TOps.Splat(limit);
        if (dsdx == null)
            for (; i + TOps.Count <= count; i += TOps.Count) TOps.Store(s + i, TIn.Map<TV, TOps>(TOps.Load(x + i), l));
        else
            for (; i + TOps.Count <= count; i += TOps.Count)
            {
                TOps.Store(s + i, TIn.Map<TV, TOps>(TOps.Load(x + i), l, out TV d, out TV dl));
                TOps.Store(dsdx + i, d);
                TOps.Store(dsdl + i, dl);
            }
    }

    // Processes the largest multiple of TOps.Count elements; returns how many.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int ForwardLoop<TV, TOps>(float* y, float* x, int count, float* a, float* inv, int degree)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int n = count - count % TOps.Count;
        TV one = TOps.Splat(1f), a0 = TOps.Splat(a[0]), a1 = TOps.Splat(a[1]);
        for (int i = 0; i < n; i += TOps.Count)
        {
            TV xv = TOps.Load(x + i);
            TV p0 = one, p1 = xv;
            TV f = TOps.MulAdd(a1, xv, a0);
            for (int k = 2; k <= degree; k++)
            {
                TV p2 = TOps.Mul(TOps.MulSub(xv, p1, p0), TOps.Splat(inv[k]));
                f = TOps.MulAdd(TOps.Splat(a[k]), p2, f);
                p0 = p1;
                p1 = p2;
            }
            TOps.Store(y + i, f);
        }
        return n;
    }

    // x: the basis' input (s with the clamp, whose ds/dx and ds/dL are in dsdx and dsdl); sums: the block's n + 1
    // coefficient partials, then (with the clamp) dL's.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int BackwardLoop<TV, TOps, TIn>(float* dx, float* x, float* dy, int count, float* a, float* inv, int degree,
        double* sums, bool needDx, bool accumulateDx, float* dsdx, float* dsdl)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TIn : struct, IHermiteInput
    {
        int n = count - count % TOps.Count;
        byte* accBuffer = stackalloc byte[VectorAlign.Bytes<TV>(degree + 1)];
        TV* acc = VectorAlign.Up<TV>(accBuffer);
        TV one = TOps.Splat(1f), a1 = TOps.Splat(a[1]);
        for (int s = 0; s < n; s += FixedBlocks.SubBlock)
        {
            int e = Math.Min(n, s + FixedBlocks.SubBlock);
            for (int k = 0; k <= degree; k++) acc[k] = default;
            TV accLimit = default;
            int i = s;
            // Two vectors per iteration: each coefficient's lane sums are loaded and stored once for both, and their
            // lanes still add the first vector's element before the second's (the bits of one vector at a time).
            for (; TOps.Count > 1 && i + 2 * TOps.Count <= e; i += 2 * TOps.Count)
            {
                TV xv = TOps.Load(x + i), g = TOps.Load(dy + i);
                TV xv2 = TOps.Load(x + i + TOps.Count), g2 = TOps.Load(dy + i + TOps.Count);
                TV p0 = one, p1 = xv, q0 = one, q1 = xv2;
                acc[0] = TOps.Add(TOps.Add(acc[0], g), g2);
                acc[1] = TOps.MulAdd(g2, xv2, TOps.MulAdd(g, xv, acc[1]));
                TV d = a1, d2 = a1;
                for (int k = 2; k <= degree; k++)
                {
                    TV ik = TOps.Splat(inv[k]), ak = TOps.Splat(a[k]);
                    TV p2 = TOps.Mul(TOps.MulSub(xv, p1, p0), ik), q2 = TOps.Mul(TOps.MulSub(xv2, q1, q0), ik);
                    acc[k] = TOps.MulAdd(g2, q2, TOps.MulAdd(g, p2, acc[k]));
                    d = TOps.MulAdd(ak, p1, d);
                    d2 = TOps.MulAdd(ak, q1, d2);
                    p0 = p1;
                    p1 = p2;
                    q0 = q1;
                    q1 = q2;
                }
                if (!TIn.IsIdentity)
                    accLimit = TOps.MulAdd(TOps.Mul(g2, d2), TOps.Load(dsdl + i + TOps.Count), TOps.MulAdd(TOps.Mul(g, d), TOps.Load(dsdl + i), accLimit));
                if (needDx)
                {
                    TV v = TOps.Mul(g, d), v2 = TOps.Mul(g2, d2);
                    if (!TIn.IsIdentity)
                    {
                        v = TOps.Mul(v, TOps.Load(dsdx + i));
                        v2 = TOps.Mul(v2, TOps.Load(dsdx + i + TOps.Count));
                    }
                    GradientStore.Put<TV, TOps>(dx + i, v, accumulateDx);
                    GradientStore.Put<TV, TOps>(dx + i + TOps.Count, v2, accumulateDx);
                }
            }
            for (; i < e; i += TOps.Count)
            {
                TV xv = TOps.Load(x + i), g = TOps.Load(dy + i);
                TV p0 = one, p1 = xv;
                acc[0] = TOps.Add(acc[0], g);
                acc[1] = TOps.MulAdd(g, xv, acc[1]);
                TV d = a1;                                   // f' = a_1 phi_0 + a_2 phi_1 + ...
                for (int k = 2; k <= degree; k++)
                {
                    TV p2 = TOps.Mul(TOps.MulSub(xv, p1, p0), TOps.Splat(inv[k]));
                    acc[k] = TOps.MulAdd(g, p2, acc[k]);
                    d = TOps.MulAdd(TOps.Splat(a[k]), p1, d);
                    p0 = p1;
                    p1 = p2;
                }
                // dy f'(s) is the gradient of s: chained through ds/dL and ds/dx with the clamp.
                if (!TIn.IsIdentity) accLimit = TOps.MulAdd(TOps.Mul(g, d), TOps.Load(dsdl + i), accLimit);
                if (needDx)
                {
                    TV v = TOps.Mul(g, d);
                    if (!TIn.IsIdentity) v = TOps.Mul(v, TOps.Load(dsdx + i));
                    GradientStore.Put<TV, TOps>(dx + i, v, accumulateDx);
                }
            }
            for (int k = 0; k <= degree; k++) sums[k] += SimdDouble.SumToDouble<TV, TOps>(acc[k]);
            if (!TIn.IsIdentity) sums[degree + 1] += SimdDouble.SumToDouble<TV, TOps>(accLimit);
        }
        return n;
    }

    /// <summary>f(x) and f'(x) in double precision (for moments, fitting and checks), by the same recurrence.</summary>
    public static double Evaluate(double x, ReadOnlySpan<float> coefficients, int degree, out double derivative)
    {
        ValidateDegree(degree);
        ActivationChecks.CheckParam(coefficients.Length, degree + 1, nameof(coefficients), "Hermite", degree);
        double p0 = 1, p1 = x, f = coefficients[0] + coefficients[1] * x, d = coefficients[1];
        for (int k = 2; k <= degree; k++)
        {
            double p2 = (x * p1 - p0) / k;
            f += coefficients[k] * p2;
            d += coefficients[k] * p1;
            p0 = p1;
            p1 = p2;
        }
        derivative = d;
        return f;
    }

    /// <summary>phi_0(x)..phi_n(x) in double into <paramref name="phi"/> (length n + 1).</summary>
    internal static void Basis(double x, Span<double> phi)
    {
        phi[0] = 1;
        if (phi.Length > 1) phi[1] = x;
        for (int k = 2; k < phi.Length; k++) phi[k] = (x * phi[k - 1] - phi[k - 2]) / k;
    }
}
