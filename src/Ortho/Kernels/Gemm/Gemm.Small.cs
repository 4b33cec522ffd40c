using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Path for tiny products (<c>m * n * k &lt;= SmallWork</c>), where the blocked path's tiles would be
    /// mostly padding: op(B) is used in place (or, when transposed, copied once into rows padded to whole
    /// vectors), blocks of 4 rows x one vector of C accumulate over k in order, and the lanes past
    /// column n are masked off. Written once for every width; the multiply-adds are the fast form
    /// (<see cref="Madd"/>), as on the blocked path.
    /// </summary>
    private static void SmallGemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        // Element (i, p) of op(A) is at a + i * ars + p * aks.
        var job = new SmallJob
        {
            TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta, A = a, B = b, C = c, Ldb = ldb, Ldc = ldc,
            Ars = transA ? 1 : lda, Aks = transA ? lda : 1,
        };
        SimdDispatch.Run(ref job);
    }

    /// <summary>op(B) as k rows: in place unless transposed, else a copy padded to whole vectors of <paramref name="v"/>.</summary>
    private static float* SmallB(bool transB, int n, int k, float* b, int ldb, int v, out nint ld)
    {
        if (!transB)
        {
            ld = ldb;
            return b;
        }
        int nPad = (n + v - 1) / v * v;
        float* dst = Scratch.B((long)k * nPad);
        PackAcross(b, ldb, k, n, nPad, dst);
        ld = nPad;
        return dst;
    }

    private struct SmallJob : ISimdJob
    {
        public bool TransB;
        public int M, N, K, Ldb, Ldc;
        public float Alpha, Beta;
        public float* A, B, C;
        public nint Ars, Aks;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            // Locals, not fields: the stores to C could alias this struct, so field reads would repeat in the loops.
            int w = TOps.Count, m = M, n = N, k = K, ldc = Ldc;
            bool transB = TransB;
            float beta = Beta;
            float* a = A, c = C;
            float* bp = SmallB(transB, n, k, B, Ldb, w, out nint ldbp);
            TV va = TOps.Splat(Alpha), vb = TOps.Splat(beta);
            nint ars = Ars, aks = Aks;
            for (int i = 0; i < m; i += 4)
            {
                int rows = Math.Min(4, m - i);
                // Missing rows of the last block repeat row i; their results are dropped.
                float* a0 = a + i * ars;
                float* a1 = rows > 1 ? a0 + ars : a0;
                float* a2 = rows > 2 ? a0 + 2 * ars : a0;
                float* a3 = rows > 3 ? a0 + 3 * ars : a0;
                float* ci = c + (long)i * ldc;
                for (int j = 0; j < n; j += w)
                {
                    // Lanes past column n are masked off: loads of B in place and of C, and stores of C.
                    TV mask = TOps.FirstLanes(Math.Min(w, n - j));
                    bool partial = j + w > n && !transB;
                    TV acc0 = TOps.Zero, acc1 = TOps.Zero, acc2 = TOps.Zero, acc3 = TOps.Zero;
                    float* bj = bp + j;
                    nint pa = 0;
                    for (int p = 0; p < k; p++, bj += ldbp, pa += aks)
                    {
                        TV bv = partial ? TOps.MaskLoad(bj, mask) : TOps.Load(bj);
                        acc0 = TOps.MulAdd(TOps.Splat(a0[pa]), bv, acc0);
                        acc1 = TOps.MulAdd(TOps.Splat(a1[pa]), bv, acc1);
                        acc2 = TOps.MulAdd(TOps.Splat(a2[pa]), bv, acc2);
                        acc3 = TOps.MulAdd(TOps.Splat(a3[pa]), bv, acc3);
                    }
                    Put<TV, TOps>(acc0, ci + j, mask, va, vb, beta);
                    if (rows > 1) Put<TV, TOps>(acc1, ci + ldc + j, mask, va, vb, beta);
                    if (rows > 2) Put<TV, TOps>(acc2, ci + 2 * ldc + j, mask, va, vb, beta);
                    if (rows > 3) Put<TV, TOps>(acc3, ci + 3 * ldc + j, mask, va, vb, beta);
                }
            }
        }
    }

    /// <summary>dst = alpha acc (beta == 0) or beta dst + alpha acc (the formula of <see cref="Combine"/>), in the mask's lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TV, TOps>(TV acc, float* dst, TV mask, TV va, TV vb, float beta) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV r = beta == 0f ? TOps.Mul(va, acc) : TOps.MulAdd(TOps.MaskLoad(dst, mask), vb, TOps.Mul(va, acc));
        TOps.MaskStore(dst, mask, r);
    }
}
