using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// The one-row kernels of decoding: a linear layer applied to one row, and the attention of one new query row
/// against the cached keys and values of T positions, per head:
/// y_h = softmax(q_h k_h^T / sqrt(D)) v_h over all T positions (the query is the newest, so every cached key is
/// in its causal past). O(T D) per head. Written once over <see cref="ISimd{TV}"/> (Vector128 included), single-threaded.
/// </summary>
internal static unsafe class DecodeKernels
{
    /// <summary>y = W x (+ b) for one row x [K] and W [N, K] row-major: y[j] = dot(W[j], x) (+ b[j]).</summary>
    public static void RowTimesTransposed(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias)
    {
        int k = x.Length, n = y.Length;
        if (w.Length != n * k || (!bias.IsEmpty && bias.Length != n))
            throw new ArgumentException($"DecodeKernels: a [{n}, {k}] weight has {w.Length} floats, bias {bias.Length}.");
        fixed (float* py = y, px = x, pw = w, pb = bias)
        {
            var job = new RowJob { Y = py, X = px, W = pw, Bias = bias.IsEmpty ? null : pb, N = n, K = k };
            SimdDispatch.Run(ref job);
        }
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
    public static void Attention(Span<float> y, ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, Span<float> scores,
        int tokens, int heads, int headDim)
    {
        int c = heads * headDim;
        if (y.Length < c || q.Length < c || keys.Length < tokens * c || values.Length < tokens * c || scores.Length < tokens || tokens < 1)
            throw new ArgumentException($"DecodeKernels: buffers too small for T={tokens}, H={heads}, D={headDim}.");
        fixed (float* py = y, pq = q, pk = keys, pv = values, ps = scores)
        {
            var job = new AttentionJob { Y = py, Q = pq, K = pk, V = pv, S = ps, T = tokens, H = heads, D = headDim };
            SimdDispatch.Run(ref job);
        }
    }

    private struct RowJob : ISimdJob
    {
        public float* Y, X, W, Bias;
        public int N, K;

        public static bool HasV128Path => true;

        // Four rows at a time share the loads of x; every row is summed in the same order (Dot4 and Dot1 agree).
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            int n = N, k = K, j = 0;
            float* x = X, w = W, y = Y;
            for (; j + 4 <= n; j += 4) Dot4<TV, TOps>(x, w + (nint)j * k, k, y + j);
            for (; j < n; j++) y[j] = Dot1<TV, TOps>(x, w + (nint)j * k, k);
            if (Bias != null) RowOps.AddInto<TV, TOps>(y, Bias, n);
        }
    }

    private struct AttentionJob : ISimdJob
    {
        public float* Y, Q, K, V, S;
        public int T, H, D;

        public static bool HasV128Path => true;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            int t = T, d = D, c = H * D;
            float* s = S;
            float scale = 1f / MathF.Sqrt(d);
            for (int h = 0; h < H; h++)
            {
                float* qh = Q + h * d, yh = Y + h * d;
                for (int j = 0; j < t; j++) s[j] = Dot1<TV, TOps>(qh, K + (nint)j * c + h * d, d) * scale;
                float max = RowOps.Max<TV, TOps>(s, t);
                float inv = 1f / RowOps.ExpStore<TV, TOps>(s, s, t, max);
                new Span<float>(yh, d).Clear();
                for (int j = 0; j < t; j++) RowOps.AddScaled<TV, TOps>(yh, V + (nint)j * c + h * d, d, s[j] * inv);
            }
        }
    }

    // dot(x, w[0..k)): whole vectors into one accumulator, its lanes summed, then a scalar tail (fast multiply-adds throughout).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot1<TV, TOps>(float* x, float* w, int k) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int i = 0;
        TV acc = TOps.Zero;
        for (; i + TOps.Count <= k; i += TOps.Count) acc = TOps.MulAdd(TOps.Load(x + i), TOps.Load(w + i), acc);
        float s = TOps.Sum(acc);
        for (; i < k; i++) s = SimdScalar.MulAdd(x[i], w[i], s);
        return s;
    }

    // Dot1 of x with the four rows w, w + k, w + 2k, w + 3k, into y[0..4).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4<TV, TOps>(float* x, float* w, int k, float* y) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        float* w1 = w + k, w2 = w1 + k, w3 = w2 + k;
        int i = 0;
        TV a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        for (; i + TOps.Count <= k; i += TOps.Count)
        {
            TV xv = TOps.Load(x + i);
            a0 = TOps.MulAdd(xv, TOps.Load(w + i), a0);
            a1 = TOps.MulAdd(xv, TOps.Load(w1 + i), a1);
            a2 = TOps.MulAdd(xv, TOps.Load(w2 + i), a2);
            a3 = TOps.MulAdd(xv, TOps.Load(w3 + i), a3);
        }
        float s0 = TOps.Sum(a0), s1 = TOps.Sum(a1), s2 = TOps.Sum(a2), s3 = TOps.Sum(a3);
        for (; i < k; i++)
        {
            float xi = x[i];
            s0 = SimdScalar.MulAdd(xi, w[i], s0);
            s1 = SimdScalar.MulAdd(xi, w1[i], s1);
            s2 = SimdScalar.MulAdd(xi, w2[i], s2);
            s3 = SimdScalar.MulAdd(xi, w3[i], s3);
        }
        y[0] = s0; y[1] = s1; y[2] = s2; y[3] = s3;
    }
}
