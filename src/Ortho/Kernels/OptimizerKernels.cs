using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        int n = param.Length;
        int chunks = ElementwiseKernels.ChunkCount(n);
        if (chunks <= 1)
        {
            Core(ref MemoryMarshal.GetReference(param), ref MemoryMarshal.GetReference(grad), ref MemoryMarshal.GetReference(m),
                ref MemoryMarshal.GetReference(v), (nuint)n, c);
            return;
        }
        unsafe
        {
            fixed (float* pp = param, pg = grad, pm = m, pv = v)
                Parallel((nint)pp, (nint)pg, (nint)pm, (nint)pv, n, chunks, c);
        }
    }

    private struct AdamWConstants
    {
        public float Decay, Beta1, OneMinusBeta1, Beta2, OneMinusBeta2, NegStepSize, Bc2Sqrt, Eps;
    }

    private static unsafe void Parallel(nint p, nint g, nint m, nint v, int n, int chunks, AdamWConstants c) =>
        EngineSettings.ParallelFor(chunks, k =>
        {
            var (start, len) = ElementwiseKernels.ChunkRange(n, chunks, k);
            Core(ref *((float*)p + start), ref *((float*)g + start), ref *((float*)m + start), ref *((float*)v + start), (nuint)len, c);
        });

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Core(ref float p, ref float g, ref float m, ref float v, nuint n, in AdamWConstants c)
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> decay = Vector512.Create(c.Decay), b1 = Vector512.Create(c.Beta1), omb1 = Vector512.Create(c.OneMinusBeta1),
                b2 = Vector512.Create(c.Beta2), omb2 = Vector512.Create(c.OneMinusBeta2), negStep = Vector512.Create(c.NegStepSize),
                bc2s = Vector512.Create(c.Bc2Sqrt), eps = Vector512.Create(c.Eps);
            for (; i + 16 <= n; i += 16)
            {
                Vector512<float> gi = Vector512.LoadUnsafe(ref g, i);
                Vector512<float> pi = Vector512.LoadUnsafe(ref p, i) * decay;
                Vector512<float> mi = Vector512.LoadUnsafe(ref m, i) * b1 + omb1 * gi;
                Vector512<float> vi = Vector512.LoadUnsafe(ref v, i) * b2 + omb2 * gi * gi;
                Vector512<float> denom = Vector512.Sqrt(vi) / bc2s + eps;
                pi += negStep * mi / denom;
                mi.StoreUnsafe(ref m, i);
                vi.StoreUnsafe(ref v, i);
                pi.StoreUnsafe(ref p, i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> decay = Vector256.Create(c.Decay), b1 = Vector256.Create(c.Beta1), omb1 = Vector256.Create(c.OneMinusBeta1),
                b2 = Vector256.Create(c.Beta2), omb2 = Vector256.Create(c.OneMinusBeta2), negStep = Vector256.Create(c.NegStepSize),
                bc2s = Vector256.Create(c.Bc2Sqrt), eps = Vector256.Create(c.Eps);
            for (; i + 8 <= n; i += 8)
            {
                Vector256<float> gi = Vector256.LoadUnsafe(ref g, i);
                Vector256<float> pi = Vector256.LoadUnsafe(ref p, i) * decay;
                Vector256<float> mi = Vector256.LoadUnsafe(ref m, i) * b1 + omb1 * gi;
                Vector256<float> vi = Vector256.LoadUnsafe(ref v, i) * b2 + omb2 * gi * gi;
                Vector256<float> denom = Vector256.Sqrt(vi) / bc2s + eps;
                pi += negStep * mi / denom;
                mi.StoreUnsafe(ref m, i);
                vi.StoreUnsafe(ref v, i);
                pi.StoreUnsafe(ref p, i);
            }
        }
        for (; i < n; i++)
        {
            float gi = Unsafe.Add(ref g, i);
            float pi = Unsafe.Add(ref p, i) * c.Decay;
            float mi = Unsafe.Add(ref m, i) * c.Beta1 + c.OneMinusBeta1 * gi;
            float vi = Unsafe.Add(ref v, i) * c.Beta2 + c.OneMinusBeta2 * gi * gi;
            float denom = MathF.Sqrt(vi) / c.Bc2Sqrt + c.Eps;
            pi += c.NegStepSize * mi / denom;
            Unsafe.Add(ref m, i) = mi;
            Unsafe.Add(ref v, i) = vi;
            Unsafe.Add(ref p, i) = pi;
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
        int n = param.Length;
        ref float p = ref MemoryMarshal.GetReference(param);
        ref float g = ref MemoryMarshal.GetReference(grad);
        ref float b = ref MemoryMarshal.GetReference(momentumBuffer);
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> vNegLr = Vector512.Create(negLr), vWd = Vector512.Create(wd), vMom = Vector512.Create(mom);
            for (; i + 16 <= (nuint)n; i += 16)
            {
                Vector512<float> pi = Vector512.LoadUnsafe(ref p, i);
                Vector512<float> d = Vector512.LoadUnsafe(ref g, i);
                if (useWd) d += vWd * pi;
                if (useMom)
                {
                    Vector512<float> buf = Vector512.LoadUnsafe(ref b, i) * vMom + d;
                    buf.StoreUnsafe(ref b, i);
                    d = nesterov ? d + vMom * buf : buf;
                }
                (pi + vNegLr * d).StoreUnsafe(ref p, i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vNegLr = Vector256.Create(negLr), vWd = Vector256.Create(wd), vMom = Vector256.Create(mom);
            for (; i + 8 <= (nuint)n; i += 8)
            {
                Vector256<float> pi = Vector256.LoadUnsafe(ref p, i);
                Vector256<float> d = Vector256.LoadUnsafe(ref g, i);
                if (useWd) d += vWd * pi;
                if (useMom)
                {
                    Vector256<float> buf = Vector256.LoadUnsafe(ref b, i) * vMom + d;
                    buf.StoreUnsafe(ref b, i);
                    d = nesterov ? d + vMom * buf : buf;
                }
                (pi + vNegLr * d).StoreUnsafe(ref p, i);
            }
        }
        for (; i < (nuint)n; i++)
        {
            float pi = Unsafe.Add(ref p, i);
            float d = Unsafe.Add(ref g, i);
            if (useWd) d += wd * pi;
            if (useMom)
            {
                float buf = Unsafe.Add(ref b, i) * mom + d;
                Unsafe.Add(ref b, i) = buf;
                d = nesterov ? d + mom * buf : buf;
            }
            Unsafe.Add(ref p, i) = pi + negLr * d;
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
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length, i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<double> a0 = Vector512<double>.Zero, a1 = Vector512<double>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref r, i);
                Vector512<double> lo = Vector512.WidenLower(v), hi = Vector512.WidenUpper(v);
                a0 = Vector512.FusedMultiplyAdd(lo, lo, a0);
                a1 = Vector512.FusedMultiplyAdd(hi, hi, a1);
            }
            s = Vector512.Sum(a0 + a1);
        }
        if (Vector256.IsHardwareAccelerated && i + 8 <= n)
        {
            Vector256<double> a0 = Vector256<double>.Zero, a1 = Vector256<double>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref r, i);
                Vector256<double> lo = Vector256.WidenLower(v), hi = Vector256.WidenUpper(v);
                a0 = Vector256.FusedMultiplyAdd(lo, lo, a0);
                a1 = Vector256.FusedMultiplyAdd(hi, hi, a1);
            }
            s += Vector256.Sum(a0 + a1);
        }
        for (; i < n; i++)
        {
            double d = Unsafe.Add(ref r, i);
            s = Math.FusedMultiplyAdd(d, d, s);
        }
        return s;
    }
}
