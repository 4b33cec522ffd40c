using System.Runtime.Intrinsics;

namespace Ortho.Activations;

/// <summary>
/// Fused kernels of the Hermite activation f(x) = sum_{k=0..n} a_k phi_k(x), phi_k = He_k / k!
/// (He_k: probabilists' Hermite polynomials), parameter <c>coefficients</c> = a (n+1 values).
/// </summary>
/// <remarks>
/// phi_0 = 1, phi_1 = x, phi_k = (x phi_{k-1} - phi_{k-2}) / k (the recurrence, never powers);
/// f'(x) = sum_{k=1..n} a_k phi_{k-1}(x); df/da_k = phi_k(x).
/// Forward reads x once and writes y once; backward reads x and dy once, writes dx and reduces the
/// coefficient gradient in the same pass (float lanes over runs of <see cref="KernelBlocks.SubBlock"/>
/// elements, then double per block, then blocks added in order: same bits for any thread count).
/// Degrees 1..<see cref="MaxDegree"/>: up to 32 the float recurrence stays within a few ulp of the
/// double-precision value of f relative to sum |a_k phi_k| (checked by a test over |x| &lt;= 6).
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
    public static void ValidateDegree(int degree) => KernelBlocks.CheckDegree(degree, MinDegree, MaxDegree, "Hermite");

    // 1/k, k = 0..MaxDegree (entry 0 unused).
    private static readonly float[] InverseK = Enumerable.Range(0, MaxDegree + 1).Select(k => k == 0 ? 0f : 1f / k).ToArray();

    /// <summary>y = f(x) elementwise. y may alias x.</summary>
    /// <param name="y">Output, length of x.</param>
    /// <param name="x">Input.</param>
    /// <param name="coefficients">a_0..a_n (n + 1 values).</param>
    /// <param name="degree">n, in [<see cref="MinDegree"/>, <see cref="MaxDegree"/>].</param>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> coefficients, int degree) =>
        Forward(y, x, coefficients, degree, SimdWidth.Auto);

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
        Backward(dx, dCoefficients, x, dy, coefficients, degree, needDx, accumulateDx, SimdWidth.Auto);

    internal static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> coefficients, int degree, SimdWidth width)
    {
        ValidateDegree(degree);
        KernelBlocks.CheckSameLength(x.Length, y.Length, nameof(y));
        KernelBlocks.CheckParam(coefficients.Length, degree + 1, nameof(coefficients), "Hermite", degree);
        fixed (float* py = y, px = x, pa = coefficients, pinv = InverseK)
        {
            var job = new ForwardJob { Y = py, X = px, A = pa, Inv = pinv, Degree = degree, Width = SimdSupport.Resolve(width) };
            KernelBlocks.Run(x.Length, 2 + degree, job);
        }
    }

    internal static void Backward(Span<float> dx, Span<float> dCoefficients, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> coefficients, int degree, bool needDx, bool accumulateDx, SimdWidth width)
    {
        ValidateDegree(degree);
        int n = x.Length, p = degree + 1;
        KernelBlocks.CheckSameLength(n, dy.Length, nameof(dy));
        if (needDx) KernelBlocks.CheckSameLength(n, dx.Length, nameof(dx));
        KernelBlocks.CheckParam(coefficients.Length, p, nameof(coefficients), "Hermite", degree);
        KernelBlocks.CheckParam(dCoefficients.Length, p, nameof(dCoefficients), "Hermite", degree);
        int blocks = KernelBlocks.BlockCount(n);
        if (blocks == 0) return;
        double[] partials = KernelBlocks.RentPartials(blocks, p);
        try
        {
            fixed (float* pdx = dx, px = x, pdy = dy, pa = coefficients, pinv = InverseK)
            fixed (double* pp = partials)
            {
                var job = new BackwardJob
                {
                    Dx = pdx, X = px, Dy = pdy, A = pa, Inv = pinv, Partials = pp, Degree = degree,
                    NeedDx = needDx, AccumulateDx = accumulateDx, Width = SimdSupport.Resolve(width),
                };
                KernelBlocks.Run(n, 4 + 3 * degree, job);
            }
            Span<double> total = stackalloc double[p];
            KernelBlocks.SumRows(partials, blocks, p, total);
            for (int k = 0; k < p; k++) dCoefficients[k] += (float)total[k];
        }
        finally { KernelBlocks.ReturnPartials(partials); }
    }

    private struct ForwardJob : IBlockJob
    {
        public float* Y, X, A, Inv;
        public int Degree;
        public SimdWidth Width;

        public readonly void Run(int start, int count, int block)
        {
            float* y = Y + start, x = X + start;
            int i = Width switch
            {
                SimdWidth.V512 => ForwardLoop<Vector512<float>, Simd512>(y, x, count, A, Inv, Degree),
                SimdWidth.V256 => ForwardLoop<Vector256<float>, Simd256>(y, x, count, A, Inv, Degree),
                SimdWidth.V128 => ForwardLoop<Vector128<float>, Simd128>(y, x, count, A, Inv, Degree),
                _ => 0,
            };
            ForwardLoop<float, SimdScalar>(y + i, x + i, count - i, A, Inv, Degree);
        }
    }

    private struct BackwardJob : IBlockJob
    {
        public float* Dx, X, Dy, A, Inv;
        public double* Partials;
        public int Degree;
        public bool NeedDx, AccumulateDx;
        public SimdWidth Width;

        public readonly void Run(int start, int count, int block)
        {
            float* dx = Dx + start, x = X + start, dy = Dy + start;
            double* sums = Partials + (long)block * (Degree + 1);
            int i = Width switch
            {
                SimdWidth.V512 => BackwardLoop<Vector512<float>, Simd512>(dx, x, dy, count, A, Inv, Degree, sums, NeedDx, AccumulateDx),
                SimdWidth.V256 => BackwardLoop<Vector256<float>, Simd256>(dx, x, dy, count, A, Inv, Degree, sums, NeedDx, AccumulateDx),
                SimdWidth.V128 => BackwardLoop<Vector128<float>, Simd128>(dx, x, dy, count, A, Inv, Degree, sums, NeedDx, AccumulateDx),
                _ => 0,
            };
            BackwardLoop<float, SimdScalar>(dx + i, x + i, dy + i, count - i, A, Inv, Degree, sums, NeedDx, AccumulateDx);
        }
    }

    // Processes the largest multiple of TS.Count elements; returns how many.
    private static int ForwardLoop<TV, TS>(float* y, float* x, int count, float* a, float* inv, int degree)
        where TV : unmanaged where TS : ISimd<TV>
    {
        int n = count - count % TS.Count;
        TV one = TS.Splat(1f), a0 = TS.Splat(a[0]), a1 = TS.Splat(a[1]);
        for (int i = 0; i < n; i += TS.Count)
        {
            TV xv = TS.Load(x + i);
            TV p0 = one, p1 = xv;
            TV f = TS.Fma(a1, xv, a0);
            for (int k = 2; k <= degree; k++)
            {
                TV p2 = TS.Mul(TS.Fms(xv, p1, p0), TS.Splat(inv[k]));
                f = TS.Fma(TS.Splat(a[k]), p2, f);
                p0 = p1;
                p1 = p2;
            }
            TS.Store(y + i, f);
        }
        return n;
    }

    private static int BackwardLoop<TV, TS>(float* dx, float* x, float* dy, int count, float* a, float* inv, int degree,
        double* sums, bool needDx, bool accumulateDx)
        where TV : unmanaged where TS : ISimd<TV>
    {
        int n = count - count % TS.Count;
        TV* acc = stackalloc TV[degree + 1];
        TV one = TS.Splat(1f), a1 = TS.Splat(a[1]);
        for (int s = 0; s < n; s += KernelBlocks.SubBlock)
        {
            int e = Math.Min(n, s + KernelBlocks.SubBlock);
            for (int k = 0; k <= degree; k++) acc[k] = default;
            for (int i = s; i < e; i += TS.Count)
            {
                TV xv = TS.Load(x + i), g = TS.Load(dy + i);
                TV p0 = one, p1 = xv;
                acc[0] = TS.Add(acc[0], g);
                acc[1] = TS.Fma(g, xv, acc[1]);
                TV d = a1;                                   // f' = a_1 phi_0 + a_2 phi_1 + ...
                for (int k = 2; k <= degree; k++)
                {
                    TV p2 = TS.Mul(TS.Fms(xv, p1, p0), TS.Splat(inv[k]));
                    acc[k] = TS.Fma(g, p2, acc[k]);
                    d = TS.Fma(TS.Splat(a[k]), p1, d);
                    p0 = p1;
                    p1 = p2;
                }
                if (needDx)
                {
                    TV v = TS.Mul(g, d);
                    if (accumulateDx) v = TS.Add(TS.Load(dx + i), v);
                    TS.Store(dx + i, v);
                }
            }
            for (int k = 0; k <= degree; k++) sums[k] += TS.SumToDouble(acc[k]);
        }
        return n;
    }

    /// <summary>f(x) and f'(x) in double precision (for moments, fitting and checks), by the same recurrence.</summary>
    public static double Evaluate(double x, ReadOnlySpan<float> coefficients, int degree, out double derivative)
    {
        ValidateDegree(degree);
        KernelBlocks.CheckParam(coefficients.Length, degree + 1, nameof(coefficients), "Hermite", degree);
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
