using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// One AdamW step on one tensor, exactly as PyTorch's single-tensor <c>torch.optim.AdamW</c> orders it.
/// Hyperparameters are doubles because PyTorch computes its scalars (1 - lr wd, bias corrections, step size)
/// in Python doubles before rounding them to float; passing floats converts implicitly.
/// </summary>
public static class AdamWKernels
{
    /// <summary>
    /// p *= 1 - lr wd; m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g g;
    /// p += -(lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps). All spans have the same length;
    /// m and v start at zero; <paramref name="step"/> is t, counted from 1.
    /// </summary>
    public static void Step(Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v,
        double lr, double beta1, double beta2, double eps, double weightDecay, int step)
    {
        NnArgs.SameLength(param.Length, grad.Length, nameof(grad));
        NnArgs.SameLength(param.Length, m.Length, nameof(m));
        NnArgs.SameLength(param.Length, v.Length, nameof(v));
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "The AdamW step count starts at 1.");
        double bc1 = 1.0 - Math.Pow(beta1, step);
        double bc2 = 1.0 - Math.Pow(beta2, step);
        var c = new AdamWConstants
        {
            Decay = (float)(1.0 - lr * weightDecay),
            Beta1 = (float)beta1,
            OneMinusBeta1 = (float)(1.0 - beta1),
            Beta2 = (float)beta2,
            OneMinusBeta2 = (float)(1.0 - beta2),
            NegStepSize = (float)(-(lr / bc1)),
            Bc2Sqrt = (float)Math.Sqrt(bc2),
            Eps = (float)eps,
        };
        unsafe
        {
            fixed (float* pp = param, pg = grad, pm = m, pv = v)
                ElementwiseKernels.Chunks(param.Length).RunSimd(new AdamWJob { P = pp, G = pg, M = pm, V = pv, C = c });
        }
    }

    private struct AdamWConstants
    {
        public float Decay, Beta1, OneMinusBeta1, Beta2, OneMinusBeta2, NegStepSize, Bc2Sqrt, Eps;
    }

    private unsafe struct AdamWJob : ISimdRangeJob
    {
        public float* P, G, M, V;
        public AdamWConstants C;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int start, int end) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            SimdLoop.Map<TV, TOps, AdamWStep>(new AdamWStep { P = P + start, G = G + start, M = M + start, V = V + start, C = C }, end - start);
    }

    // Plain products and sums (no fused multiply-add), in PyTorch's order.
    private unsafe struct AdamWStep : ISimdStep
    {
        public float* P, G, M, V;
        public AdamWConstants C;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV gi = TOps.Load(G + i);
            TV pi = TOps.Mul(TOps.Load(P + i), TOps.Splat(C.Decay));
            TV mi = TOps.Add(TOps.Mul(TOps.Load(M + i), TOps.Splat(C.Beta1)), TOps.Mul(TOps.Splat(C.OneMinusBeta1), gi));
            TV vi = TOps.Add(TOps.Mul(TOps.Load(V + i), TOps.Splat(C.Beta2)), TOps.Mul(TOps.Mul(TOps.Splat(C.OneMinusBeta2), gi), gi));
            TV denom = TOps.Add(TOps.Div(TOps.Sqrt(vi), TOps.Splat(C.Bc2Sqrt)), TOps.Splat(C.Eps));
            pi = TOps.Add(pi, TOps.Div(TOps.Mul(TOps.Splat(C.NegStepSize), mi), denom));
            TOps.Store(M + i, mi);
            TOps.Store(V + i, vi);
            TOps.Store(P + i, pi);
        }
    }
}

/// <summary>
/// One SGD step on one tensor with PyTorch's <c>torch.optim.SGD</c> semantics (dampening 0):
/// d = g + wd p; with momentum: buf = momentum buf + d, then d = nesterov ? d + momentum buf : buf; p -= lr d.
/// </summary>
public static class SgdKernels
{
    /// <summary>
    /// Applies one step. momentumBuffer has the parameter's length and starts at zeros (with dampening 0 the
    /// first step then gives buf = d exactly, as PyTorch's lazily created buffer); it may be empty when
    /// <paramref name="momentum"/> is 0.
    /// </summary>
    public static void Step(Span<float> param, ReadOnlySpan<float> grad, Span<float> momentumBuffer,
        double lr, double momentum = 0, double weightDecay = 0, bool nesterov = false)
    {
        NnArgs.SameLength(param.Length, grad.Length, nameof(grad));
        if (momentum != 0) NnArgs.SameLength(param.Length, momentumBuffer.Length, nameof(momentumBuffer));
        if (nesterov && momentum <= 0) throw new ArgumentException("Nesterov momentum requires momentum > 0.", nameof(nesterov));
        float negLr = (float)(-lr), wd = (float)weightDecay, mom = (float)momentum;
        bool useWd = weightDecay != 0, useMom = momentum != 0;
        unsafe
        {
            fixed (float* pp = param, pg = grad, pb = momentumBuffer)
            {
                var job = new SgdJob { P = pp, G = pg, B = pb, N = param.Length, NegLr = negLr, Wd = wd, Mom = mom, UseWd = useWd, UseMom = useMom, Nesterov = nesterov };
                SimdDispatch.Run(ref job);
            }
        }
    }

    private unsafe struct SgdJob : ISimdJob, ISimdStep
    {
        public float* P, G, B;
        public int N;
        public float NegLr, Wd, Mom;
        public bool UseWd, UseMom, Nesterov;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV> => SimdLoop.Map<TV, TOps, SgdJob>(this, N);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV pi = TOps.Load(P + i);
            TV d = TOps.Load(G + i);
            if (UseWd) d = TOps.Add(d, TOps.Mul(TOps.Splat(Wd), pi));
            if (UseMom)
            {
                TV buf = TOps.Add(TOps.Mul(TOps.Load(B + i), TOps.Splat(Mom)), d);
                TOps.Store(B + i, buf);
                d = Nesterov ? TOps.Add(d, TOps.Mul(TOps.Splat(Mom), buf)) : buf;
            }
            TOps.Store(P + i, TOps.Add(pi, TOps.Mul(TOps.Splat(NegLr), d)));
        }
    }
}

/// <summary>Gradient-norm helpers for global norm clipping.</summary>
public static class GradNormKernels
{
    /// <summary>
    /// Sum of squares of x, accumulated in double with a fixed order (deterministic; independent of the
    /// thread count). The global norm of several tensors is the square root of the sum of these, added in
    /// a fixed tensor order.
    /// </summary>
    public static unsafe double SumOfSquares(ReadOnlySpan<float> x)
    {
        fixed (float* px = x)
        {
            var job = new SquaresJob { X = px, N = x.Length };
            SimdDispatch.Run(ref job);
            return job.Sum;
        }
    }

    // The row order of SimdLoop, with double accumulators: per vector width two double vectors (the lower and upper
    // lanes) of squares, their lane sum added to the total; then the single elements.
    private unsafe struct SquaresJob : ISimdJob
    {
        public float* X;
        public int N;
        public double Sum;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            var seg = new Segment<TV, TOps> { X = X, N = N };
            if (TOps.Count > 1) TOps.WithDouble(ref seg);
            if (SimdLoop.HasV256Tail(TOps.Count))
            {
                var seg256 = new Segment<Vector256<float>, Simd256> { X = X, N = N, I = seg.I, S = seg.S };
                Simd256.WithDouble(ref seg256);
                (seg.I, seg.S) = (seg256.I, seg256.S);
            }
            double s = seg.S;
            for (nint i = seg.I; i < N; i++)
            {
                double d = X[i];
                s = Math.FusedMultiplyAdd(d, d, s);
            }
            Sum = s;
        }
    }

    private unsafe struct Segment<TV, TOps> : IDoubleJob<TV> where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        public float* X;
        public nint N, I;
        public double S;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Run<TD, TDOps>() where TD : unmanaged where TDOps : struct, ISimdDouble<TV, TD>
        {
            if (I + TOps.Count > N) return;
            TD a0 = TDOps.Zero, a1 = TDOps.Zero;
            nint i = I;
            do
            {
                TDOps.Widen(TOps.Load(X + i), out TD lo, out TD hi);
                a0 = TDOps.Fma(lo, lo, a0);
                a1 = TDOps.Fma(hi, hi, a1);
                i += TOps.Count;
            }
            while (i + TOps.Count <= N);
            I = i;
            S += TDOps.Sum(TDOps.Add(a0, a1));
        }
    }
}
