using System.Runtime.CompilerServices;
using Ortho.Kernels;
using Ortho.Kernels.Simd;

namespace Ortho.Activations;

/// <summary>
/// Fused kernels of the Fourier activation f(x) = f0 + sum_{k=1..n} c_k cos(w_k x - p_k) / k!, parameters
/// <c>fundamental</c> f0 (1 value), <c>coefficients</c> c, <c>phases</c> p and <c>grid</c> w (n values each).
/// </summary>
/// <remarks>
/// <para>Gradients (theta_k = w_k x - p_k): df/dx = -sum c_k w_k sin(theta_k)/k!, df/dc_k = cos(theta_k)/k!,
/// df/dp_k = c_k sin(theta_k)/k!, df/dw_k = -c_k x sin(theta_k)/k!, df/df0 = 1.</para>
/// <para>Two evaluation paths, chosen per call. <b>Harmonic</b>: when every w_k == k * w_1 exactly (always true at
/// init, and while frequencies are frozen) one sin/cos of u = w_1 x per element gives every harmonic through
/// the Chebyshev recurrence cos(ku) = 2 cos(u) cos((k-1)u) - cos((k-2)u) (likewise sin): one FMA each, and
/// cos(ku - p) = cos(ku) cos p + sin(ku) sin p with the per-call constants c_k cos p_k / k!, c_k sin p_k / k!.
/// <b>General</b>: per term, one cosine (forward) or sine and cosine (backward) of the angle in half-turns,
/// (w_k / pi) x - p_k / pi, reduced modulo 1, where sin and cos share the sign (-1)^m and need no quadrant selection
/// (<see cref="FourierSinCos"/>); arguments beyond <see cref="SinCosKernels.FastPathLimit"/> take the checked
/// <see cref="SinCosKernels"/> sincos (see Range below).</para>
/// <para>Backward reduces all parameter gradients in the same pass as dx (float lanes over short runs, double
/// per block, blocks added in order: bit-identical for any thread count). Pass an empty dGrid to skip the
/// frequency gradient (frozen frequencies).</para>
/// <para>Range: both loops compare each vector's |x| with the largest |x| whose every argument is within
/// <see cref="SinCosKernels.FastPathLimit"/> (from the largest |w| and |p| of the call); a vector beyond it stops the
/// loop and runs element by element, each element beyond the limit (or infinite) through the checked sincos and the
/// rest through the same operations as the vector loop, so every vector width gives the same bits. Within the limit
/// both take the half-turn sine and cosine (<see cref="FourierSinCos"/>): of (w_k / pi) x - p_k / pi per term, or of
/// (w_1 / pi) x once per element for the harmonics.</para>
/// <para>Degrees 1..<see cref="MaxDegree"/>: 1/k! is a normal float up to k = 33.</para>
/// </remarks>
public static unsafe class FourierKernels
{
    /// <summary>Smallest supported degree.</summary>
    public const int MinDegree = 1;

    /// <summary>Largest supported degree (1/34! is below the smallest normal float).</summary>
    public const int MaxDegree = 33;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless degree is in [<see cref="MinDegree"/>, <see cref="MaxDegree"/>].</summary>
    public static void ValidateDegree(int degree) => ActivationChecks.CheckDegree(degree, MinDegree, MaxDegree, "Fourier");

    /// <summary>True when grid[k-1] == k * grid[0] exactly (in float) for every k, so the harmonic recurrence applies.</summary>
    public static bool IsHarmonic(ReadOnlySpan<float> grid)
    {
        if (grid.Length == 0) return false;
        float w0 = grid[0];
        for (int j = 1; j < grid.Length; j++)
            if (grid[j] != (j + 1) * w0) return false;
        return true;
    }

    /// <summary>y = f(x) elementwise. y may alias x.</summary>
    /// <param name="y">Output, length of x.</param>
    /// <param name="x">Input.</param>
    /// <param name="fundamental">f0 (1 value).</param>
    /// <param name="coefficients">c_1..c_n.</param>
    /// <param name="phases">p_1..p_n.</param>
    /// <param name="grid">w_1..w_n (frequencies).</param>
    /// <param name="degree">n, in [<see cref="MinDegree"/>, <see cref="MaxDegree"/>].</param>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> fundamental, ReadOnlySpan<float> coefficients,
        ReadOnlySpan<float> phases, ReadOnlySpan<float> grid, int degree) =>
        Forward(y, x, fundamental, coefficients, phases, grid, degree, allowHarmonic: true);

    /// <summary>
    /// Backward for the loss sum(y * dy): dx = dy * f'(x) (written, or added when <paramref name="accumulateDx"/>);
    /// every parameter gradient is ACCUMULATED (+=).
    /// </summary>
    /// <param name="dx">Input gradient (length of x); may be empty when <paramref name="needDx"/> is false. May alias dy.</param>
    /// <param name="dFundamental">Gradient of f0 (1 value), accumulated.</param>
    /// <param name="dCoefficients">Gradient of c (n), accumulated.</param>
    /// <param name="dPhases">Gradient of p (n), accumulated.</param>
    /// <param name="dGrid">Gradient of w (n), accumulated; empty to skip it (frozen frequencies).</param>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">Upstream gradient, length of x.</param>
    /// <param name="fundamental">f0.</param>
    /// <param name="coefficients">c.</param>
    /// <param name="phases">p.</param>
    /// <param name="grid">w.</param>
    /// <param name="degree">n.</param>
    /// <param name="needDx">False skips dx.</param>
    /// <param name="accumulateDx">True adds into dx instead of overwriting it.</param>
    public static void Backward(Span<float> dx, Span<float> dFundamental, Span<float> dCoefficients, Span<float> dPhases, Span<float> dGrid,
        ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> fundamental, ReadOnlySpan<float> coefficients,
        ReadOnlySpan<float> phases, ReadOnlySpan<float> grid, int degree, bool needDx = true, bool accumulateDx = false) =>
        Backward(dx, dFundamental, dCoefficients, dPhases, dGrid, x, dy, fundamental, coefficients, phases, grid, degree,
            needDx, accumulateDx, allowHarmonic: true);

    private static void CheckParams(int degree, ReadOnlySpan<float> fundamental, ReadOnlySpan<float> coefficients,
        ReadOnlySpan<float> phases, ReadOnlySpan<float> grid)
    {
        ValidateDegree(degree);
        ActivationChecks.CheckParam(fundamental.Length, 1, nameof(fundamental), "Fourier", degree);
        ActivationChecks.CheckParam(coefficients.Length, degree, nameof(coefficients), "Fourier", degree);
        ActivationChecks.CheckParam(phases.Length, degree, nameof(phases), "Fourier", degree);
        ActivationChecks.CheckParam(grid.Length, degree, nameof(grid), "Fourier", degree);
    }

    // Per-call float constants, 6 tables of n values: [T1 | T2 | D1 | D2 | W | P].
    // Harmonic: T1 = c cos p / k!, T2 = c sin p / k!, D1 = E cos p, D2 = -E sin p with E = -c w / k! (dx coefficient of
    //   sin(ku) and cos(ku)). General: T1 = c / k!, T2 = w / pi, D1 = E, D2 = p / pi (the angle in half-turns, y = x T2 - D2,
    //   for FourierSinCos), W = w, P = p (the angle itself, for the checked sine/cosine).
    private static void Tables(Span<float> t, int n, ReadOnlySpan<float> c, ReadOnlySpan<float> p, ReadOnlySpan<float> w, bool harmonic)
    {
        double invFact = 1;
        for (int j = 0; j < n; j++)
        {
            invFact /= j + 1;
            double ck = c[j] * invFact, e = -c[j] * (double)w[j] * invFact;
            (double sp, double cp) = Math.SinCos(p[j]);
            if (harmonic)
            {
                t[j] = (float)(ck * cp);
                t[n + j] = (float)(ck * sp);
                t[2 * n + j] = (float)(e * cp);
                t[3 * n + j] = (float)(-e * sp);
            }
            else
            {
                t[j] = (float)ck;
                t[n + j] = (float)(w[j] / Math.PI);
                t[2 * n + j] = (float)e;
                t[3 * n + j] = (float)(p[j] / Math.PI);
            }
            t[4 * n + j] = w[j];
            t[5 * n + j] = p[j];
        }
    }

    internal static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> fundamental, ReadOnlySpan<float> coefficients,
        ReadOnlySpan<float> phases, ReadOnlySpan<float> grid, int degree, bool allowHarmonic)
    {
        CheckParams(degree, fundamental, coefficients, phases, grid);
        ActivationChecks.CheckSameLength(x.Length, y.Length, nameof(y));
        bool harmonic = allowHarmonic && IsHarmonic(grid);
        Span<float> tables = stackalloc float[6 * degree];
        Tables(tables, degree, coefficients, phases, grid, harmonic);
        fixed (float* py = y, px = x, pt = tables)
        {
            var job = new ForwardJob
            {
                Y = py, X = px, T = pt, N = degree, F0 = fundamental[0], W0 = grid[0], W0Half = (float)(grid[0] / Math.PI), Harmonic = harmonic,
                XLimit = FastXLimit(grid, phases, harmonic),
            };
            FixedBlocks.Run(x.Length, harmonic ? 30 + 4 * degree : 35 * degree, job);
        }
    }

    internal static void Backward(Span<float> dx, Span<float> dFundamental, Span<float> dCoefficients, Span<float> dPhases, Span<float> dGrid,
        ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> fundamental, ReadOnlySpan<float> coefficients,
        ReadOnlySpan<float> phases, ReadOnlySpan<float> grid, int degree, bool needDx, bool accumulateDx, bool allowHarmonic)
    {
        CheckParams(degree, fundamental, coefficients, phases, grid);
        int len = x.Length, n = degree;
        ActivationChecks.CheckSameLength(len, dy.Length, nameof(dy));
        if (needDx) ActivationChecks.CheckSameLength(len, dx.Length, nameof(dx));
        ActivationChecks.CheckParam(dFundamental.Length, 1, nameof(dFundamental), "Fourier", degree);
        ActivationChecks.CheckParam(dCoefficients.Length, n, nameof(dCoefficients), "Fourier", degree);
        ActivationChecks.CheckParam(dPhases.Length, n, nameof(dPhases), "Fourier", degree);
        bool wantGrid = !dGrid.IsEmpty;
        if (wantGrid) ActivationChecks.CheckParam(dGrid.Length, n, nameof(dGrid), "Fourier", degree);
        int blocks = FixedBlocks.Count(len);
        if (blocks == 0) return;

        bool harmonic = allowHarmonic && IsHarmonic(grid);
        Span<float> tables = stackalloc float[6 * n];
        Tables(tables, n, coefficients, phases, grid, harmonic);
        int stride = 1 + 4 * n;
        double[] partials = FixedBlocks.RentPartials(blocks, stride);
        try
        {
            fixed (float* pdx = dx, px = x, pdy = dy, pt = tables)
            fixed (double* pp = partials)
            {
                var job = new BackwardJob
                {
                    Dx = pdx, X = px, Dy = pdy, T = pt, Partials = pp, N = n, W0 = grid[0], W0Half = (float)(grid[0] / Math.PI), Harmonic = harmonic,
                    XLimit = FastXLimit(grid, phases, harmonic),
                    WantGrid = wantGrid, NeedDx = needDx, AccumulateDx = accumulateDx,
                };
                FixedBlocks.Run(len, harmonic ? 30 + 8 * n : 40 * n, job);
            }
            Span<double> tot = stackalloc double[stride];
            FixedBlocks.SumRows(partials, blocks, stride, tot);
            dFundamental[0] += (float)tot[0];
            double invFact = 1;
            for (int j = 0; j < n; j++)
            {
                invFact /= j + 1;
                double a0 = tot[1 + 4 * j], a1 = tot[2 + 4 * j], a2 = tot[3 + 4 * j], a3 = tot[4 + 4 * j];
                double gCos, gSin, gxSin;   // sum dy cos(theta), sum dy sin(theta), sum dy x sin(theta)
                if (harmonic)
                {
                    // theta = ku - p: cos theta = C cos p + S sin p, sin theta = S cos p - C sin p.
                    (double sp, double cp) = Math.SinCos(phases[j]);
                    gCos = cp * a0 + sp * a1;
                    gSin = cp * a1 - sp * a0;
                    gxSin = cp * a3 - sp * a2;
                }
                else
                {
                    gCos = a0;
                    gSin = a1;
                    gxSin = a2;
                }
                dCoefficients[j] += (float)(gCos * invFact);
                dPhases[j] += (float)(coefficients[j] * gSin * invFact);
                if (wantGrid) dGrid[j] += (float)(-coefficients[j] * gxSin * invFact);
            }
        }
        finally { FixedBlocks.ReturnPartials(partials); }
    }

    // The largest float |x| for which every sine/cosine argument (theta = w x - p, or u = w_1 x on the harmonic path) is
    // within the fast path's limit, |x| max|w| (1 + 1e-6) + max|p| <= FastPathLimit (negative when no x is; +infinity
    // when every finite x is). Once per call.
    private static float FastXLimit(ReadOnlySpan<float> grid, ReadOnlySpan<float> phases, bool harmonic)
    {
        float mw = harmonic ? MathF.Abs(grid[0]) : 0f, mp = 0f;
        if (!harmonic)
            for (int j = 0; j < grid.Length; j++) { mw = MathF.Max(mw, MathF.Abs(grid[j])); mp = MathF.Max(mp, MathF.Abs(phases[j])); }
        double room = SinCosKernels.FastPathLimit - (double)mp;
        if (room < 0) return -1f;
        if (mw == 0) return float.PositiveInfinity;
        double l = room / (mw * (1 + 1e-6));
        float f = (float)l;
        return f > l ? MathF.BitDecrement(f) : f;
    }

    private struct ForwardJob : IBlockJob
    {
        public float* Y, X, T;
        public int N;
        public float F0, W0, W0Half, XLimit;
        public bool Harmonic;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int start, int count, int block) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            float* y = Y + start, x = X + start;
            int i = Forward<TV, TOps>(y, x, count, in this);
            Forward<float, SimdScalar>(y + i, x + i, count - i, in this);
        }
    }

    private struct BackwardJob : IBlockJob
    {
        public float* Dx, X, Dy, T;
        public double* Partials;
        public int N;
        public float W0, W0Half, XLimit;
        public bool Harmonic, WantGrid, NeedDx, AccumulateDx;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int start, int count, int block) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            float* dx = Dx + start, x = X + start, dy = Dy + start;
            double* sums = Partials + (long)block * (1 + 4 * N);
            int i = Backward<TV, TOps>(dx, x, dy, count, sums, in this);
            Backward<float, SimdScalar>(dx + i, x + i, dy + i, count - i, sums, in this);
        }
    }

    // Picks the loop: harmonic or general, each with the range check in the loop (one compare a vector).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Forward<TV, TOps>(float* y, float* x, int count, in ForwardJob job) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int len = count - count % TOps.Count;
        if (len == 0) return 0;
        float xl = job.XLimit;
        return job.Harmonic ? ForwardRuns<TV, TOps, Yes>(y, x, len, in job, xl) : ForwardRuns<TV, TOps, No>(y, x, len, in job, xl);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Backward<TV, TOps>(float* dx, float* x, float* dy, int count, double* sums, in BackwardJob job)
        where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int len = count - count % TOps.Count;
        if (len == 0) return 0;
        float xl = job.XLimit;
        if (job.Harmonic)
            return job.WantGrid ? BackwardRuns<TV, TOps, Yes, Yes>(dx, x, dy, len, sums, in job, xl) : BackwardRuns<TV, TOps, No, Yes>(dx, x, dy, len, sums, in job, xl);
        return job.WantGrid ? BackwardRuns<TV, TOps, Yes, No>(dx, x, dy, len, sums, in job, xl) : BackwardRuns<TV, TOps, No, No>(dx, x, dy, len, sums, in job, xl);
    }

    // The loop stops at a vector with an argument beyond the fast range (or an infinity), which then runs element by
    // element, and resumes after it: the rare slow case costs the loop no call, and each block is read once.
    private static int ForwardRuns<TV, TOps, THarmonic>(float* y, float* x, int len, in ForwardJob job, float xl)
        where TV : unmanaged where TOps : struct, ISimd<TV> where THarmonic : IFlag
    {
        int i = 0;
        while ((i += ForwardLoop<TV, TOps, No, THarmonic>(y + i, x + i, len - i, in job, xl)) < len)
        {
            for (int e = i; e < i + TOps.Count; e++)
            {
                if (MathF.Abs(x[e]) > xl) ForwardLoop<float, SimdScalar, Yes, THarmonic>(y + e, x + e, 1, in job, xl);
                else ForwardLoop<float, SimdScalar, No, THarmonic>(y + e, x + e, 1, in job, xl);
            }
            i += TOps.Count;
        }
        return len;
    }

    // As the forward; an element run alone adds its own sums.
    private static int BackwardRuns<TV, TOps, TGrid, THarmonic>(float* dx, float* x, float* dy, int len, double* sums, in BackwardJob job, float xl)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TGrid : IFlag where THarmonic : IFlag
    {
        int i = 0;
        while ((i += BackwardLoop<TV, TOps, No, TGrid, THarmonic>(dx + i, x + i, dy + i, len - i, sums, in job, xl)) < len)
        {
            for (int e = i; e < i + TOps.Count; e++)
            {
                if (MathF.Abs(x[e]) > xl) BackwardLoop<float, SimdScalar, Yes, TGrid, THarmonic>(dx + e, x + e, dy + e, 1, sums, in job, xl);
                else BackwardLoop<float, SimdScalar, No, TGrid, THarmonic>(dx + e, x + e, dy + e, 1, sums, in job, xl);
            }
            i += TOps.Count;
        }
        return len;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ForwardLoop<TV, TOps, TChecked, THarmonic>(float* y, float* x, int len, in ForwardJob job, float xl)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TChecked : IFlag where THarmonic : IFlag =>
        THarmonic.On ? HarmonicForward<TV, TOps, TChecked>(y, x, len, in job, xl) : GeneralForward<TV, TOps, TChecked>(y, x, len, in job, xl);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BackwardLoop<TV, TOps, TChecked, TGrid, THarmonic>(float* dx, float* x, float* dy, int len, double* sums,
        in BackwardJob job, float xl)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TChecked : IFlag where TGrid : IFlag where THarmonic : IFlag =>
        THarmonic.On ? HarmonicBackward<TV, TOps, TChecked, TGrid>(dx, x, dy, len, sums, in job, xl)
            : GeneralBackward<TV, TOps, TChecked, TGrid>(dx, x, dy, len, sums, in job, xl);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    // sin and cos of u = w0 x: the checked sincos of u, or the half-turn one of x (w0 / pi).
    private static void HarmonicSinCos<TV, TOps, TChecked>(TV xv, TV w0, TV w0Half, out TV s, out TV c)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TChecked : IFlag
    {
        if (TChecked.On) SinCosKernels.Eval<TV, TOps>(TOps.Mul(w0, xv), out s, out c);
        else FourierSinCos.SinCosPi<TV, TOps>(TOps.Mul(w0Half, xv), out s, out c);
    }

    // Two vectors per iteration, and the cosine and sine terms summed apart: the recurrence and the sums are chains of
    // dependent multiply-adds, and one vector's chains alone left the multiply-add units idle (measured).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int HarmonicForward<TV, TOps, TChecked>(float* y, float* x, int len, in ForwardJob job, float xLimit)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TChecked : IFlag
    {
        int n = job.N, i = 0;
        float* t1 = job.T, t2 = job.T + n;
        TV f0 = TOps.Splat(job.F0), w0 = TOps.Splat(job.W0), w0Half = TOps.Splat(job.W0Half), one = TOps.Splat(1f), zero = TOps.Splat(0f);
        TV a1 = TOps.Splat(t1[0]), b1 = TOps.Splat(t2[0]), lim = TOps.Splat(xLimit);
        for (; TOps.Count > 1 && i + 2 * TOps.Count <= len; i += 2 * TOps.Count)
        {
            TV xv = TOps.Load(x + i), xv2 = TOps.Load(x + i + TOps.Count);
            // Two compares, as the general loops' Beyond: a NaN in one vector must not hide a far value in the other.
            if (!TChecked.On && (TOps.AnyGreaterThan(TOps.Abs(xv), lim) || TOps.AnyGreaterThan(TOps.Abs(xv2), lim))) return i;
            HarmonicSinCos<TV, TOps, TChecked>(xv, w0, w0Half, out TV s1, out TV c1);
            HarmonicSinCos<TV, TOps, TChecked>(xv2, w0, w0Half, out TV s1b, out TV c1b);
            TV fc = TOps.MulAdd(a1, c1, f0), fs = TOps.Mul(b1, s1), fc2 = TOps.MulAdd(a1, c1b, f0), fs2 = TOps.Mul(b1, s1b);
            TV two = TOps.Add(c1, c1), cPrev = one, sPrev = zero, cCur = c1, sCur = s1;
            TV two2 = TOps.Add(c1b, c1b), cPrev2 = one, sPrev2 = zero, cCur2 = c1b, sCur2 = s1b;
            for (int j = 1; j < n; j++)
            {
                TV tc = TOps.Splat(t1[j]), ts = TOps.Splat(t2[j]);
                TV cNext = TOps.MulSub(two, cCur, cPrev), sNext = TOps.MulSub(two, sCur, sPrev);
                TV cNext2 = TOps.MulSub(two2, cCur2, cPrev2), sNext2 = TOps.MulSub(two2, sCur2, sPrev2);
                fc = TOps.MulAdd(tc, cNext, fc);
                fs = TOps.MulAdd(ts, sNext, fs);
                fc2 = TOps.MulAdd(tc, cNext2, fc2);
                fs2 = TOps.MulAdd(ts, sNext2, fs2);
                cPrev = cCur; sPrev = sCur; cCur = cNext; sCur = sNext;
                cPrev2 = cCur2; sPrev2 = sCur2; cCur2 = cNext2; sCur2 = sNext2;
            }
            TOps.Store(y + i, TOps.Add(fc, fs));
            TOps.Store(y + i + TOps.Count, TOps.Add(fc2, fs2));
        }
        for (; i < len; i += TOps.Count)
        {
            TV xv = TOps.Load(x + i);
            if (!TChecked.On && TOps.AnyGreaterThan(TOps.Abs(xv), lim)) return i; // as GeneralForward
            HarmonicSinCos<TV, TOps, TChecked>(xv, w0, w0Half, out TV s1, out TV c1);
            TV fc = TOps.MulAdd(a1, c1, f0), fs = TOps.Mul(b1, s1);
            TV two = TOps.Add(c1, c1), cPrev = one, sPrev = zero, cCur = c1, sCur = s1;
            for (int j = 1; j < n; j++)
            {
                TV cNext = TOps.MulSub(two, cCur, cPrev), sNext = TOps.MulSub(two, sCur, sPrev);
                fc = TOps.MulAdd(TOps.Splat(t1[j]), cNext, fc);
                fs = TOps.MulAdd(TOps.Splat(t2[j]), sNext, fs);
                cPrev = cCur; sPrev = sCur; cCur = cNext; sCur = sNext;
            }
            TOps.Store(y + i, TOps.Add(fc, fs));
        }
        return len;
    }

    // Whether any lane of four vectors is beyond the fast range (or infinite). Four compares: a max of the vectors would
    // let a NaN in one hide a far value in another's lane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Beyond<TV, TOps>(TV x0, TV x1, TV x2, TV x3, TV lim) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        TOps.AnyGreaterThan(TOps.Abs(x0), lim) || TOps.AnyGreaterThan(TOps.Abs(x1), lim)
        || TOps.AnyGreaterThan(TOps.Abs(x2), lim) || TOps.AnyGreaterThan(TOps.Abs(x3), lim);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int GeneralForward<TV, TOps, TChecked>(float* y, float* x, int len, in ForwardJob job, float xLimit)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TChecked : IFlag
    {
        int n = job.N;
        float* t1 = job.T, wh = job.T + n, ph = job.T + 3 * n, w = job.T + 4 * n, p = job.T + 5 * n;
        TV f0 = TOps.Splat(job.F0), lim = TOps.Splat(xLimit);
        int i = 0;
        // Four vectors at a time, each step of the cosine for all four (FourierSinCos.CosPi4), its sign put on the
        // coefficient (the same bits, off the chain to the sum). A vector beyond the range leaves this loop for the
        // one-vector loop below, which stops at it.
        for (; !TChecked.On && TOps.Count > 1 && i + 4 * TOps.Count <= len; i += 4 * TOps.Count)
        {
            TV x0 = TOps.Load(x + i), x1 = TOps.Load(x + i + TOps.Count);
            TV x2 = TOps.Load(x + i + 2 * TOps.Count), x3 = TOps.Load(x + i + 3 * TOps.Count);
            if (Beyond<TV, TOps>(x0, x1, x2, x3, lim)) break;
            TV y0 = f0, y1 = f0, y2 = f0, y3 = f0;
            for (int j = 0; j < n; j++)
            {
                TV wj = TOps.Splat(wh[j]), pj = TOps.Splat(ph[j]), tj = TOps.Splat(t1[j]);
                FourierSinCos.CosPi4<TV, TOps>(TOps.MulSub(wj, x0, pj), TOps.MulSub(wj, x1, pj), TOps.MulSub(wj, x2, pj),
                    TOps.MulSub(wj, x3, pj), out TV c0, out TV c1, out TV c2, out TV c3, out TV g0, out TV g1, out TV g2, out TV g3);
                y0 = TOps.MulAdd(TOps.Xor(tj, g0), c0, y0);
                y1 = TOps.MulAdd(TOps.Xor(tj, g1), c1, y1);
                y2 = TOps.MulAdd(TOps.Xor(tj, g2), c2, y2);
                y3 = TOps.MulAdd(TOps.Xor(tj, g3), c3, y3);
            }
            TOps.Store(y + i, y0);
            TOps.Store(y + i + TOps.Count, y1);
            TOps.Store(y + i + 2 * TOps.Count, y2);
            TOps.Store(y + i + 3 * TOps.Count, y3);
        }
        for (; i < len; i += TOps.Count)
        {
            TV xv = TOps.Load(x + i), f = f0;
            // Stop at a vector with an argument beyond the polynomial's range (or an infinity): the caller runs it element
            // by element, each element taking the checked sine/cosine only if it needs it (the bits of every width).
            if (!TChecked.On && TOps.AnyGreaterThan(TOps.Abs(xv), lim)) return i;
            for (int j = 0; j < n; j++)
            {
                TV c;
                if (TChecked.On) SinCosKernels.Eval<TV, TOps>(TOps.MulSub(TOps.Splat(w[j]), xv, TOps.Splat(p[j])), out _, out c);
                else c = FourierSinCos.CosPi<TV, TOps>(TOps.MulSub(TOps.Splat(wh[j]), xv, TOps.Splat(ph[j])));
                f = TOps.MulAdd(TOps.Splat(t1[j]), c, f);
            }
            TOps.Store(y + i, f);
        }
        return len;
    }

    // Accumulator slots per harmonic k: sum g cos(ku), sum g sin(ku), sum g x cos(ku), sum g x sin(ku). Two vectors per
    // iteration and dx's sine and cosine parts summed apart, as the forward; the lane sums take the two vectors in
    // element order, so the bits are those of one vector at a time.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int HarmonicBackward<TV, TOps, TChecked, TGrid>(float* dx, float* x, float* dy, int len, double* sums, in BackwardJob job,
        float xLimit)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TChecked : IFlag where TGrid : IFlag
    {
        int n = job.N, stride = 1 + 4 * n;
        float* d1 = job.T + 2 * n, d2 = job.T + 3 * n;
        bool needDx = job.NeedDx, accDx = job.AccumulateDx;
        TV w0 = TOps.Splat(job.W0), w0Half = TOps.Splat(job.W0Half), one = TOps.Splat(1f), zero = TOps.Splat(0f), lim = TOps.Splat(xLimit);
        byte* accBuffer = stackalloc byte[VectorAlign.Bytes<TV>(stride)];
        TV* acc = VectorAlign.Up<TV>(accBuffer);
        int i = 0;
        for (int s = 0; s < len; s += FixedBlocks.SubBlock)
        {
            int e = Math.Min(len, s + FixedBlocks.SubBlock);
            for (int k = 0; k < stride; k++) acc[k] = default;
            i = s;
            for (; TOps.Count > 1 && i + 2 * TOps.Count <= e; i += 2 * TOps.Count)
            {
                TV xv = TOps.Load(x + i), g = TOps.Load(dy + i);
                TV xv2 = TOps.Load(x + i + TOps.Count), g2 = TOps.Load(dy + i + TOps.Count);
                if (!TChecked.On && (TOps.AnyGreaterThan(TOps.Abs(xv), lim) || TOps.AnyGreaterThan(TOps.Abs(xv2), lim))) goto Stop;
                acc[0] = TOps.Add(TOps.Add(acc[0], g), g2);
                HarmonicSinCos<TV, TOps, TChecked>(xv, w0, w0Half, out TV sCur, out TV cCur);
                HarmonicSinCos<TV, TOps, TChecked>(xv2, w0, w0Half, out TV sCur2, out TV cCur2);
                TV gx = TGrid.On ? TOps.Mul(g, xv) : zero, gx2 = TGrid.On ? TOps.Mul(g2, xv2) : zero;
                TV two = TOps.Add(cCur, cCur), cPrev = one, sPrev = zero, two2 = TOps.Add(cCur2, cCur2), cPrev2 = one, sPrev2 = zero;
                TV e1 = TOps.Splat(d1[0]), e2 = TOps.Splat(d2[0]);
                TV dS = TOps.Mul(e1, sCur), dC = TOps.Mul(e2, cCur), dS2 = TOps.Mul(e1, sCur2), dC2 = TOps.Mul(e2, cCur2);
                for (int j = 0; ; )
                {
                    TV* a = acc + 1 + 4 * j;
                    a[0] = TOps.MulAdd(g2, cCur2, TOps.MulAdd(g, cCur, a[0]));
                    a[1] = TOps.MulAdd(g2, sCur2, TOps.MulAdd(g, sCur, a[1]));
                    if (TGrid.On)
                    {
                        a[2] = TOps.MulAdd(gx2, cCur2, TOps.MulAdd(gx, cCur, a[2]));
                        a[3] = TOps.MulAdd(gx2, sCur2, TOps.MulAdd(gx, sCur, a[3]));
                    }
                    if (++j == n) break;
                    TV cNext = TOps.MulSub(two, cCur, cPrev), sNext = TOps.MulSub(two, sCur, sPrev);
                    TV cNext2 = TOps.MulSub(two2, cCur2, cPrev2), sNext2 = TOps.MulSub(two2, sCur2, sPrev2);
                    cPrev = cCur; sPrev = sCur; cCur = cNext; sCur = sNext;
                    cPrev2 = cCur2; sPrev2 = sCur2; cCur2 = cNext2; sCur2 = sNext2;
                    e1 = TOps.Splat(d1[j]); e2 = TOps.Splat(d2[j]);
                    dS = TOps.MulAdd(e1, sCur, dS);
                    dC = TOps.MulAdd(e2, cCur, dC);
                    dS2 = TOps.MulAdd(e1, sCur2, dS2);
                    dC2 = TOps.MulAdd(e2, cCur2, dC2);
                }
                if (needDx)
                {
                    GradientStore.Put<TV, TOps>(dx + i, TOps.Mul(g, TOps.Add(dS, dC)), accDx);
                    GradientStore.Put<TV, TOps>(dx + i + TOps.Count, TOps.Mul(g2, TOps.Add(dS2, dC2)), accDx);
                }
            }
            for (; i < e; i += TOps.Count)
            {
                TV xv = TOps.Load(x + i), g = TOps.Load(dy + i);
                if (!TChecked.On && TOps.AnyGreaterThan(TOps.Abs(xv), lim)) goto Stop; // as GeneralBackward
                acc[0] = TOps.Add(acc[0], g);
                HarmonicSinCos<TV, TOps, TChecked>(xv, w0, w0Half, out TV sCur, out TV cCur);
                TV gx = TGrid.On ? TOps.Mul(g, xv) : zero;
                TV two = TOps.Add(cCur, cCur), cPrev = one, sPrev = zero;
                TV dS = TOps.Mul(TOps.Splat(d1[0]), sCur), dC = TOps.Mul(TOps.Splat(d2[0]), cCur);
                for (int j = 0; ; )
                {
                    TV* a = acc + 1 + 4 * j;
                    a[0] = TOps.MulAdd(g, cCur, a[0]);
                    a[1] = TOps.MulAdd(g, sCur, a[1]);
                    if (TGrid.On)
                    {
                        a[2] = TOps.MulAdd(gx, cCur, a[2]);
                        a[3] = TOps.MulAdd(gx, sCur, a[3]);
                    }
                    if (++j == n) break;
                    TV cNext = TOps.MulSub(two, cCur, cPrev), sNext = TOps.MulSub(two, sCur, sPrev);
                    cPrev = cCur; sPrev = sCur; cCur = cNext; sCur = sNext;
                    dS = TOps.MulAdd(TOps.Splat(d1[j]), sCur, dS);
                    dC = TOps.MulAdd(TOps.Splat(d2[j]), cCur, dC);
                }
                if (needDx) GradientStore.Put<TV, TOps>(dx + i, TOps.Mul(g, TOps.Add(dS, dC)), accDx);
            }
            for (int k = 0; k < stride; k++) sums[k] += SimdDouble.SumToDouble<TV, TOps>(acc[k]);
        }
        return len;
    Stop:
        for (int k = 0; k < stride; k++) sums[k] += SimdDouble.SumToDouble<TV, TOps>(acc[k]);
        return i;
    }

    // Accumulator slots per term: sum g cos(theta), sum g sin(theta), sum g x sin(theta). Element-outer (measured
    // faster than term-outer runs with the lane sums in registers and a dx-sum buffer).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int GeneralBackward<TV, TOps, TChecked, TGrid>(float* dx, float* x, float* dy, int len, double* sums, in BackwardJob job,
        float xLimit)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TChecked : IFlag where TGrid : IFlag
    {
        int n = job.N, stride = 1 + 4 * n;
        float* dxc = job.T + 2 * n, w = job.T + 4 * n, p = job.T + 5 * n;
        if (!TChecked.On) { w = job.T + n; p = job.T + 3 * n; } // the angle in half-turns, for FourierSinCos
        bool needDx = job.NeedDx, accDx = job.AccumulateDx;
        TV zero = TOps.Splat(0f), lim = TOps.Splat(xLimit);
        byte* accBuffer = stackalloc byte[VectorAlign.Bytes<TV>(stride)];
        TV* acc = VectorAlign.Up<TV>(accBuffer);
        int i = 0;
        for (int s = 0; s < len; s += FixedBlocks.SubBlock)
        {
            int e = Math.Min(len, s + FixedBlocks.SubBlock);
            for (int k = 0; k < stride; k++) acc[k] = default;
            i = s;
            // Four vectors per iteration, each step of the sines and cosines for all four (FourierSinCos.SinCosPi4), the
            // cosine's sign put on the upstream gradient it is multiplied by (the same bits, off the chain to the sum), and
            // one update of each lane sum, in element order (so the bits are those of one vector at a time). A vector
            // beyond the range leaves this loop for the one-vector loop below, which stops at it.
            for (; !TChecked.On && TOps.Count > 1 && i + 4 * TOps.Count <= e; i += 4 * TOps.Count)
            {
                int c = TOps.Count;
                TV x0 = TOps.Load(x + i), x1 = TOps.Load(x + i + c), x2 = TOps.Load(x + i + 2 * c), x3 = TOps.Load(x + i + 3 * c);
                if (Beyond<TV, TOps>(x0, x1, x2, x3, lim)) break;
                TV g0 = TOps.Load(dy + i), g1 = TOps.Load(dy + i + c), g2 = TOps.Load(dy + i + 2 * c), g3 = TOps.Load(dy + i + 3 * c);
                TV gx0 = zero, gx1 = zero, gx2 = zero, gx3 = zero;
                if (TGrid.On) { gx0 = TOps.Mul(g0, x0); gx1 = TOps.Mul(g1, x1); gx2 = TOps.Mul(g2, x2); gx3 = TOps.Mul(g3, x3); }
                TV d0 = zero, d1 = zero, d2 = zero, d3 = zero;
                acc[0] = TOps.Add(TOps.Add(TOps.Add(TOps.Add(acc[0], g0), g1), g2), g3);
                for (int j = 0; j < n; j++)
                {
                    TV wj = TOps.Splat(w[j]), pj = TOps.Splat(p[j]), ej = TOps.Splat(dxc[j]);
                    FourierSinCos.SinCosPi4<TV, TOps>(TOps.MulSub(wj, x0, pj), TOps.MulSub(wj, x1, pj), TOps.MulSub(wj, x2, pj),
                        TOps.MulSub(wj, x3, pj), out TV sn0, out TV sn1, out TV sn2, out TV sn3, out TV cs0, out TV cs1, out TV cs2, out TV cs3,
                        out TV sg0, out TV sg1, out TV sg2, out TV sg3);
                    TV* a = acc + 1 + 4 * j;
                    a[0] = TOps.MulAdd(TOps.Xor(g3, sg3), cs3, TOps.MulAdd(TOps.Xor(g2, sg2), cs2,
                        TOps.MulAdd(TOps.Xor(g1, sg1), cs1, TOps.MulAdd(TOps.Xor(g0, sg0), cs0, a[0]))));
                    a[1] = TOps.MulAdd(g3, sn3, TOps.MulAdd(g2, sn2, TOps.MulAdd(g1, sn1, TOps.MulAdd(g0, sn0, a[1]))));
                    if (TGrid.On) a[2] = TOps.MulAdd(gx3, sn3, TOps.MulAdd(gx2, sn2, TOps.MulAdd(gx1, sn1, TOps.MulAdd(gx0, sn0, a[2]))));
                    d0 = TOps.MulAdd(ej, sn0, d0);
                    d1 = TOps.MulAdd(ej, sn1, d1);
                    d2 = TOps.MulAdd(ej, sn2, d2);
                    d3 = TOps.MulAdd(ej, sn3, d3);
                }
                if (needDx)
                {
                    GradientStore.Put<TV, TOps>(dx + i, TOps.Mul(g0, d0), accDx);
                    GradientStore.Put<TV, TOps>(dx + i + c, TOps.Mul(g1, d1), accDx);
                    GradientStore.Put<TV, TOps>(dx + i + 2 * c, TOps.Mul(g2, d2), accDx);
                    GradientStore.Put<TV, TOps>(dx + i + 3 * c, TOps.Mul(g3, d3), accDx);
                }
            }
            for (; i < e; i += TOps.Count)
            {
                TV xv = TOps.Load(x + i), g = TOps.Load(dy + i);
                if (!TChecked.On && TOps.AnyGreaterThan(TOps.Abs(xv), lim)) goto Stop;
                TV gx = TGrid.On ? TOps.Mul(g, xv) : zero, d = zero;
                acc[0] = TOps.Add(acc[0], g);
                for (int j = 0; j < n; j++)
                {
                    TV sn, cs, arg = TOps.MulSub(TOps.Splat(w[j]), xv, TOps.Splat(p[j]));
                    if (TChecked.On) SinCosKernels.Eval<TV, TOps>(arg, out sn, out cs);
                    else FourierSinCos.SinCosPi<TV, TOps>(arg, out sn, out cs);
                    TV* a = acc + 1 + 4 * j;
                    a[0] = TOps.MulAdd(g, cs, a[0]);
                    a[1] = TOps.MulAdd(g, sn, a[1]);
                    if (TGrid.On) a[2] = TOps.MulAdd(gx, sn, a[2]);
                    d = TOps.MulAdd(TOps.Splat(dxc[j]), sn, d);
                }
                if (needDx) GradientStore.Put<TV, TOps>(dx + i, TOps.Mul(g, d), accDx);
            }
            for (int k = 0; k < stride; k++) sums[k] += SimdDouble.SumToDouble<TV, TOps>(acc[k]);
        }
        return len;
    Stop:
        // The sums so far, and where the caller takes over.
        for (int k = 0; k < stride; k++) sums[k] += SimdDouble.SumToDouble<TV, TOps>(acc[k]);
        return i;
    }

    /// <summary>f(x) and f'(x) in double precision (for moments, fitting and checks).</summary>
    public static double Evaluate(double x, ReadOnlySpan<float> fundamental, ReadOnlySpan<float> coefficients,
        ReadOnlySpan<float> phases, ReadOnlySpan<float> grid, int degree, out double derivative)
    {
        CheckParams(degree, fundamental, coefficients, phases, grid);
        double f = fundamental[0], d = 0, invFact = 1;
        for (int j = 0; j < degree; j++)
        {
            invFact /= j + 1;
            (double s, double c) = Math.SinCos(grid[j] * x - phases[j]);
            f += coefficients[j] * c * invFact;
            d -= coefficients[j] * (double)grid[j] * s * invFact;
        }
        derivative = d;
        return f;
    }
}
