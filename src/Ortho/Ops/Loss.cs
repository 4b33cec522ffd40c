using Ortho.Kernels;

namespace Ortho;

public static partial class Functional
{
    /// <summary>
    /// Mean cross-entropy of <paramref name="logits"/> [N, V] against class indices (fused with log-softmax; rows whose
    /// target is <paramref name="ignoreIndex"/> are skipped). Only the per-row log-sum-exp is saved for backward.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> targets, int ignoreIndex = -100)
    {
        if (logits.Rank != 2 || targets.Length != logits.Size(0))
            throw new ArgumentException($"CrossEntropy: logits must be [N, V] with N = {targets.Length} targets, got {Tensor.ShapeString(logits.ShapeSpan)}.");
        int n = logits.Size(0), v = logits.Size(1);
        var lse = Tensor.Empty([n]);
        var y = Tensor.Empty([]);
        y.Data[0] = CrossEntropyKernels.Forward(default, lse.Data, logits.Data, targets, n, v, ignoreIndex);
        var t = targets.ToArray();
        return Tensor.Record(y, "cross_entropy", [logits], g =>
        {
            var dx = logits.GradSpan(out bool fresh);
            CrossEntropyKernels.Backward(dx, logits.Data, lse.Data, t, n, v, g.Data[0], ignoreIndex, accumulate: !fresh);
        });
    }
}
