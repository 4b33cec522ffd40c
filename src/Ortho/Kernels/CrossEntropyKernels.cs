using System.Buffers;
using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// Cross-entropy of logits against integer class targets, fused with log-softmax (PyTorch's
/// <c>F.cross_entropy(logits, targets, ignore_index=-100)</c> with mean reduction): loss_r = logsumexp(x_r) -
/// x_r[t_r] for each of <c>rows</c> rows of <c>vocab</c> logits. Rows whose target equals
/// <c>ignoreIndex</c> contribute no loss and no gradient and are not counted in the mean. The forward pass
/// saves each row's logsumexp, from which the backward pass rebuilds the probabilities in one sweep.
/// </summary>
/// <remarks>
/// Rows run in coarse parallel chunks; the mean is a double-precision sum of the per-row losses in row order,
/// so it is bit-identical for any <see cref="EngineSettings.Threads"/>. Every target must lie in
/// [0, vocab) or equal ignoreIndex; otherwise an <see cref="ArgumentOutOfRangeException"/> names the row.
/// </remarks>
public static unsafe class CrossEntropyKernels
{
    /// <summary>
    /// Forward pass. Returns the mean loss over non-ignored rows (NaN when every row is ignored, as PyTorch).
    /// losses: rows (per-row loss, 0 for ignored rows) or empty; logSumExp: rows, saved for
    /// <see cref="Backward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, float, int)"/>; logits: rows*vocab; targets: rows.
    /// </summary>
    public static float Forward(Span<float> losses, Span<float> logSumExp, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets,
        int rows, int vocab, int ignoreIndex = -100)
    {
        NnArgs.Dims(rows, vocab, nameof(rows), nameof(vocab));
        NnArgs.LengthOrEmpty(losses.Length, rows, nameof(losses));
        NnArgs.Length(logSumExp.Length, rows, nameof(logSumExp));
        NnArgs.Length(logits.Length, (long)rows * vocab, nameof(logits));
        int count = CountAndValidate(targets, rows, vocab, ignoreIndex);
        if (rows == 0) return float.NaN;

        float[]? rented = losses.IsEmpty ? ArrayPool<float>.Shared.Rent(rows) : null;
        try
        {
            Span<float> rowLoss = losses.IsEmpty ? rented.AsSpan(0, rows) : losses;
            fixed (float* pl = rowLoss, plse = logSumExp, px = logits)
            fixed (int* pt = targets)
            {
                ParallelChunks.Rows(rows, vocab).RunSimd(new ForwardRows { Loss = pl, Lse = plse, X = px, Targets = pt, Vocab = vocab, IgnoreIndex = ignoreIndex });
            }
            if (count == 0) return float.NaN;
            double sum = 0;
            for (int r = 0; r < rows; r++)
                if (targets[r] != ignoreIndex) sum += rowLoss[r];
            return (float)(sum / count);
        }
        finally
        {
            if (rented != null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Backward pass of the mean loss, accumulating: dlogits += dloss / count * (softmax(x) - onehot(t)) for
    /// non-ignored rows (ignored rows get nothing). logSumExp is the forward pass's.
    /// </summary>
    public static void Backward(Span<float> dlogits, ReadOnlySpan<float> logits, ReadOnlySpan<float> logSumExp, ReadOnlySpan<int> targets,
        int rows, int vocab, float dloss, int ignoreIndex = -100) =>
        Backward(dlogits, logits, logSumExp, targets, rows, vocab, dloss, ignoreIndex, accumulate: true);

    /// <summary>
    /// As <see cref="Backward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, float, int)"/>,
    /// or written (dlogits =, zero on ignored rows) when <paramref name="accumulate"/> is false: for a gradient buffer
    /// nothing has reached yet, which then needs no clearing pass (at GPT-2's vocabulary the logits are the step's largest tensor).
    /// </summary>
    public static void Backward(Span<float> dlogits, ReadOnlySpan<float> logits, ReadOnlySpan<float> logSumExp, ReadOnlySpan<int> targets,
        int rows, int vocab, float dloss, int ignoreIndex, bool accumulate)
    {
        CheckBackward(dlogits, logits, logSumExp, rows, vocab);
        int count = CountAndValidate(targets, rows, vocab, ignoreIndex);
        // With no counted row every row is ignored: nothing to add, and a written buffer gets zeros.
        BackwardCore(dlogits, logits, logSumExp, targets, default, count == 0 ? 0f : dloss / count, rows, vocab, ignoreIndex, accumulate);
    }

    /// <summary>
    /// Backward pass for per-row losses (reduction "none"), accumulating: dlogits[r] += dlosses[r] *
    /// (softmax(x_r) - onehot(t_r)) for non-ignored rows. dlosses: rows.
    /// </summary>
    public static void BackwardPerRow(Span<float> dlogits, ReadOnlySpan<float> logits, ReadOnlySpan<float> logSumExp, ReadOnlySpan<int> targets,
        ReadOnlySpan<float> dlosses, int rows, int vocab, int ignoreIndex = -100)
    {
        CheckBackward(dlogits, logits, logSumExp, rows, vocab);
        NnArgs.Length(dlosses.Length, rows, nameof(dlosses));
        CountAndValidate(targets, rows, vocab, ignoreIndex);
        BackwardCore(dlogits, logits, logSumExp, targets, dlosses, 0f, rows, vocab, ignoreIndex, accumulate: true);
    }

    private static void CheckBackward(Span<float> dlogits, ReadOnlySpan<float> logits, ReadOnlySpan<float> logSumExp, int rows, int vocab)
    {
        NnArgs.Dims(rows, vocab, nameof(rows), nameof(vocab));
        NnArgs.Length(dlogits.Length, (long)rows * vocab, nameof(dlogits));
        NnArgs.Length(logits.Length, (long)rows * vocab, nameof(logits));
        NnArgs.Length(logSumExp.Length, rows, nameof(logSumExp));
    }

    /// <summary>Checks every target and returns the number of non-ignored rows.</summary>
    private static int CountAndValidate(ReadOnlySpan<int> targets, int rows, int vocab, int ignoreIndex)
    {
        NnArgs.Length(targets.Length, rows, nameof(targets));
        int count = 0;
        for (int r = 0; r < rows; r++)
        {
            int t = targets[r];
            if (t == ignoreIndex) continue;
            if ((uint)t >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(targets), t,
                    $"Target at row {r} is {t}, outside [0, {vocab}) and not the ignore index {ignoreIndex}.");
            count++;
        }
        return count;
    }

    private static void BackwardCore(Span<float> dlogits, ReadOnlySpan<float> logits, ReadOnlySpan<float> logSumExp, ReadOnlySpan<int> targets,
        ReadOnlySpan<float> dlosses, float uniformScale, int rows, int vocab, int ignoreIndex, bool accumulate)
    {
        if (rows == 0) return;
        fixed (float* pdx = dlogits, px = logits, plse = logSumExp, pdl = dlosses)
        fixed (int* pt = targets)
        {
            var job = new BackwardRows { Dx = pdx, X = px, Lse = plse, Targets = pt, DLosses = pdl, UniformScale = uniformScale, Vocab = vocab, IgnoreIndex = ignoreIndex, Accumulate = accumulate };
            ParallelChunks.Rows(rows, vocab).RunSimd(job);
        }
    }

    private struct ForwardRows : ISimdRangeJob
    {
        public float* Loss, Lse, X;
        public int* Targets;
        public int Vocab, IgnoreIndex;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int r0, int r1) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            for (int r = r0; r < r1; r++)
            {
                float* xr = X + (long)r * Vocab;
                float m = RowOps.Max<TV, TOps>(xr, Vocab);
                float logS = MathF.Log(RowOps.SumExp<TV, TOps>(xr, Vocab, m));
                Lse[r] = m + logS;
                int t = Targets[r];
                Loss[r] = t == IgnoreIndex ? 0f : (m - xr[t]) + logS;
            }
        }
    }

    private struct BackwardRows : ISimdRangeJob
    {
        public float* Dx, X, Lse, DLosses;
        public int* Targets;
        public float UniformScale;
        public int Vocab, IgnoreIndex;
        public bool Accumulate;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int r0, int r1) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            for (int r = r0; r < r1; r++)
            {
                int t = Targets[r];
                long o = (long)r * Vocab;
                if (t == IgnoreIndex)
                {
                    if (!Accumulate) new Span<float>(Dx + o, Vocab).Clear();
                    continue;
                }
                float scale = DLosses != null ? DLosses[r] : UniformScale;
                if (Accumulate) SimdLoop.Map<TV, TOps, GradStep<Yes>>(new GradStep<Yes> { Dx = Dx + o, X = X + o, Lse = Lse[r], Scale = scale }, Vocab);
                else SimdLoop.Map<TV, TOps, GradStep<No>>(new GradStep<No> { Dx = Dx + o, X = X + o, Lse = Lse[r], Scale = scale }, Vocab);
                Dx[o + t] -= scale;
            }
        }
    }

    // dx (+)= exp(x - lse) scale.
    private struct GradStep<TAcc> : ISimdStep where TAcc : IFlag
    {
        public float* Dx, X;
        public float Lse, Scale;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV e = VMath.Exp<TV, TOps>(TOps.Sub(TOps.Load(X + i), TOps.Splat(Lse)));
            TOps.Store(Dx + i, TAcc.On ? TOps.Fma(e, TOps.Splat(Scale), TOps.Load(Dx + i)) : TOps.Mul(e, TOps.Splat(Scale)));
        }
    }
}
