using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Ortho.Inference;

/// <summary>
/// The one-row kernels of decoding: a linear layer applied to one row, and the attention of one new query row
/// against the cached keys and values of T positions, per head:
/// y_h = softmax(q_h k_h^T / sqrt(D)) v_h over all T positions (the query is the newest, so every cached key is
/// in its causal past). O(T D) per head.
/// </summary>
internal static class DecodeKernels
{
    /// <summary>y = W x (+ b) for one row x [K] and W [N, K] row-major: y[j] = dot(W[j], x) (+ b[j]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first token: skip the unoptimized tier
    public static void RowTimesTransposed(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias)
    {
        int k = x.Length, n = y.Length;
        if (w.Length != n * k || (!bias.IsEmpty && bias.Length != n))
            throw new ArgumentException($"DecodeKernels: a [{n}, {k}] weight has {w.Length} floats, bias {bias.Length}.");
        for (int j = 0; j < n; j++) y[j] = TensorPrimitives.Dot(x, w.Slice(j * k, k));
        if (!bias.IsEmpty) TensorPrimitives.Add(y, bias, y);
    }

    /// <summary>Attention of the newest query against all T cached positions.</summary>
    /// <param name="y">Output [C] (overwritten), C = heads x headDim, head h at [h D, (h + 1) D).</param>
    /// <param name="q">The query [C].</param>
    /// <param name="keys">Cached keys [>= T, C], row j = position j.</param>
    /// <param name="values">Cached values [>= T, C].</param>
    /// <param name="scores">Scratch of at least T floats.</param>
    /// <param name="tokens">T, the cached positions to attend to (including the new one).</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">D.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Attention(Span<float> y, ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, Span<float> scores,
        int tokens, int heads, int headDim)
    {
        int c = heads * headDim;
        if (y.Length < c || q.Length < c || keys.Length < tokens * c || values.Length < tokens * c || scores.Length < tokens || tokens < 1)
            throw new ArgumentException($"DecodeKernels: buffers too small for T={tokens}, H={heads}, D={headDim}.");
        float scale = 1f / MathF.Sqrt(headDim);
        var s = scores[..tokens];
        for (int h = 0; h < heads; h++)
        {
            var qh = q.Slice(h * headDim, headDim);
            for (int j = 0; j < tokens; j++) s[j] = TensorPrimitives.Dot(qh, keys.Slice(j * c + h * headDim, headDim)) * scale;
            float max = TensorPrimitives.Max(s);
            TensorPrimitives.Subtract(s, max, s);
            TensorPrimitives.Exp(s, s);
            float inv = 1f / TensorPrimitives.Sum(s);
            var yh = y.Slice(h * headDim, headDim);
            yh.Clear();
            for (int j = 0; j < tokens; j++) TensorPrimitives.MultiplyAdd(values.Slice(j * c + h * headDim, headDim), s[j] * inv, yh, yh);
        }
    }
}
