using Ortho.Kernels;

namespace Ortho;

public static partial class Functional
{
    /// <summary>
    /// Causal scaled-dot-product attention of q, k, v [B, H, T, D] (scale 1/sqrt(D)), fused: online softmax over key
    /// tiles, never materializing the T x T scores; only the per-row log-sum-exp is saved for backward.
    /// </summary>
    public static Tensor CausalAttention(Tensor q, Tensor k, Tensor v)
    {
        if (q.Rank != 4 || !q.ShapeSpan.SequenceEqual(k.ShapeSpan) || !q.ShapeSpan.SequenceEqual(v.ShapeSpan))
            throw new ArgumentException($"CausalAttention: q, k, v must share a [B, H, T, D] shape, got {Tensor.ShapeString(q.ShapeSpan)}, {Tensor.ShapeString(k.ShapeSpan)}, {Tensor.ShapeString(v.ShapeSpan)}.");
        int b = q.Size(0), h = q.Size(1), t = q.Size(2), d = q.Size(3);
        var y = Tensor.Empty(q.Shape);
        var lse = Tensor.Empty([b, h, t]);
        CausalAttentionKernels.Forward(y.Data, lse.Data, q.Data, k.Data, v.Data, b, h, t, d);
        return Tensor.Record(y, "causal_attention", [q, k, v], g =>
        {
            // The kernel writes its three gradients when every buffer is fresh (or scratch for an input that needs no
            // gradient); when one already holds a gradient (or q, k, v are one tensor) all three accumulate.
            float[]? scratch = null;
            bool write = true;
            Span<float> GradOrScratch(Tensor x, int slot, out bool blank)
            {
                if (x.RequiresGrad)
                {
                    var gs = x.GradSpan(out blank);
                    write &= blank;
                    return gs;
                }
                scratch ??= TensorPool.Rent(x.Length * 3);
                blank = true;
                return scratch.AsSpan(slot * x.Length, x.Length);
            }
            try
            {
                var dq = GradOrScratch(q, 0, out bool bq);
                var dk = GradOrScratch(k, 1, out bool bk);
                var dv = GradOrScratch(v, 2, out bool bv);
                if (!write)
                {
                    if (bq) dq.Clear();
                    if (bk) dk.Clear();
                    if (bv) dv.Clear();
                }
                CausalAttentionKernels.Backward(dq, dk, dv, g.Data, y.Data, lse.Data, q.Data, k.Data, v.Data, b, h, t, d, accumulate: !write);
            }
            finally { if (scratch != null) TensorPool.Return(scratch); }
        });
    }

    /// <summary>
    /// Causal self-attention straight from a fused QKV projection [B, T, 3C] (q, k, v at channels [0, C), [C, 2C),
    /// [2C, 3C); head h at h*D inside each) to [B, T, C] with the heads concatenated: no transposes either way.
    /// </summary>
    public static Tensor CausalSelfAttention(Tensor qkv, int heads)
    {
        if (qkv.Rank != 3 || qkv.Size(2) % 3 != 0 || heads <= 0 || qkv.Size(2) / 3 % heads != 0)
            throw new ArgumentException($"CausalSelfAttention: qkv must be [B, T, 3C] with C divisible by {heads} heads, got {Tensor.ShapeString(qkv.ShapeSpan)}.");
        int b = qkv.Size(0), t = qkv.Size(1), c = qkv.Size(2) / 3, d = c / heads;
        var y = Tensor.Empty([b, t, c]);
        var lse = Tensor.Empty([b, heads, t]);
        CausalAttentionKernels.ForwardFusedQkv(y.Data, lse.Data, qkv.Data, b, t, heads, d);
        return Tensor.Record(y, "causal_self_attention", [qkv], g =>
        {
            var dqkv = qkv.GradSpan(out bool fresh);
            CausalAttentionKernels.BackwardFusedQkv(dqkv, g.Data, y.Data, lse.Data, qkv.Data, b, t, heads, d, accumulate: !fresh);
        });
    }
}
