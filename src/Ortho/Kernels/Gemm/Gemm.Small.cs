using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ortho.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Path for tiny products (<c>m * n * k &lt;= SmallWork</c>), where the blocked path's tiles would be
    /// mostly padding: op(B) is used in place (or, when transposed, copied once into rows padded to whole
    /// vectors), blocks of 4 rows x one vector of C accumulate over k in order, and the lanes past
    /// column n are masked off.
    /// </summary>
    private static void SmallGemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        // Element (i, p) of op(A) is at a + i * ars + p * aks.
        nint ars = transA ? 1 : lda, aks = transA ? lda : 1;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
            Small512(transB, m, n, k, alpha, a, ars, aks, b, ldb, beta, c, ldc);
        else if (Vector256.IsHardwareAccelerated && Avx.IsSupported && Fma.IsSupported)
            Small256(transB, m, n, k, alpha, a, ars, aks, b, ldb, beta, c, ldc);
        else
            SmallScalar(transB, m, n, k, alpha, a, ars, aks, b, ldb, beta, c, ldc);
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

    private static void Small512(bool transB, int m, int n, int k, float alpha,
        float* a, nint ars, nint aks, float* b, int ldb, float beta, float* c, int ldc)
    {
        const int V = 16;
        float* bp = SmallB(transB, n, k, b, ldb, V, out nint ldbp);
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        for (int i = 0; i < m; i += 4)
        {
            int rows = Math.Min(4, m - i);
            // Missing rows of the last block repeat row i; their results are dropped.
            float* a0 = a + i * ars;
            float* a1 = rows > 1 ? a0 + ars : a0;
            float* a2 = rows > 2 ? a0 + 2 * ars : a0;
            float* a3 = rows > 3 ? a0 + 3 * ars : a0;
            float* ci = c + (long)i * ldc;
            for (int j = 0; j < n; j += V)
            {
                // Lanes past column n are masked off: loads of B in place and of C, and stores of C.
                var mask = j + V <= n
                    ? Vector512<float>.AllBitsSet
                    : Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n - j)).AsSingle();
                bool partial = j + V > n && !transB;
                Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
                float* bj = bp + j;
                nint pa = 0;
                for (int p = 0; p < k; p++, bj += ldbp, pa += aks)
                {
                    var bv = partial ? Avx512F.MaskLoad(bj, mask, Vector512<float>.Zero) : Vector512.Load(bj);
                    acc0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[pa]), bv, acc0);
                    acc1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[pa]), bv, acc1);
                    acc2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[pa]), bv, acc2);
                    acc3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[pa]), bv, acc3);
                }
                Put512(acc0, ci + j, mask, va, vb, beta);
                if (rows > 1) Put512(acc1, ci + ldc + j, mask, va, vb, beta);
                if (rows > 2) Put512(acc2, ci + 2 * ldc + j, mask, va, vb, beta);
                if (rows > 3) Put512(acc3, ci + 3 * ldc + j, mask, va, vb, beta);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put512(Vector512<float> acc, float* dst, Vector512<float> mask,
        Vector512<float> va, Vector512<float> vb, float beta)
    {
        var r = beta == 0f ? va * acc
            : Vector512.FusedMultiplyAdd(Avx512F.MaskLoad(dst, mask, Vector512<float>.Zero), vb, va * acc);
        Avx512F.MaskStore(dst, mask, r);
    }

    private static void Small256(bool transB, int m, int n, int k, float alpha,
        float* a, nint ars, nint aks, float* b, int ldb, float beta, float* c, int ldc)
    {
        const int V = 8;
        float* bp = SmallB(transB, n, k, b, ldb, V, out nint ldbp);
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        for (int i = 0; i < m; i += 4)
        {
            int rows = Math.Min(4, m - i);
            float* a0 = a + i * ars;
            float* a1 = rows > 1 ? a0 + ars : a0;
            float* a2 = rows > 2 ? a0 + 2 * ars : a0;
            float* a3 = rows > 3 ? a0 + 3 * ars : a0;
            float* ci = c + (long)i * ldc;
            for (int j = 0; j < n; j += V)
            {
                var mask = j + V <= n
                    ? Vector256<float>.AllBitsSet
                    : Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(n - j)).AsSingle();
                bool partial = j + V > n && !transB;
                Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
                float* bj = bp + j;
                nint pa = 0;
                for (int p = 0; p < k; p++, bj += ldbp, pa += aks)
                {
                    var bv = partial ? Avx.MaskLoad(bj, mask) : Vector256.Load(bj);
                    acc0 = Vector256.FusedMultiplyAdd(Vector256.Create(a0[pa]), bv, acc0);
                    acc1 = Vector256.FusedMultiplyAdd(Vector256.Create(a1[pa]), bv, acc1);
                    acc2 = Vector256.FusedMultiplyAdd(Vector256.Create(a2[pa]), bv, acc2);
                    acc3 = Vector256.FusedMultiplyAdd(Vector256.Create(a3[pa]), bv, acc3);
                }
                Put256(acc0, ci + j, mask, va, vb, beta);
                if (rows > 1) Put256(acc1, ci + ldc + j, mask, va, vb, beta);
                if (rows > 2) Put256(acc2, ci + 2 * ldc + j, mask, va, vb, beta);
                if (rows > 3) Put256(acc3, ci + 3 * ldc + j, mask, va, vb, beta);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put256(Vector256<float> acc, float* dst, Vector256<float> mask,
        Vector256<float> va, Vector256<float> vb, float beta)
    {
        var r = beta == 0f ? va * acc : Vector256.FusedMultiplyAdd(Avx.MaskLoad(dst, mask), vb, va * acc);
        Avx.MaskStore(dst, mask, r);
    }

    private static void SmallScalar(bool transB, int m, int n, int k, float alpha,
        float* a, nint ars, nint aks, float* b, int ldb, float beta, float* c, int ldc)
    {
        // Element (p, j) of op(B) is at b + p * bks + j * bcs.
        nint bks = transB ? 1 : ldb, bcs = transB ? ldb : 1;
        for (int i = 0; i < m; i++)
        {
            float* ai = a + i * ars;
            float* ci = c + (long)i * ldc;
            for (int j = 0; j < n; j++)
            {
                float acc = 0f;
                float* bj = b + j * bcs;
                for (int p = 0; p < k; p++) acc = Madd(ai[p * aks], bj[p * bks], acc);
                ci[j] = Combine(acc, alpha, beta, beta == 0f ? 0f : ci[j]);
            }
        }
    }
}
