using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>The operands of one product, as passed to Sgemm (pointers kept as addresses so closures may hold them);
    /// <c>Addend</c> (row stride <c>LdAddend</c>) is an m x n matrix added after the bias, or 0.</summary>
    internal readonly struct Problem(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, float* bias = null, float* addend = null, int ldAddend = 0)
    {
        public readonly bool TransA = transA, TransB = transB;
        public readonly int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc, LdAddend = ldAddend;
        public readonly float Alpha = alpha, Beta = beta;
        public readonly nint A = (nint)a, B = (nint)b, C = (nint)c, Bias = (nint)bias, Addend = (nint)addend;
    }

    /// <summary>
    /// Packed, cache-blocked product. Splits C into contiguous row (or column) ranges aligned to the
    /// register tile when the work is large enough to thread; each range runs the same loop nest
    /// with the same k blocks, so every element is computed identically whatever the split.
    /// </summary>
    private static void Blocked<TK>(in Problem p, bool allowParallel) where TK : struct, IGemmMicroKernel
    {
        if (allowParallel)
        {
            var (plan, range) = Ranges<TK>(in p, EngineSettings.Threads);
            if (plan.Count > 1)
            {
                plan.Run(range);
                return;
            }
        }
        RunRange<TK>(in p, 0, p.M, 0, p.N);
    }

    /// <summary>
    /// How a product is cut for up to <paramref name="threads"/> threads: into row ranges, or column ranges when C is
    /// wider than tall, of whole register tiles, each worth at least <see cref="ParallelFlops"/>.
    /// </summary>
    private static (ParallelChunks Plan, TileRange<TK> Range) Ranges<TK>(in Problem p, int threads) where TK : struct, IGemmMicroKernel
    {
        double flops = 2.0 * p.M * p.N * p.K;
        int mUnits = (p.M + TK.MR - 1) / TK.MR, nUnits = (p.N + TK.NR - 1) / TK.NR;
        bool splitM = p.M >= p.N || nUnits < Split(int.MaxValue, flops, threads).Count;
        return (Split(splitM ? mUnits : nUnits, flops, threads), new TileRange<TK> { P = p, SplitM = splitM });
    }

    /// <summary>
    /// Two independent products as one parallel region, each cut for its share of the threads (by FLOPs). A layer's input
    /// and weight gradients are such a pair (the same FLOPs each): with two threads each product runs whole on its own thread,
    /// instead of both threads splitting one product and then the other (each packing the panels they share, and
    /// waiting for each other at the end of each product). Every element is computed as <see cref="Blocked"/>
    /// computes it, so results are bit-identical to two Sgemm calls at any thread count.
    /// </summary>
    private static void BlockedPair<TK>(in Problem first, in Problem second) where TK : struct, IGemmMicroKernel
    {
        int threads = EngineSettings.Threads;
        double f1 = (double)first.M * first.N * first.K, f2 = (double)second.M * second.N * second.K;
        int t1 = Math.Clamp((int)Math.Round(threads * f1 / (f1 + f2)), 1, threads - 1);
        var (plan1, range1) = Ranges<TK>(in first, t1);
        var (plan2, range2) = Ranges<TK>(in second, threads - t1);
        int n1 = plan1.Count, chunks = n1 + plan2.Count;
        EngineSettings.ParallelFor(chunks, c =>
        {
            if (c < n1) range1.Run(plan1.Start(c), plan1.Start(c + 1));
            else range2.Run(plan2.Start(c - n1), plan2.Start(c - n1 + 1));
        });
        ParallelChunks.CountParallel(chunks);
    }

    /// <summary>Register-tile rows (or columns) [start, end) of C.</summary>
    private struct TileRange<TK> : IRangeJob where TK : struct, IGemmMicroKernel
    {
        public Problem P;
        public bool SplitM;

        public readonly void Run(int start, int end)
        {
            if (SplitM) RunRange<TK>(in P, start * TK.MR, Math.Min(P.M, end * TK.MR), 0, P.N);
            else RunRange<TK>(in P, 0, P.M, start * TK.NR, Math.Min(P.N, end * TK.NR));
        }
    }

    /// <summary>
    /// How many k steps ahead the micro-kernels prefetch the source rows they pack on the fly. A layer's operands usually
    /// come from memory, not cache (other layers ran in between), and 16 steps were too few to cover a miss to memory on
    /// the weight-gradient products (<c>ortho bench gemm --cold</c>; docs/benchmarks.md, "Operands from memory").
    /// </summary>
    internal const int PrefetchSteps = 32;

    /// <summary>
    /// Elements ahead at which the micro-kernels prefetch rows of A read in place (four cache lines). Cold, those rows
    /// otherwise arrive one demand miss at a time; the forward and input-gradient products read them so (measured as for
    /// <see cref="PrefetchSteps"/>).
    /// </summary>
    internal const int RowPrefetchAhead = 64;

    /// <summary>k steps per cache line of a row read in place: the row prefetch runs once per line.</summary>
    internal const int RowPrefetchEvery = 16;

    /// <summary>
    /// Largest packed B (k x n floats, 256 KiB) that takes its whole depth in one k block when that depth is at most two
    /// blocks (k &lt;= 2 KC). A second k block would sweep every row of C again and read back tiles written by the first
    /// sweep, long evicted when C is tall: narrow products with k just above KC (a layer's input gradient, or a
    /// narrowing projection, at 128 features; measured as for <see cref="PrefetchSteps"/>).
    /// </summary>
    internal const int OneBlockPackedB = 64 * 1024;

    /// <summary>
    /// The loop nest over rows [i0, i1) and columns [j0, j1) of C: column blocks of NC (B block kept
    /// in L2), k blocks of at most KC, row blocks of MC, then register tiles, A panel outer.
    /// Panels whose source runs are contiguous (A transposed, B not) are packed by the first tile that
    /// uses them, inside the micro-kernel; full panels of a plain (not transposed) A are read in place;
    /// the rest are packed ahead with register transposes.
    /// </summary>
    private static void RunRange<TK>(in Problem p, int i0, int i1, int j0, int j1) where TK : struct, IGemmMicroKernel
    {
        int MR = TK.MR, NR = TK.NR;
        int k = p.K;
        // k blocks depend on the shape alone (never on the range), so the summation order is fixed.
        int kBlocks = k <= 2 * TK.KC && (long)k * p.N <= OneBlockPackedB ? 1 : (k + TK.KC - 1) / TK.KC;
        int kcStep = ((k + kBlocks - 1) / kBlocks + 7) & ~7;
        float* tile = stackalloc float[TK.MR * TK.NR];
        var t = new Tiles<TK>
        {
            P = p,
            PackA = Scratch.A((long)TK.MC * kcStep),
            // One k block deeper than KC only comes with a narrow B (OneBlockPackedB), within KC x NC; the bound says so.
            PackB = Scratch.B(Math.Max((long)TK.KC * TK.NC, (long)kcStep * ((Math.Min(TK.NC, j1 - j0) + NR - 1) / NR * NR))),
            Tile = tile,
            FuseA = p.TransA,
            FuseB = !p.TransB,
            // Rows of A read in place would all share one L1 set when the row stride is a multiple of 4 KiB: pack then.
            RowsA = !p.TransA && p.Lda % 1024 != 0,
        };
        for (int jc = j0; jc < j1; jc += TK.NC)
        {
            int nc = Math.Min(TK.NC, j1 - jc);
            t.Jc = jc;
            for (int pc = 0; pc < k; pc += kcStep)
            {
                int kc = Math.Min(kcStep, k - pc);
                t.Pc = pc;
                t.Kc = kc;
                t.Beta = pc == 0 ? p.Beta : 1f;
                if (!t.FuseB)
                    for (int jr = 0; jr < nc; jr += NR)
                        PackBPanel<TK>(in p, (float*)p.B, pc, kc, jc + jr, Math.Min(NR, nc - jr), t.PackB + (nint)jr * kc);
                for (int ic = i0; ic < i1; ic += TK.MC)
                {
                    int mc = Math.Min(TK.MC, i1 - ic);
                    t.Ic = ic;
                    t.FirstIc = ic == i0;
                    if (!t.FuseA)
                        for (int ir = 0; ir < mc; ir += MR)
                        {
                            int mr = Math.Min(MR, mc - ir);
                            if (!t.RowsA || mr < MR)
                                PackAPanel<TK>(in p, (float*)p.A, ic + ir, mr, pc, kc, t.PackA + (nint)ir * kc);
                        }
                    // The A panel (12 KiB at KC = 256) stays in L1 while the B block streams from L2.
                    for (int ir = 0; ir < mc; ir += MR)
                        for (int jr = 0; jr < nc; jr += NR)
                            t.Run(ir, Math.Min(MR, mc - ir), jr, Math.Min(NR, nc - jr));
                }
            }
        }
    }

    /// <summary>State of one block of the loop nest, and the computation of one register tile in it.</summary>
    private struct Tiles<TK> where TK : struct, IGemmMicroKernel
    {
        public Problem P;
        public float* PackA, PackB, Tile;
        public bool FuseA, FuseB, RowsA, FirstIc;
        public int Jc, Pc, Kc, Ic;
        public float Beta;

        /// <summary>
        /// Computes the tile at rows ic + ir (mr of them) and columns jc + jr (nr of them). The first
        /// tile to use an A panel is the one with jr == 0, the first to use a B panel the one with
        /// ir == 0 in the first row block: those read their panel from the source and pack it as they go.
        /// Partial tiles go through <see cref="Tile"/> and are combined into C element by element with
        /// the same formula as the full ones.
        /// </summary>
        public void Run(int ir, int mr, int jr, int nr)
        {
            int MR = TK.MR, NR = TK.NR, kc = Kc;
            float* a = (float*)P.A, b = (float*)P.B, c = (float*)P.C;
            nint lda = P.Lda, ldb = P.Ldb, ldc = P.Ldc;
            float* pa = PackA + (nint)ir * kc;
            float* pb = PackB + (nint)jr * kc;
            bool freshB = FuseB && FirstIc && ir == 0; // this B panel is not packed yet
            if (freshB && nr < NR)
            {
                PackBPanel<TK>(in P, b, Pc, kc, Jc + jr, nr, pb);
                freshB = false;
            }
            bool freshA = FuseA && jr == 0; // this A panel is not packed yet
            if (freshA && mr < MR)
            {
                PackAPanel<TK>(in P, a, Ic + ir, mr, Pc, kc, pa);
                freshA = false;
            }
            float alpha = P.Alpha, beta = Beta;
            float* ct = c + (Ic + ir) * ldc + Jc + jr;
            bool full = mr == MR && nr == NR;
            float* dst = full ? ct : Tile;
            nint ld = full ? ldc : NR;
            float al = full ? alpha : 1f, be = full ? beta : 0f;
            float* sb = b + Pc * ldb + Jc + jr;
            // The bias and the addend join the tile after its last k block: a full tile takes them as it is stored.
            bool last = Pc + kc == P.K;
            float* bias = last && P.Bias != 0 ? (float*)P.Bias + Jc + jr : null;
            float* addend = last && P.Addend != 0 ? (float*)P.Addend + (nint)(Ic + ir) * P.LdAddend + Jc + jr : null;
            // The addend's rows (read from L2 or beyond once the tile is done) load while the tile computes.
            if (addend != null) PrefetchTile(addend, P.LdAddend, mr, nr);
            float* eb = full ? bias : null, ea = full ? addend : null;
            if (freshA)
            {
                float* sa = a + Pc * lda + (Ic + ir);
                if (freshB) TK.Run<Yes, No, Yes>(kc, sa, lda, pa, sb, ldb, pb, dst, ld, al, be, eb, ea, P.LdAddend);
                else TK.Run<Yes, No, No>(kc, sa, lda, pa, pb, NR, null, dst, ld, al, be, eb, ea, P.LdAddend);
            }
            else if (RowsA && mr == MR)
            {
                float* sa = a + (Ic + ir) * lda + Pc;
                if (freshB) TK.Run<No, Yes, Yes>(kc, sa, lda, null, sb, ldb, pb, dst, ld, al, be, eb, ea, P.LdAddend);
                else TK.Run<No, Yes, No>(kc, sa, lda, null, pb, NR, null, dst, ld, al, be, eb, ea, P.LdAddend);
            }
            else
            {
                if (freshB) TK.Run<No, No, Yes>(kc, pa, MR, null, sb, ldb, pb, dst, ld, al, be, eb, ea, P.LdAddend);
                else TK.Run<No, No, No>(kc, pa, MR, null, pb, NR, null, dst, ld, al, be, eb, ea, P.LdAddend);
            }
            if (!full)
            {
                for (int r = 0; r < mr; r++)
                {
                    float* cr = ct + r * ldc;
                    float* tr = Tile + r * NR;
                    for (int j = 0; j < nr; j++)
                        cr[j] = Combine(tr[j], alpha, beta, beta == 0f ? 0f : cr[j]);
                }
                if (bias != null || addend != null) AddBiasAndRows(ct, ldc, mr, nr, bias, addend, P.LdAddend);
            }
        }
    }

    /// <summary>Prefetches the cache lines of a rows x cols block (row stride ld) into L1.</summary>
    private static void PrefetchTile(float* p, nint ld, int rows, int cols)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < rows; r++, p += ld)
        {
            for (int j = 0; j < cols; j += 16) Sse.Prefetch0(p + j);
            Sse.Prefetch0(p + cols - 1); // a row that does not start on a line ends on one more
        }
    }

    /// <summary>Per-thread packing buffers, 64-byte aligned, grown on demand and then reused.</summary>
    private static class Scratch
    {
        [ThreadStatic] private static nint t_a, t_b;
        [ThreadStatic] private static long t_aLen, t_bLen;

        public static float* A(long floats) => Get(ref t_a, ref t_aLen, floats);
        public static float* B(long floats) => Get(ref t_b, ref t_bLen, floats);

        private static float* Get(ref nint buffer, ref long length, long floats)
        {
            if (length < floats)
            {
                if (buffer != 0) NativeMemory.AlignedFree((void*)buffer);
                buffer = 0;
                length = 0;
                buffer = (nint)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
                length = floats;
            }
            return (float*)buffer;
        }
    }
}
