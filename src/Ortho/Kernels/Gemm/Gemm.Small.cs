using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ortho.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Unpacked path for tiny products (<c>m * n * k &lt;= SmallWork</c>): no scratch buffers,
    /// one accumulator per output (vectorized along n when B rows are contiguous), k in order.
    /// </summary>
    private static void SmallGemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        // Element (i, p) of op(A) is at a + i * ars + p * aks.
        nint ars = transA ? 1 : lda, aks = transA ? lda : 1;
        for (int i = 0; i < m; i++)
        {
            float* ai = a + i * ars;
            float* ci = c + (long)i * ldc;
            int j = 0;
            if (!transB)
            {
                if (Vector512.IsHardwareAccelerated)
                {
                    var va = Vector512.Create(alpha);
                    var vb = Vector512.Create(beta);
                    for (; j + 16 <= n; j += 16)
                    {
                        var acc = Vector512<float>.Zero;
                        float* bp = b + j;
                        for (int p = 0; p < k; p++, bp += ldb)
                            acc = Vector512.FusedMultiplyAdd(Vector512.Create(ai[p * aks]), Vector512.Load(bp), acc);
                        var r = beta == 0f ? va * acc : Vector512.FusedMultiplyAdd(Vector512.Load(ci + j), vb, va * acc);
                        r.Store(ci + j);
                    }
                }
                if (Vector256.IsHardwareAccelerated && Fma.IsSupported)
                {
                    var va = Vector256.Create(alpha);
                    var vb = Vector256.Create(beta);
                    for (; j + 8 <= n; j += 8)
                    {
                        var acc = Vector256<float>.Zero;
                        float* bp = b + j;
                        for (int p = 0; p < k; p++, bp += ldb)
                            acc = Vector256.FusedMultiplyAdd(Vector256.Create(ai[p * aks]), Vector256.Load(bp), acc);
                        var r = beta == 0f ? va * acc : Vector256.FusedMultiplyAdd(Vector256.Load(ci + j), vb, va * acc);
                        r.Store(ci + j);
                    }
                }
                for (; j < n; j++)
                {
                    float acc = 0f;
                    float* bp = b + j;
                    for (int p = 0; p < k; p++, bp += ldb) acc = Madd(ai[p * aks], *bp, acc);
                    ci[j] = Combine(acc, alpha, beta, beta == 0f ? 0f : ci[j]);
                }
            }
            else
            {
                for (; j < n; j++)
                {
                    float acc = 0f;
                    float* bj = b + (long)j * ldb;
                    for (int p = 0; p < k; p++) acc = Madd(ai[p * aks], bj[p], acc);
                    ci[j] = Combine(acc, alpha, beta, beta == 0f ? 0f : ci[j]);
                }
            }
        }
    }
}
