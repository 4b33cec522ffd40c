using System.Buffers;
using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// Fused causal multi-head self-attention, flash-attention style: y = softmax(q k^T / sqrt(D) + causal mask) v,
/// computed per (batch, head) over 64 x 64 query/key tiles with an online softmax, never materializing the
/// T x T score matrix. The forward pass saves one float per query row, the log-sum-exp of its scaled scores
/// (<c>lse</c>, [B, H, T] contiguous); the backward pass recomputes the scores tile by tile from q, k and lse and
/// accumulates (+=) into dq, dk and dv (or writes them, for gradient buffers nothing has reached yet).
/// For sequences of up to <see cref="ShortKeys"/> tokens (<see cref="ShortKeysBackward"/> in the backward pass), each
/// 64-query tile's scores against all its keys fit in a per-thread scratch ([64, T]), so the pass takes whole score rows
/// instead: one max and one exp per row, no online rescaling, and the products over all keys in one call (forward about
/// 20% faster at T = 128, head dim 32, and 26% at T = 1024, head dim 64, than the online softmax). Up to
/// <see cref="ColumnKeys"/> tokens the forward keeps that block transposed, keys x queries, for a softmax down the columns
/// with no lane reductions (another 15-20% at T = 128). Longer sequences stream 64-key tiles through the online softmax.
/// </summary>
/// <remarks>
/// Operands are described by <see cref="AttentionLayout"/> (offset and batch/head/token strides; the head
/// dimension is contiguous), so q, k and v can be read straight from a fused QKV buffer [B, T, 3C] and y written
/// as [B, T, C]; see <see cref="ForwardFusedQkv"/>. Work is split over (batch, head) pairs in coarse chunks via
/// <see cref="EngineSettings.ParallelFor"/>; every pair is computed by one work item in a fixed order, so results
/// are bit-identical for any thread count. Output buffers must not overlap the inputs (dq, dk and dv may share
/// one buffer as long as their views are disjoint, as in the fused layout).
/// </remarks>
public static class CausalAttentionKernels
{
    /// <summary>Query and key tile edge.</summary>
    internal const int Tile = 64;

    /// <summary>
    /// Longest (tile-padded) sequence whose forward pass keeps each query tile's whole score row block in scratch
    /// ([Tile, T]: 256 KiB at 1024, GPT-2's block) instead of streaming key tiles through an online softmax. Measured at
    /// head dim 64 and T = 1024: 26% faster on one thread, 9% on two.
    /// </summary>
    internal const int ShortKeys = 1024;

    /// <summary>
    /// The same limit for the backward pass, whose scratch held two such blocks and the key and value gradients of the
    /// whole sequence when it was measured (1.6 MB at T = 1024, head dim 64: more than a core's L2; the gradients now go
    /// straight to their outputs): at 1024 it was 8% faster on one thread and 8% slower on two, so it stops at 256.
    /// </summary>
    internal const int ShortKeysBackward = 256;

    /// <summary>
    /// Longest (tile-padded) sequence whose forward pass keeps each query tile's scores transposed, keys x queries, for a
    /// softmax down the columns (no lane reductions). The value product then reads the probabilities one key row at a
    /// time for 8 queries, half a cache line per step, and streams more lines from L2 than the row layout as the keys grow:
    /// on one thread the forward was 15% faster at 128 keys (the default LM, head dim 32), about 3% slower at 256 (head
    /// dim 64) and 7% slower at 1024 (GPT-2).
    /// </summary>
    internal const int ColumnKeys = 128;

    /// <summary>
    /// Forward pass with arbitrary strided layouts.
    /// </summary>
    /// <param name="y">Output [B, H, T, D] as described by <paramref name="yLayout"/> (overwritten).</param>
    /// <param name="yLayout">Layout of <paramref name="y"/>.</param>
    /// <param name="lse">Output [B, H, T] contiguous: per query row, log(sum_j exp(s_ij)) with s = q k^T / sqrt(D) over j &lt;= i. Keep it for the backward pass.</param>
    /// <param name="q">Queries.</param>
    /// <param name="qLayout">Layout of <paramref name="q"/>.</param>
    /// <param name="k">Keys.</param>
    /// <param name="kLayout">Layout of <paramref name="k"/>.</param>
    /// <param name="v">Values.</param>
    /// <param name="vLayout">Layout of <paramref name="v"/>.</param>
    /// <param name="batch">B.</param>
    /// <param name="heads">H.</param>
    /// <param name="tokens">T.</param>
    /// <param name="headDim">D; scores are scaled by 1 / sqrt(D).</param>
    public static unsafe void Forward(
        Span<float> y, AttentionLayout yLayout, Span<float> lse,
        ReadOnlySpan<float> q, AttentionLayout qLayout,
        ReadOnlySpan<float> k, AttentionLayout kLayout,
        ReadOnlySpan<float> v, AttentionLayout vLayout,
        int batch, int heads, int tokens, int headDim)
    {
        CheckDims(batch, heads, tokens, headDim);
        yLayout.Check(nameof(y), y.Length, batch, heads, tokens, headDim);
        qLayout.Check(nameof(q), q.Length, batch, heads, tokens, headDim);
        kLayout.Check(nameof(k), k.Length, batch, heads, tokens, headDim);
        vLayout.Check(nameof(v), v.Length, batch, heads, tokens, headDim);
        long bht = (long)batch * heads * tokens;
        if (lse.Length < bht) throw new ArgumentException($"lse needs {bht} floats, has {lse.Length}.", nameof(lse));
        if (bht == 0 || headDim == 0) return;

        fixed (float* py = y, plse = lse, pq = q, pk = k, pv = v)
        {
            var args = new Args
            {
                Y = (nint)py, Lse = (nint)plse, Q = (nint)pq, K = (nint)pk, V = (nint)pv,
                YL = yLayout, QL = qLayout, KL = kLayout, VL = vLayout,
                H = heads, T = tokens, D = headDim,
            };
            int tp = TPad(tokens);
            var pass = tp <= ColumnKeys ? Pass.Columns : tp <= ShortKeys ? Pass.Rows : Pass.Online;
            var (plan, unit) = Pairs(batch, heads, tokens, headDim, 2.0);
            plan.RunSimd(new PairsJob { Args = args, Pass = pass, Scratch = ScratchFloats(pass, tokens, headDim), Unit = unit });
        }
    }

    /// <summary>
    /// Backward pass with arbitrary strided layouts: accumulates (+=) dL/dq, dL/dk and dL/dv given dL/dy, the
    /// forward output y and the saved <paramref name="lse"/>.
    /// </summary>
    /// <param name="dq">Query gradient, accumulated.</param>
    /// <param name="dqLayout">Layout of <paramref name="dq"/>.</param>
    /// <param name="dk">Key gradient, accumulated.</param>
    /// <param name="dkLayout">Layout of <paramref name="dk"/>.</param>
    /// <param name="dv">Value gradient, accumulated.</param>
    /// <param name="dvLayout">Layout of <paramref name="dv"/>.</param>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="dyLayout">Layout of <paramref name="dy"/>.</param>
    /// <param name="y">The forward output.</param>
    /// <param name="yLayout">Layout of <paramref name="y"/>.</param>
    /// <param name="lse">The [B, H, T] log-sum-exp saved by the forward pass.</param>
    /// <param name="q">Queries.</param>
    /// <param name="qLayout">Layout of <paramref name="q"/>.</param>
    /// <param name="k">Keys.</param>
    /// <param name="kLayout">Layout of <paramref name="k"/>.</param>
    /// <param name="v">Values.</param>
    /// <param name="vLayout">Layout of <paramref name="v"/>.</param>
    /// <param name="batch">B.</param>
    /// <param name="heads">H.</param>
    /// <param name="tokens">T.</param>
    /// <param name="headDim">D.</param>
    /// <param name="accumulate">True (the default) adds into dq, dk and dv; false writes them (every element of their
    /// views is written once), for gradient buffers nothing has reached yet: no clearing pass.</param>
    public static unsafe void Backward(
        Span<float> dq, AttentionLayout dqLayout,
        Span<float> dk, AttentionLayout dkLayout,
        Span<float> dv, AttentionLayout dvLayout,
        ReadOnlySpan<float> dy, AttentionLayout dyLayout,
        ReadOnlySpan<float> y, AttentionLayout yLayout,
        ReadOnlySpan<float> lse,
        ReadOnlySpan<float> q, AttentionLayout qLayout,
        ReadOnlySpan<float> k, AttentionLayout kLayout,
        ReadOnlySpan<float> v, AttentionLayout vLayout,
        int batch, int heads, int tokens, int headDim, bool accumulate = true)
    {
        CheckDims(batch, heads, tokens, headDim);
        dqLayout.Check(nameof(dq), dq.Length, batch, heads, tokens, headDim);
        dkLayout.Check(nameof(dk), dk.Length, batch, heads, tokens, headDim);
        dvLayout.Check(nameof(dv), dv.Length, batch, heads, tokens, headDim);
        dyLayout.Check(nameof(dy), dy.Length, batch, heads, tokens, headDim);
        yLayout.Check(nameof(y), y.Length, batch, heads, tokens, headDim);
        qLayout.Check(nameof(q), q.Length, batch, heads, tokens, headDim);
        kLayout.Check(nameof(k), k.Length, batch, heads, tokens, headDim);
        vLayout.Check(nameof(v), v.Length, batch, heads, tokens, headDim);
        long bht = (long)batch * heads * tokens;
        if (lse.Length < bht) throw new ArgumentException($"lse needs {bht} floats, has {lse.Length}.", nameof(lse));
        if (bht == 0 || headDim == 0) return;

        fixed (float* pdq = dq, pdk = dk, pdv = dv, pdy = dy, py = y, plse = lse, pq = q, pk = k, pv = v)
        {
            var args = new Args
            {
                Y = (nint)py, Lse = (nint)plse, Q = (nint)pq, K = (nint)pk, V = (nint)pv,
                DY = (nint)pdy, DQ = (nint)pdq, DK = (nint)pdk, DV = (nint)pdv,
                YL = yLayout, QL = qLayout, KL = kLayout, VL = vLayout,
                DYL = dyLayout, DQL = dqLayout, DKL = dkLayout, DVL = dvLayout,
                H = heads, T = tokens, D = headDim, Accumulate = accumulate,
            };
            var pass = TPad(tokens) <= ShortKeysBackward ? Pass.BackwardRows : Pass.BackwardOnline;
            var (plan, unit) = Pairs(batch, heads, tokens, headDim, 5.0);
            plan.RunSimd(new PairsJob { Args = args, Pass = pass, Scratch = ScratchFloats(pass, tokens, headDim), Unit = unit });
        }
    }

    /// <summary>Forward pass for contiguous q, k, v, y of shape [B, H, T, D] (lse [B, H, T]).</summary>
    /// <param name="y">Output [B, H, T, D].</param>
    /// <param name="lse">Saved log-sum-exp [B, H, T].</param>
    /// <param name="q">Queries [B, H, T, D].</param>
    /// <param name="k">Keys [B, H, T, D].</param>
    /// <param name="v">Values [B, H, T, D].</param>
    /// <param name="batch">B.</param>
    /// <param name="heads">H.</param>
    /// <param name="tokens">T.</param>
    /// <param name="headDim">D.</param>
    public static void Forward(Span<float> y, Span<float> lse, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        int batch, int heads, int tokens, int headDim)
    {
        var l = AttentionLayout.Contiguous(heads, tokens, headDim);
        Forward(y, l, lse, q, l, k, l, v, l, batch, heads, tokens, headDim);
    }

    /// <summary>Backward pass for contiguous [B, H, T, D] operands; accumulates into dq, dk, dv (or writes them when
    /// <paramref name="accumulate"/> is false).</summary>
    /// <param name="dq">Query gradient [B, H, T, D], accumulated.</param>
    /// <param name="dk">Key gradient [B, H, T, D], accumulated.</param>
    /// <param name="dv">Value gradient [B, H, T, D], accumulated.</param>
    /// <param name="dy">Output gradient [B, H, T, D].</param>
    /// <param name="y">Forward output [B, H, T, D].</param>
    /// <param name="lse">Saved log-sum-exp [B, H, T].</param>
    /// <param name="q">Queries.</param>
    /// <param name="k">Keys.</param>
    /// <param name="v">Values.</param>
    /// <param name="batch">B.</param>
    /// <param name="heads">H.</param>
    /// <param name="tokens">T.</param>
    /// <param name="headDim">D.</param>
    /// <param name="accumulate">False writes dq, dk and dv instead of adding into them.</param>
    public static void Backward(Span<float> dq, Span<float> dk, Span<float> dv, ReadOnlySpan<float> dy, ReadOnlySpan<float> y,
        ReadOnlySpan<float> lse, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        int batch, int heads, int tokens, int headDim, bool accumulate = true)
    {
        var l = AttentionLayout.Contiguous(heads, tokens, headDim);
        Backward(dq, l, dk, l, dv, l, dy, l, y, l, lse, q, l, k, l, v, l, batch, heads, tokens, headDim, accumulate);
    }

    /// <summary>
    /// Forward pass reading q, k, v from a fused QKV projection output <paramref name="qkv"/> [B, T, 3C]
    /// (q at channels [0, C), k at [C, 2C), v at [2C, 3C); head h at offset h * D inside each; C = H * D) and
    /// writing <paramref name="y"/> as [B, T, C] (heads concatenated), ready for the output projection.
    /// </summary>
    /// <param name="y">Output [B, T, C].</param>
    /// <param name="lse">Saved log-sum-exp [B, H, T].</param>
    /// <param name="qkv">Fused projections [B, T, 3C].</param>
    /// <param name="batch">B.</param>
    /// <param name="tokens">T.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">D.</param>
    public static void ForwardFusedQkv(Span<float> y, Span<float> lse, ReadOnlySpan<float> qkv, int batch, int tokens, int heads, int headDim)
    {
        Forward(y, AttentionLayout.TokenMajor(heads, tokens, headDim), lse,
            qkv, AttentionLayout.FusedQkv(0, heads, tokens, headDim),
            qkv, AttentionLayout.FusedQkv(1, heads, tokens, headDim),
            qkv, AttentionLayout.FusedQkv(2, heads, tokens, headDim),
            batch, heads, tokens, headDim);
    }

    /// <summary>
    /// Backward pass of <see cref="ForwardFusedQkv"/>: accumulates (+=) the gradient of the fused buffer into
    /// <paramref name="dqkv"/> [B, T, 3C], given dy and y [B, T, C], the saved lse and qkv.
    /// </summary>
    /// <param name="dqkv">Gradient of the fused projections [B, T, 3C], accumulated.</param>
    /// <param name="dy">Output gradient [B, T, C].</param>
    /// <param name="y">Forward output [B, T, C].</param>
    /// <param name="lse">Saved log-sum-exp [B, H, T].</param>
    /// <param name="qkv">Fused projections [B, T, 3C].</param>
    /// <param name="batch">B.</param>
    /// <param name="tokens">T.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">D.</param>
    /// <param name="accumulate">False writes <paramref name="dqkv"/> (every element) instead of adding into it.</param>
    public static void BackwardFusedQkv(Span<float> dqkv, ReadOnlySpan<float> dy, ReadOnlySpan<float> y, ReadOnlySpan<float> lse,
        ReadOnlySpan<float> qkv, int batch, int tokens, int heads, int headDim, bool accumulate = true)
    {
        var q = AttentionLayout.FusedQkv(0, heads, tokens, headDim);
        var k = AttentionLayout.FusedQkv(1, heads, tokens, headDim);
        var v = AttentionLayout.FusedQkv(2, heads, tokens, headDim);
        var tm = AttentionLayout.TokenMajor(heads, tokens, headDim);
        Backward(dqkv, q, dqkv, k, dqkv, v, dy, tm, y, tm, lse, qkv, q, qkv, k, qkv, v, batch, heads, tokens, headDim, accumulate);
    }

    private static void CheckDims(int batch, int heads, int tokens, int headDim)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch));
        if (heads < 0) throw new ArgumentOutOfRangeException(nameof(heads));
        if (tokens < 0) throw new ArgumentOutOfRangeException(nameof(tokens));
        if (headDim < 0) throw new ArgumentOutOfRangeException(nameof(headDim));
    }

    /// <summary>T rounded up to whole tiles.</summary>
    private static int TPad(int tokens) => (tokens + Tile - 1) / Tile * Tile;

    /// <summary>The loop nest a call runs, chosen from the sequence length (the limits above).</summary>
    private enum Pass
    {
        /// <summary>Forward, key tiles streamed through the online softmax (<c>Impl.Forward</c>).</summary>
        Online,
        /// <summary>Forward, whole score rows of a query tile (<c>Impl.ForwardShort</c>).</summary>
        Rows,
        /// <summary>Forward, a query tile's scores transposed (<c>Impl.ForwardColumns</c>).</summary>
        Columns,
        /// <summary>Backward, key tiles outer (<c>Impl.Backward</c>).</summary>
        BackwardOnline,
        /// <summary>Backward, whole score rows of a query tile (<c>Impl.BackwardShort</c>).</summary>
        BackwardRows,
    }

    /// <summary>Floats of scratch one chunk of pairs needs, as each pass lays it out at its top (in <c>Impl</c>).</summary>
    private static int ScratchFloats(Pass pass, int tokens, int d)
    {
        int tp = TPad(tokens);
        return pass switch
        {
            Pass.Columns => d * Tile + tp * Tile + Tile * d + 2 * Tile,     // query panel, scores [tp, Tile], acc, max, sums
            Pass.Rows => d * tp + Tile * tp + Tile * d + Tile,               // key panels, scores [Tile, tp], acc, 1 / sums
            Pass.Online => d * tp + Tile * Tile + Tile * d + 2 * Tile,       // key panels, scores [Tile, Tile], acc, max, sums
            Pass.BackwardRows => 2 * d * tp + tp + 2 * Tile * tp,            // K, V panels, Di, P, dS [Tile, tp]
            _ => 3 * d * tp + tp + 2 * Tile * Tile + 2 * Tile * d,           // K, V panels, dQ [T, D], Di, P, dS [Tile, Tile], dK, dV tiles
        };
    }

    /// <summary>
    /// The chunks of (batch, head) pairs, at least 8 MFLOP each (tens of microseconds), and the pairs per planned item.
    /// With at least two batch items per thread the items are whole batch items (all their heads), so each token row of
    /// the outputs (y, or dq, dk and dv) is written by one thread. A head's slice of a row starts on a cache line only
    /// when the head dimension is a multiple of 16 floats and the buffer starts on a line (the tensor pool's do; a
    /// caller's array need not); otherwise two threads writing neighbouring heads' slices at once would pass the shared
    /// line between their cores on every row. With fewer batch items, single pairs, so the threads stay busy.
    /// </summary>
    private static (ParallelChunks Plan, int Unit) Pairs(int batch, int heads, int tokens, int headDim, double flopFactor)
    {
        int unit = batch >= 2 * EngineSettings.Threads ? heads : 1;
        int items = batch * heads / unit;
        double perPair = flopFactor * tokens * (double)tokens * headDim + 1.0;
        return (ParallelChunks.Plan(items, items * (double)unit * perPair, 8e6), unit);
    }

    // Pairs [start, end) x Unit with one scratch buffer, forward or backward.
    private struct PairsJob : ISimdRangeJob
    {
        public Args Args;
        public Pass Pass;
        public int Scratch, Unit;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly unsafe void Run<TV, TOps>(int start, int end) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            start *= Unit;
            end *= Unit;
            float[] buf = ArrayPool<float>.Shared.Rent(Scratch);
            try
            {
                fixed (float* s = buf)
                {
                    switch (Pass)
                    {
                        case Pass.Columns: Impl<TV, TOps>.ForwardColumns(Args, start, end, s); break;
                        case Pass.Rows: Impl<TV, TOps>.ForwardShort(Args, start, end, s); break;
                        case Pass.Online: Impl<TV, TOps>.Forward(Args, start, end, s); break;
                        case Pass.BackwardRows: Impl<TV, TOps>.BackwardShort(Args, start, end, s); break;
                        default: Impl<TV, TOps>.Backward(Args, start, end, s); break;
                    }
                }
            }
            finally { ArrayPool<float>.Shared.Return(buf); }
        }
    }

    /// <summary>The first element of every operand of one (batch, head) pair (the gradients' only in a backward pass).</summary>
    private readonly unsafe struct PairOperands
    {
        public readonly float* Q, K, V, Y, DY, DQ, DK, DV, Lse;

        public PairOperands(in Args a, int pair)
        {
            int b = pair / a.H, h = pair % a.H;
            Q = (float*)a.Q + Base(a.QL, b, h);
            K = (float*)a.K + Base(a.KL, b, h);
            V = (float*)a.V + Base(a.VL, b, h);
            Y = (float*)a.Y + Base(a.YL, b, h);
            Lse = (float*)a.Lse + (nint)pair * a.T;
            if (a.DY == 0) return;
            DY = (float*)a.DY + Base(a.DYL, b, h);
            DQ = (float*)a.DQ + Base(a.DQL, b, h);
            DK = (float*)a.DK + Base(a.DKL, b, h);
            DV = (float*)a.DV + Base(a.DVL, b, h);
        }

        private static nint Base(in AttentionLayout l, int b, int h) => l.Offset + (nint)b * l.BatchStride + (nint)h * l.HeadStride;
    }

    private struct Args
    {
        public nint Y, Lse, Q, K, V, DY, DQ, DK, DV;
        public AttentionLayout YL, QL, KL, VL, DYL, DQL, DKL, DVL;
        public int H, T, D;
        public bool Accumulate;
    }

    private static unsafe class Impl<TV, TOps> where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        /// <summary>
        /// Transposes src [T, D] (token stride ts) into key-tile panels: panel t / Tile is a contiguous [D, Tile]
        /// block, element (d, t) at ((t / Tile) * D + d) * Tile + t % Tile. Panels keep the row stride of the
        /// score products at Tile floats (a full-length [D, T] transpose with a power-of-two T would alias L1 sets).
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void TransposeTiles(float* dst, float* src, int ts, int T, int D)
        {
            int t0 = 0;
            if (System.Runtime.Intrinsics.X86.Avx.IsSupported && D % 8 == 0)
            {
                // 8 x 8 register transposes (a pure data move: the same bits at any width); Tile is a multiple of 8,
                // so a block of 8 tokens never straddles two panels.
                for (; t0 + 8 <= T; t0 += 8)
                {
                    float* d = dst + (nint)(t0 / Tile) * D * Tile + t0 % Tile;
                    for (int j = 0; j < D; j += 8) Gemm.Transpose8x8(src + (nint)t0 * ts + j, ts, d + (nint)j * Tile, Tile);
                }
            }
            for (int t = t0; t < T; t++)
            {
                float* s = src + (nint)t * ts;
                float* d = dst + (nint)(t / Tile) * D * Tile + t % Tile;
                for (int j = 0; j < D; j++) d[j * Tile] = s[j];
            }
        }

        // A finished gradient row into its destination: added, or written into a buffer nothing has reached yet.
        private static void Put(float* dst, float* src, int n, bool accumulate)
        {
            if (accumulate) RowOps.AddInto<TV, TOps>(dst, src, n);
            else new ReadOnlySpan<float>(src, n).CopyTo(new Span<float>(dst, n));
        }

        private static float* Panel(float* tiles, int j0, int D) => tiles + (nint)(j0 / Tile) * D * Tile;

        /// <summary>Row strip height for the causal (diagonal) tiles: products skip strips of all-masked entries.</summary>
        private const int Strip = 16;

        /// <summary>c[nq, nk] = a[nq, D] * panel[D, nk] (c row stride ldc); on a diagonal tile only the causal strips.</summary>
        private static void Scores(bool diag, int nq, int nk, int D, float* a, int aStride, float* panel, float* c, int ldc = Tile)
        {
            if (!diag) { TileGemm<TV, TOps>.Run(nq, nk, D, a, aStride, 1, panel, Tile, c, ldc, false); return; }
            for (int r0 = 0; r0 < nq; r0 += Strip)
            {
                int rows = Math.Min(Strip, nq - r0);
                TileGemm<TV, TOps>.Run(rows, Math.Min(nk, r0 + rows), D, a + (nint)r0 * aStride, aStride, 1, panel, Tile, c + r0 * ldc, ldc, false);
            }
        }

        /// <summary>Columns of row r of a diagonal tile that the strip products read (<see cref="Scores"/> writes them).</summary>
        private static int StripEnd(int r, int nk) => Math.Min(nk, (r / Strip + 1) * Strip);

        /// <summary>c[nq, D] += p[nq, nk] * b[nk, D] (p row stride ldp, zero above the diagonal on a diagonal tile; c row
        /// stride ldc); with <paramref name="accumulate"/> false, c = instead (each row is written by one product).</summary>
        private static void RowsTimes(bool diag, int nq, int nk, int D, float* p, nint ldp, float* b, int bStride, float* c, nint ldc,
            bool accumulate = true)
        {
            if (!diag) { TileGemm<TV, TOps>.Run(nq, D, nk, p, ldp, 1, b, bStride, c, ldc, accumulate); return; }
            for (int r0 = 0; r0 < nq; r0 += Strip)
            {
                int rows = Math.Min(Strip, nq - r0);
                TileGemm<TV, TOps>.Run(rows, D, Math.Min(nk, r0 + rows), p + r0 * ldp, ldp, 1, b, bStride, c + r0 * ldc, ldc, accumulate);
            }
        }

        /// <summary>c[nk, D] += p^T b with p [nq, nk] (row stride ldp) and b [nq, D]; on a diagonal tile key strip c0 starts
        /// at query c0 (each key row then gets its whole diagonal sum from one product, so <paramref name="accumulate"/>
        /// false writes it). c row stride ldc.</summary>
        private static void ColsTimes(bool diag, int nq, int nk, int D, float* p, nint ldp, float* b, int bStride, float* c, nint ldc,
            bool accumulate = true)
        {
            if (!diag) { TileGemm<TV, TOps>.Run(nk, D, nq, p, 1, ldp, b, bStride, c, ldc, accumulate); return; }
            for (int c0 = 0; c0 < nk; c0 += Strip)
            {
                int cols = Math.Min(Strip, nk - c0);
                TileGemm<TV, TOps>.Run(cols, D, nq - c0, p + c0 + c0 * ldp, 1, ldp, b + (nint)c0 * bStride, bStride, c + c0 * ldc, ldc, accumulate);
            }
        }

        /// <summary>
        /// The softmax over the keys of one query tile (i0, nq queries in lanes [0, nq)) whose scores are stored transposed
        /// (row j = key j, row stride Tile): query i0 + l sees the keys up to itself. A vector of lanes at a time: the
        /// rows before its first query are seen by every lane, the next ones by the lanes at or past their key. Overwrites
        /// the scores with exp(scale s - max), zeroing the masked entries that the diagonal strip product reads (up to the
        /// end of each lane's strip), and stores each lane's scaled maximum in <paramref name="maxOut"/> and its sum in
        /// <paramref name="sumOut"/>. At most 128 keys x 64 queries (32 KiB), in L1 through both passes.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void SoftmaxColumns(float* st, int i0, int nq, float scale, float* maxOut, float* sumOut)
        {
            int w = TOps.Count;
            TV ninf = TOps.Splat(float.NegativeInfinity), vsc = TOps.Splat(scale);
            for (int c0 = 0; c0 < nq; c0 += w)
            {
                float* col = st + c0;
                int open = i0 + c0, last = i0 + Math.Min(nq, c0 + w); // rows every lane sees; rows some lanes see
                TV m = ninf;
                for (int j = 0; j < open; j++) m = TOps.MaxNative(m, TOps.Load(col + (nint)j * Tile));
                for (int j = open; j < last; j++)
                    m = TOps.MaxNative(m, TOps.Select(TOps.FirstLanes(j - open), ninf, TOps.Load(col + (nint)j * Tile)));
                TV ms = TOps.Mul(m, vsc), shift = TOps.Neg(ms), sum = TOps.Zero;
                for (int j = 0; j < last; j++)
                {
                    float* p = col + (nint)j * Tile;
                    TV e = FastExp.Exp<TV, TOps>(TOps.MulAdd(TOps.Load(p), vsc, shift));
                    if (j >= open) e = TOps.Select(TOps.FirstLanes(j - open), TOps.Zero, e);
                    TOps.Store(p, e);
                    sum = TOps.Add(sum, e);
                }
                for (int j = Math.Max(last, open + w), end = i0 + Math.Min(nq, (c0 / Strip + 1) * Strip); j < end; j++)
                    TOps.Store(col + (nint)j * Tile, TOps.Zero);
                TOps.Store(maxOut + c0, ms);
                TOps.Store(sumOut + c0, sum);
            }
        }

        /// <summary>
        /// Sequences of up to <see cref="ColumnKeys"/> tokens: as <see cref="ForwardShort"/>, with each query tile's score
        /// block kept transposed (keys x queries, the queries along the vector lanes), so the softmax over the keys runs
        /// down the columns: one max, one exp and one add per score vector and no lane reductions, where a row per query
        /// takes a call, a lane maximum and a lane sum. Scratch: the query tile's panel [D, Tile], the scores [TPad, Tile],
        /// [Tile, D] and two [Tile].
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static void ForwardColumns(in Args a, int p0, int p1, float* scratch)
        {
            int T = a.T, D = a.D;
            float scale = 1f / MathF.Sqrt(D);
            float* qt = scratch;                 // the query tile transposed: panel [D, Tile]
            float* st = qt + (nint)D * Tile;     // [TPad, Tile]: scores, keys x queries, then unnormalized probabilities
            float* acc = st + (nint)TPad(T) * Tile; // [Tile, D]
            float* mx = acc + Tile * D;          // [Tile]: per query, the scaled maximum
            float* inv = mx + Tile;              // [Tile]: per query, the sum, then its reciprocal
            for (int pair = p0; pair < p1; pair++)
            {
                var o = new PairOperands(a, pair);
                float* q = o.Q, k = o.K, v = o.V, y = o.Y, lse = o.Lse;
                int qs = a.QL.TokenStride, ks = a.KL.TokenStride, vs = a.VL.TokenStride, ys = a.YL.TokenStride;
                for (int i0 = 0; i0 < T; i0 += Tile)
                {
                    int nq = Math.Min(Tile, T - i0), nqv = (nq + Strip - 1) / Strip * Strip; // queries, in whole strips
                    if (nq < Tile) new Span<float>(qt, D * Tile).Clear(); // the lanes past the last query stay finite
                    TransposeTiles(qt, q + (nint)i0 * qs, qs, nq, D);
                    // S^T = K Q_i^T: the keys before the tile see every query; key strip r0 of the diagonal tile only the
                    // queries from r0 on.
                    if (i0 > 0) TileGemm<TV, TOps>.Run(i0, nqv, D, k, ks, 1, qt, Tile, st, Tile, false);
                    for (int r0 = 0; r0 < nq; r0 += Strip)
                        TileGemm<TV, TOps>.Run(Math.Min(Strip, nq - r0), nqv - r0, D, k + (nint)(i0 + r0) * ks, ks, 1, qt + r0, Tile,
                            st + (nint)(i0 + r0) * Tile + r0, Tile, false);
                    SoftmaxColumns(st, i0, nq, scale, mx, inv);
                    for (int r = 0; r < nq; r++)
                    {
                        lse[i0 + r] = mx[r] + MathF.Log(inv[r]);
                        inv[r] = 1f / inv[r];
                    }
                    // y_i = P V: the keys before the tile in one product, then the diagonal strips.
                    if (i0 > 0) TileGemm<TV, TOps>.Run(nq, D, i0, st, 1, Tile, v, vs, acc, D, false);
                    else new Span<float>(acc, nq * D).Clear();
                    for (int r0 = 0; r0 < nq; r0 += Strip)
                    {
                        int rows = Math.Min(Strip, nq - r0);
                        TileGemm<TV, TOps>.Run(rows, D, Math.Min(nq, r0 + rows), st + (nint)i0 * Tile + r0, 1, Tile, v + (nint)i0 * vs, vs,
                            acc + r0 * D, D, true);
                    }
                    for (int r = 0; r < nq; r++) RowOps.ScaleTo<TV, TOps>(y + (nint)(i0 + r) * ys, acc + r * D, D, inv[r]);
                }
            }
        }

        /// <summary>
        /// Short sequences (all keys within <see cref="ShortKeys"/>, longer than <see cref="ColumnKeys"/>): each query tile's
        /// scores against every key it sees are one row block, so each row takes one max, one exp-and-sum and no online
        /// rescaling, and the value product runs over all off-diagonal keys in one call. Scratch: key panels, the
        /// [Tile, TPad] scores, [Tile, D].
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static void ForwardShort(in Args a, int p0, int p1, float* scratch)
        {
            int T = a.T, D = a.D, sw = TPad(T);
            float scale = 1f / MathF.Sqrt(D);
            float* kt = scratch;                 // key panels [T / Tile][D, Tile]
            float* sc = kt + (nint)D * sw;       // [Tile, sw] scores, then unnormalized probabilities
            float* acc = sc + Tile * sw;         // [Tile, D]
            float* inv = acc + Tile * D;         // [Tile] reciprocal row sums
            for (int pair = p0; pair < p1; pair++)
            {
                var o = new PairOperands(a, pair);
                float* q = o.Q, k = o.K, v = o.V, y = o.Y, lse = o.Lse;
                int qs = a.QL.TokenStride, vs = a.VL.TokenStride, ys = a.YL.TokenStride;
                TransposeTiles(kt, k, a.KL.TokenStride, T, D);
                for (int i0 = 0; i0 < T; i0 += Tile)
                {
                    int nq = Math.Min(Tile, T - i0), nk = nq; // the diagonal tile is square
                    float* qi = q + (nint)i0 * qs;
                    for (int j0 = 0; j0 < i0; j0 += Tile) Scores(false, nq, Tile, D, qi, qs, Panel(kt, j0, D), sc + j0, sw);
                    Scores(true, nq, nk, D, qi, qs, Panel(kt, i0, D), sc + i0, sw);
                    for (int r = 0; r < nq; r++)
                    {
                        float* row = sc + r * sw;
                        int cnt = i0 + r + 1;
                        float m = RowOps.MaxPadded<TV, TOps>(row, cnt) * scale;
                        // Zeroes the masked entries that the diagonal strip product below reads.
                        float sum = RowOps.ExpScaleShift<TV, TOps>(row, cnt, i0 + StripEnd(r, nk), scale, m);
                        lse[i0 + r] = m + MathF.Log(sum);
                        inv[r] = 1f / sum;
                    }
                    if (i0 > 0) TileGemm<TV, TOps>.Run(nq, D, i0, sc, sw, 1, v, vs, acc, D, false);
                    else new Span<float>(acc, nq * D).Clear();
                    RowsTimes(true, nq, nk, D, sc + i0, sw, v + (nint)i0 * vs, vs, acc, D);
                    for (int r = 0; r < nq; r++) RowOps.ScaleTo<TV, TOps>(y + (nint)(i0 + r) * ys, acc + r * D, D, inv[r]);
                }
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static void Forward(in Args a, int p0, int p1, float* scratch)
        {
            int T = a.T, D = a.D;
            float scale = 1f / MathF.Sqrt(D);
            float* kt = scratch;                 // key panels [T / Tile][D, Tile]
            float* sc = kt + (nint)D * TPad(T);        // [Tile, Tile]
            float* acc = sc + Tile * Tile;       // [Tile, D]
            float* mx = acc + Tile * D;          // [Tile]
            float* sum = mx + Tile;              // [Tile]
            for (int pair = p0; pair < p1; pair++)
            {
                var o = new PairOperands(a, pair);
                float* q = o.Q, k = o.K, v = o.V, y = o.Y, lse = o.Lse;
                int qs = a.QL.TokenStride, vs = a.VL.TokenStride, ys = a.YL.TokenStride;
                TransposeTiles(kt, k, a.KL.TokenStride, T, D);
                for (int i0 = 0; i0 < T; i0 += Tile)
                {
                    int nq = Math.Min(Tile, T - i0);
                    for (int r = 0; r < nq; r++) { mx[r] = float.NegativeInfinity; sum[r] = 0f; }
                    new Span<float>(acc, nq * D).Clear();
                    float* qi = q + (nint)i0 * qs;
                    for (int j0 = 0; j0 <= i0; j0 += Tile)
                    {
                        int nk = Math.Min(Tile, T - j0);
                        bool diag = j0 == i0;
                        Scores(diag, nq, nk, D, qi, qs, Panel(kt, j0, D), sc);
                        for (int r = 0; r < nq; r++)
                        {
                            float* row = sc + r * Tile;
                            int cnt = diag ? r + 1 : nk;
                            float mt = RowOps.MaxPadded<TV, TOps>(row, cnt) * scale;
                            float mOld = mx[r];
                            float mNew = MathF.Max(mOld, mt);
                            float s = RowOps.ExpScaleShift<TV, TOps>(row, cnt, nk, scale, mNew);
                            if (mOld != mNew)
                            {
                                float alpha = MathF.Exp(mOld - mNew);
                                sum[r] = sum[r] * alpha + s;
                                if (j0 > 0) RowOps.ScaleTo<TV, TOps>(acc + r * D, acc + r * D, D, alpha);
                            }
                            else sum[r] += s;
                            mx[r] = mNew;
                        }
                        RowsTimes(diag, nq, nk, D, sc, Tile, v + (nint)j0 * vs, vs, acc, D);
                    }
                    for (int r = 0; r < nq; r++)
                    {
                        RowOps.ScaleTo<TV, TOps>(y + (nint)(i0 + r) * ys, acc + r * D, D, 1f / sum[r]);
                        lse[i0 + r] = mx[r] + MathF.Log(sum[r]);
                    }
                }
            }
        }

        /// <summary>
        /// Backward pass for short sequences (see <see cref="ForwardShort"/>): query tile outer, each tile's probabilities
        /// and their gradient over every key it sees as one row block (one exp and one softmax-gradient call per row),
        /// dQ of the tile from one product over all its keys, dK and dV summed per key over the query tiles in order. The
        /// products write dQ, dK and dV in place, with no scratch rows to copy out.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static void BackwardShort(in Args a, int p0, int p1, float* scratch)
        {
            int T = a.T, D = a.D, sw = TPad(T);
            float scale = 1f / MathF.Sqrt(D);
            float* kt = scratch;                 // key panels
            float* vt = kt + (nint)D * sw;       // value panels
            float* di = vt + (nint)D * sw;       // [sw] rowsum(dY * Y)
            float* pm = di + sw;                 // [Tile, sw] probabilities
            float* ds = pm + Tile * sw;          // [Tile, sw] dP then dS
            for (int pair = p0; pair < p1; pair++)
            {
                var o = new PairOperands(a, pair);
                float* q = o.Q, k = o.K, v = o.V, y = o.Y, dy = o.DY, dq = o.DQ, dk = o.DK, dv = o.DV, lse = o.Lse;
                int qs = a.QL.TokenStride, ks = a.KL.TokenStride, ys = a.YL.TokenStride, dys = a.DYL.TokenStride;
                int dqs = a.DQL.TokenStride, dks = a.DKL.TokenStride, dvs = a.DVL.TokenStride;
                TransposeTiles(kt, k, ks, T, D);
                TransposeTiles(vt, v, a.VL.TokenStride, T, D);
                for (int t = 0; t < T; t++) di[t] = RowOps.DotPair<TV, TOps>(dy + (nint)t * dys, y + (nint)t * ys, D);
                // The products write the gradients in place (row strides dqs, dks, dvs): a key tile's rows get their first
                // sum at the diagonal, from the query tile that starts with them, and the later query tiles add to it.
                for (int i0 = 0; i0 < T; i0 += Tile)
                {
                    int nq = Math.Min(Tile, T - i0), nk = nq; // the diagonal tile is square
                    float* qi = q + (nint)i0 * qs;
                    float* dyi = dy + (nint)i0 * dys;
                    // P = exp(scale * Q_i K^T - lse_i) over the keys j <= i.
                    for (int j0 = 0; j0 < i0; j0 += Tile) Scores(false, nq, Tile, D, qi, qs, Panel(kt, j0, D), pm + j0, sw);
                    Scores(true, nq, nk, D, qi, qs, Panel(kt, i0, D), pm + i0, sw);
                    for (int r = 0; r < nq; r++)
                        RowOps.ExpScaleShiftNoSum<TV, TOps>(pm + r * sw, i0 + r + 1, i0 + StripEnd(r, nk), scale, lse[i0 + r]);
                    // dV += P^T dY_i
                    for (int j0 = 0; j0 < i0; j0 += Tile) ColsTimes(false, nq, Tile, D, pm + j0, sw, dyi, dys, dv + (nint)j0 * dvs, dvs);
                    ColsTimes(true, nq, nk, D, pm + i0, sw, dyi, dys, dv + (nint)i0 * dvs, dvs, a.Accumulate);
                    // dP = dY_i V^T ; dS = P * (dP - Di) * scale
                    for (int j0 = 0; j0 < i0; j0 += Tile) Scores(false, nq, Tile, D, dyi, dys, Panel(vt, j0, D), ds + j0, sw);
                    Scores(true, nq, nk, D, dyi, dys, Panel(vt, i0, D), ds + i0, sw);
                    for (int r = 0; r < nq; r++)
                        RowOps.SoftmaxGrad<TV, TOps>(ds + r * sw, pm + r * sw, i0 + r + 1, i0 + StripEnd(r, nk), di[i0 + r], scale);
                    // dQ_i = dS K over all the tile's keys; dK += dS^T Q_i
                    float* dqi = dq + (nint)i0 * dqs;
                    if (i0 > 0) TileGemm<TV, TOps>.Run(nq, D, i0, ds, sw, 1, k, ks, dqi, dqs, a.Accumulate);
                    RowsTimes(true, nq, nk, D, ds + i0, sw, k + (nint)i0 * ks, ks, dqi, dqs, i0 > 0 || a.Accumulate);
                    for (int j0 = 0; j0 < i0; j0 += Tile) ColsTimes(false, nq, Tile, D, ds + j0, sw, qi, qs, dk + (nint)j0 * dks, dks);
                    ColsTimes(true, nq, nk, D, ds + i0, sw, qi, qs, dk + (nint)i0 * dks, dks, a.Accumulate);
                }
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static void Backward(in Args a, int p0, int p1, float* scratch)
        {
            int T = a.T, D = a.D;
            float scale = 1f / MathF.Sqrt(D);
            float* kt = scratch;                 // key panels
            float* vt = kt + (nint)D * TPad(T);  // value panels
            float* dqa = vt + (nint)D * TPad(T);       // [T, D]
            float* di = dqa + (nint)T * D;       // [T]
            float* pm = di + T;                  // [Tile, Tile] probabilities
            float* ds = pm + Tile * Tile;        // [Tile, Tile] dP then dS
            float* dka = ds + Tile * Tile;       // [Tile, D]
            float* dva = dka + Tile * D;         // [Tile, D]
            for (int pair = p0; pair < p1; pair++)
            {
                var o = new PairOperands(a, pair);
                float* q = o.Q, k = o.K, v = o.V, y = o.Y, dy = o.DY, dq = o.DQ, dk = o.DK, dv = o.DV, lse = o.Lse;
                int qs = a.QL.TokenStride, ks = a.KL.TokenStride, ys = a.YL.TokenStride, dys = a.DYL.TokenStride;
                TransposeTiles(kt, k, ks, T, D);
                TransposeTiles(vt, v, a.VL.TokenStride, T, D);
                for (int t = 0; t < T; t++) di[t] = RowOps.DotPair<TV, TOps>(dy + (nint)t * dys, y + (nint)t * ys, D);
                new Span<float>(dqa, T * D).Clear();
                for (int j0 = 0; j0 < T; j0 += Tile)
                {
                    int nk = Math.Min(Tile, T - j0);
                    new Span<float>(dka, nk * D).Clear();
                    new Span<float>(dva, nk * D).Clear();
                    float* kj = k + (nint)j0 * ks;
                    for (int i0 = j0; i0 < T; i0 += Tile)
                    {
                        int nq = Math.Min(Tile, T - i0);
                        bool diag = i0 == j0;
                        float* qi = q + (nint)i0 * qs;
                        float* dyi = dy + (nint)i0 * dys;
                        // P = exp(scale * Q_i K_j^T - lse_i), causal entries only.
                        Scores(diag, nq, nk, D, qi, qs, Panel(kt, j0, D), pm);
                        for (int r = 0; r < nq; r++)
                            RowOps.ExpScaleShiftNoSum<TV, TOps>(pm + r * Tile, diag ? r + 1 : nk, nk, scale, lse[i0 + r]);
                        // dV_j += P^T dY_i
                        ColsTimes(diag, nq, nk, D, pm, Tile, dyi, dys, dva, D);
                        // dP = dY_i V_j^T ; dS = P * (dP - Di) * scale
                        Scores(diag, nq, nk, D, dyi, dys, Panel(vt, j0, D), ds);
                        for (int r = 0; r < nq; r++)
                            RowOps.SoftmaxGrad<TV, TOps>(ds + r * Tile, pm + r * Tile, diag ? r + 1 : nk, nk, di[i0 + r], scale);
                        // dQ_i += dS K_j ; dK_j += dS^T Q_i
                        RowsTimes(diag, nq, nk, D, ds, Tile, kj, ks, dqa + (nint)i0 * D, D);
                        ColsTimes(diag, nq, nk, D, ds, Tile, qi, qs, dka, D);
                    }
                    int dks = a.DKL.TokenStride, dvs = a.DVL.TokenStride;
                    for (int r = 0; r < nk; r++)
                    {
                        Put(dk + (nint)(j0 + r) * dks, dka + r * D, D, a.Accumulate);
                        Put(dv + (nint)(j0 + r) * dvs, dva + r * D, D, a.Accumulate);
                    }
                }
                int dqs = a.DQL.TokenStride;
                for (int t = 0; t < T; t++) Put(dq + (nint)t * dqs, dqa + (nint)t * D, D, a.Accumulate);
            }
        }
    }
}
