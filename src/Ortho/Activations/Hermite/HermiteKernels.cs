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
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> coefficients, int degree)
    {
        ValidateDegree(degree);
        ActivationChecks.CheckSameLength(x.Length, y.Length, nameof(y));
        ActivationChecks.CheckParam(coefficients.Length, degree + 1, nameof(coefficients), "Hermite", degree);
        fixed (float* py = y, px = x, pa = coefficients, pinv = InverseK)
            FixedBlocks.Run(x.Length, 2 + degree, new ForwardJob { Y = py, X = px, A = pa, Inv = pinv, Degree = degree });
    }

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
        ReadOnlySpan<float> coefficients, int degree, bool needDx = true, bool accumulateDx = false)
    {
        ValidateDegree(degree);
        int n = x.Length, p = degree + 1;
        ActivationChecks.CheckSameLength(n, dy.Length, nameof(dy));
        if (needDx) ActivationChecks.CheckSameLength(n, dx.Length, nameof(dx));
        ActivationChecks.CheckParam(coefficients.Length, p, nameof(coefficients), "Hermite", degree);
        ActivationChecks.CheckParam(dCoefficients.Length, p, nameof(dCoefficients), "Hermite", degree);
        int blocks = FixedBlocks.Count(n);
        if (blocks == 0) return;
        double[] partials = FixedBlocks.RentPartials(blocks, p);
        try
        {
            fixed (float* pdx = dx, px = x, pdy = dy, pa = coefficients, pinv = InverseK)
            fixed (double* pp = partials)
            {
                var job = new BackwardJob
                {
                    Dx = pdx, X = px, Dy = pdy, A = pa, Inv = pinv, Partials = pp, Degree = degree,
                    NeedDx = needDx, AccumulateDx = accumulateDx,
                };
                FixedBlocks.Run(n, 4 + 3 * degree, job);
            }
            Span<double> total = stackalloc double[p];
            FixedBlocks.SumRows(partials, blocks, p, total);
            for (int k = 0; k < p; k++) dCoefficients[k] += (float)total[k];
        }
        finally { FixedBlocks.ReturnPartials(partials); }
    }

    private struct ForwardJob : IBlockJob
    {
        public float* Y, X, A, Inv;
        public int Degree;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int start, int count, int block) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            float* y = Y + start, x = X + start;
            int i = ForwardLoop<TV, TOps>(y, x, count, A, Inv, Degree);
            ForwardLoop<float, SimdScalar>(y + i, x + i, count - i, A, Inv, Degree);
        }
    }

    private struct BackwardJob : IBlockJob
    {
        public float* Dx, X, Dy, A, Inv;
        public double* Partials;
        public int Degree;
        public bool NeedDx, AccumulateDx;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int start, int count, int block) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            float* dx = Dx + start, x = X + start, dy = Dy + start;
            double* sums = Partials + (long)block * (Degree + 1);
            int i = BackwardLoop<TV, TOps>(dx, x, dy, count, A, Inv, Degree, sums, NeedDx, AccumulateDx);
            BackwardLoop<float, SimdScalar>(dx + i, x + i, dy + i, count - i, A, Inv, Degree, sums, NeedDx, AccumulateDx);
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

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int BackwardLoop<TV, TOps>(float* dx, float* x, float* dy, int count, float* a, float* inv, int degree,
        double* sums, bool needDx, bool accumulateDx)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int n = count - count % TOps.Count;
        TV* acc = stackalloc TV[degree + 1];
        TV one = TOps.Splat(1f), a1 = TOps.Splat(a[1]);
        for (int s = 0; s < n; s += FixedBlocks.SubBlock)
        {
            int e = Math.Min(n, s + FixedBlocks.SubBlock);
            for (int k = 0; k <= degree; k++) acc[k] = default;
            for (int i = s; i < e; i += TOps.Count)
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
                if (needDx)
                {
                    TV v = TOps.Mul(g, d);
                    if (accumulateDx) v = TOps.Add(TOps.Load(dx + i), v);
                    TOps.Store(dx + i, v);
                }
            }
            for (int k = 0; k <= degree; k++) sums[k] += SimdDouble.SumToDouble<TV, TOps>(acc[k]);
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
