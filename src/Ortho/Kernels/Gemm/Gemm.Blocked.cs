using System.Runtime.InteropServices;

namespace Ortho.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>The operands of one product, as passed to Sgemm (pointers kept as addresses so closures may hold them).</summary>
    private readonly struct Problem(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        public readonly bool TransA = transA, TransB = transB;
        public readonly int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc;
        public readonly float Alpha = alpha, Beta = beta;
        public readonly nint A = (nint)a, B = (nint)b, C = (nint)c;
    }

    /// <summary>
    /// Packed, cache-blocked product. Splits C into contiguous row (or column) ranges aligned to the
    /// register tile when the work is large enough to thread; each range runs the same loop nest
    /// with the same k blocks, so every element is computed identically whatever the split.
    /// </summary>
    private static void Blocked<TK>(in Problem p, bool allowParallel) where TK : struct, IGemmMicroKernel
    {
        int chunks = allowParallel ? ParallelChunks(2.0 * p.M * p.N * p.K) : 1;
        if (chunks > 1)
        {
            int mUnits = (p.M + TK.MR - 1) / TK.MR, nUnits = (p.N + TK.NR - 1) / TK.NR;
            bool splitM = p.M >= p.N || nUnits < chunks;
            int units = splitM ? mUnits : nUnits;
            chunks = Math.Min(chunks, units);
            if (chunks > 1)
            {
                Problem q = p;
                EngineSettings.ParallelFor(chunks, chunk =>
                {
                    int lo = (int)((long)units * chunk / chunks), hi = (int)((long)units * (chunk + 1) / chunks);
                    if (splitM)
                        RunRange<TK>(in q, lo * TK.MR, Math.Min(q.M, hi * TK.MR), 0, q.N);
                    else
                        RunRange<TK>(in q, 0, q.M, lo * TK.NR, Math.Min(q.N, hi * TK.NR));
                });
                return;
            }
        }
        RunRange<TK>(in p, 0, p.M, 0, p.N);
    }

    /// <summary>
    /// The BLIS loop nest over rows [i0, i1) and columns [j0, j1) of C: column blocks of NC,
    /// k blocks of at most KC (pack op(B)), row blocks of MC (pack op(A)), then register tiles.
    /// </summary>
    private static void RunRange<TK>(in Problem p, int i0, int i1, int j0, int j1) where TK : struct, IGemmMicroKernel
    {
        int MR = TK.MR, NR = TK.NR;
        int k = p.K;
        // k blocks depend on k alone (never on the range), so the summation order is fixed.
        int kBlocks = (k + TK.KC - 1) / TK.KC;
        int kcStep = ((k + kBlocks - 1) / kBlocks + 7) & ~7;
        float* packA = Scratch.A(TK.MC * TK.KC);
        float* packB = Scratch.B(TK.KC * TK.NC);
        float* tile = stackalloc float[TK.MR * TK.NR];
        float* a = (float*)p.A, b = (float*)p.B, c = (float*)p.C;
        nint ldc = p.Ldc;

        for (int jc = j0; jc < j1; jc += TK.NC)
        {
            int nc = Math.Min(TK.NC, j1 - jc);
            for (int pc = 0; pc < k; pc += kcStep)
            {
                int kc = Math.Min(kcStep, k - pc);
                float beta = pc == 0 ? p.Beta : 1f;
                PackB<TK>(in p, b, pc, kc, jc, nc, packB);
                for (int ic = i0; ic < i1; ic += TK.MC)
                {
                    int mc = Math.Min(TK.MC, i1 - ic);
                    PackA<TK>(in p, a, ic, mc, pc, kc, packA);
                    for (int jr = 0; jr < nc; jr += NR)
                    {
                        int nr = Math.Min(NR, nc - jr);
                        float* pb = packB + (nint)jr * kc;
                        float* cCol = c + jc + jr;
                        for (int ir = 0; ir < mc; ir += MR)
                        {
                            int mr = Math.Min(MR, mc - ir);
                            float* pa = packA + (nint)ir * kc;
                            float* ct = cCol + (ic + ir) * ldc;
                            if (mr == MR && nr == NR)
                            {
                                TK.Run(kc, pa, pb, ct, ldc, p.Alpha, beta);
                            }
                            else
                            {
                                TK.Run(kc, pa, pb, tile, NR, 1f, 0f);
                                for (int r = 0; r < mr; r++)
                                {
                                    float* cr = ct + r * ldc;
                                    float* tr = tile + r * NR;
                                    for (int j = 0; j < nr; j++)
                                        cr[j] = Combine(tr[j], p.Alpha, beta, beta == 0f ? 0f : cr[j]);
                                }
                            }
                        }
                    }
                }
            }
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
