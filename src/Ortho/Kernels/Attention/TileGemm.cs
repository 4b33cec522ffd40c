using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// A small unpacked, register-blocked matrix product for the tile-sized products inside the attention and
/// convolution kernels: <c>C[i, j] (+)= sum_p A(i, p) * B[p, j]</c> with A addressed by arbitrary row and column
/// strides (so transposed operands cost nothing) and B row-major with unit column stride (the vectorized axis).
/// Blocks of 8 rows x 2 vectors (16 accumulators) with Vector512, 4 x 2 otherwise (fast multiply-adds, <see cref="ISimd{TV}.MulAdd"/>). Each output element is a sum over p in
/// increasing order, so results are deterministic. A packed SGEMM could replace the larger calls
/// (the patchify/im2col products) without changing the callers' data layout.
/// </summary>
internal static unsafe class TileGemm
{
    /// <summary>
    /// Runs at the width <see cref="SimdDispatch"/> chooses. With <paramref name="bias"/> (length n), every row of the
    /// result gets bias added (on top of C when accumulating).
    /// </summary>
    public static void Run(int m, int n, int k, float* a, nint rsa, nint csa, float* b, nint ldb, float* c, nint ldc, bool accumulate, float* bias = null)
    {
        var job = new Job { M = m, N = n, K = k, A = a, Rsa = rsa, Csa = csa, B = b, Ldb = ldb, C = c, Ldc = ldc, Accumulate = accumulate, Bias = bias };
        SimdDispatch.Run(ref job);
    }

    private struct Job : ISimdJob
    {
        public int M, N, K;
        public float* A, B, C, Bias;
        public nint Rsa, Csa, Ldb, Ldc;
        public bool Accumulate;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TileGemm<TV, TOps>.Run(M, N, K, A, Rsa, Csa, B, Ldb, C, Ldc, Accumulate, Bias);
    }
}

/// <summary>The width-generic body of <see cref="TileGemm"/>.</summary>
internal static unsafe class TileGemm<TV, TOps> where TV : unmanaged where TOps : struct, ISimd<TV>
{
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Run(int m, int n, int k, float* a, nint rsa, nint csa, float* b, nint ldb, float* c, nint ldc, bool accumulate, float* bias = null)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    c[i * ldc + j] = (accumulate ? c[i * ldc + j] : 0f) + (bias != null ? bias[j] : 0f);
            return;
        }
        int w = TOps.Count;
        int i0 = 0;
        if (w >= 16)
        {
            // 8 rows x 2 vectors: 16 accumulators (needs the 32 registers of AVX-512).
            for (; i0 + 8 <= m; i0 += 8)
            {
                float* ar = a + i0 * rsa;
                float* cr = c + i0 * ldc;
                int j = 0;
                for (; j + 2 * w <= n; j += 2 * w) Block8x2(k, ar, rsa, csa, b + j, ldb, cr + j, ldc, accumulate, bias == null ? null : bias + j);
                for (; j + w <= n; j += w)
                {
                    Block4x1(k, ar, rsa, csa, b + j, ldb, cr + j, ldc, accumulate, bias == null ? null : bias + j);
                    Block4x1(k, ar + 4 * rsa, rsa, csa, b + j, ldb, cr + j + 4 * ldc, ldc, accumulate, bias == null ? null : bias + j);
                }
                for (; j < n; j++)
                {
                    Block4xS(k, ar, rsa, csa, b + j, ldb, cr + j, ldc, accumulate, bias == null ? null : bias + j);
                    Block4xS(k, ar + 4 * rsa, rsa, csa, b + j, ldb, cr + j + 4 * ldc, ldc, accumulate, bias == null ? null : bias + j);
                }
            }
        }
        for (; i0 + 4 <= m; i0 += 4)
        {
            float* ar = a + i0 * rsa;
            float* cr = c + i0 * ldc;
            int j = 0;
            for (; j + 2 * w <= n; j += 2 * w) Block4x2(k, ar, rsa, csa, b + j, ldb, cr + j, ldc, accumulate, bias == null ? null : bias + j);
            for (; j + w <= n; j += w) Block4x1(k, ar, rsa, csa, b + j, ldb, cr + j, ldc, accumulate, bias == null ? null : bias + j);
            for (; j < n; j++) Block4xS(k, ar, rsa, csa, b + j, ldb, cr + j, ldc, accumulate, bias == null ? null : bias + j);
        }
        for (; i0 < m; i0++)
        {
            float* ar = a + i0 * rsa;
            float* cr = c + i0 * ldc;
            int j = 0;
            for (; j + 2 * w <= n; j += 2 * w) Block1x2(k, ar, csa, b + j, ldb, cr + j, accumulate, bias == null ? null : bias + j);
            for (; j + w <= n; j += w) Block1x1(k, ar, csa, b + j, ldb, cr + j, accumulate, bias == null ? null : bias + j);
            for (; j < n; j++)
            {
                float s = 0f;
                float* pa = ar, pb = b + j;
                for (int p = 0; p < k; p++) { s += *pa * *pb; pa += csa; pb += ldb; }
                if (bias != null) s += bias[j];
                cr[j] = accumulate ? cr[j] + s : s;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* c, TV v, bool accumulate, float* bias)
    {
        if (accumulate) v = TOps.Add(TOps.Load(c), v);
        if (bias != null) v = TOps.Add(v, TOps.Load(bias));
        TOps.Store(c, v);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block8x2(int k, float* a, nint rsa, nint csa, float* b, nint ldb, float* c, nint ldc, bool acc, float* bias)
    {
        int w = TOps.Count;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        TV c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        TV c60 = TOps.Zero, c61 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero;
        float* a0 = a, a4 = a + 4 * rsa;
        nint r1 = rsa, r2 = 2 * rsa, r3 = 3 * rsa;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TOps.Load(b), b1 = TOps.Load(b + w);
            TV x = TOps.Splat(a0[0]); c00 = TOps.MulAdd(x, b0, c00); c01 = TOps.MulAdd(x, b1, c01);
            x = TOps.Splat(a0[r1]); c10 = TOps.MulAdd(x, b0, c10); c11 = TOps.MulAdd(x, b1, c11);
            x = TOps.Splat(a0[r2]); c20 = TOps.MulAdd(x, b0, c20); c21 = TOps.MulAdd(x, b1, c21);
            x = TOps.Splat(a0[r3]); c30 = TOps.MulAdd(x, b0, c30); c31 = TOps.MulAdd(x, b1, c31);
            x = TOps.Splat(a4[0]); c40 = TOps.MulAdd(x, b0, c40); c41 = TOps.MulAdd(x, b1, c41);
            x = TOps.Splat(a4[r1]); c50 = TOps.MulAdd(x, b0, c50); c51 = TOps.MulAdd(x, b1, c51);
            x = TOps.Splat(a4[r2]); c60 = TOps.MulAdd(x, b0, c60); c61 = TOps.MulAdd(x, b1, c61);
            x = TOps.Splat(a4[r3]); c70 = TOps.MulAdd(x, b0, c70); c71 = TOps.MulAdd(x, b1, c71);
            a0 += csa; a4 += csa; b += ldb;
        }
        Put(c, c00, acc, bias); Put(c + w, c01, acc, bias == null ? null : bias + w); c += ldc;
        Put(c, c10, acc, bias); Put(c + w, c11, acc, bias == null ? null : bias + w); c += ldc;
        Put(c, c20, acc, bias); Put(c + w, c21, acc, bias == null ? null : bias + w); c += ldc;
        Put(c, c30, acc, bias); Put(c + w, c31, acc, bias == null ? null : bias + w); c += ldc;
        Put(c, c40, acc, bias); Put(c + w, c41, acc, bias == null ? null : bias + w); c += ldc;
        Put(c, c50, acc, bias); Put(c + w, c51, acc, bias == null ? null : bias + w); c += ldc;
        Put(c, c60, acc, bias); Put(c + w, c61, acc, bias == null ? null : bias + w); c += ldc;
        Put(c, c70, acc, bias); Put(c + w, c71, acc, bias == null ? null : bias + w);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block4x2(int k, float* a, nint rsa, nint csa, float* b, nint ldb, float* c, nint ldc, bool acc, float* bias)
    {
        int w = TOps.Count;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        float* a0 = a, a1 = a + rsa, a2 = a + 2 * rsa, a3 = a + 3 * rsa;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TOps.Load(b), b1 = TOps.Load(b + w);
            TV x = TOps.Splat(*a0); c00 = TOps.MulAdd(x, b0, c00); c01 = TOps.MulAdd(x, b1, c01);
            x = TOps.Splat(*a1); c10 = TOps.MulAdd(x, b0, c10); c11 = TOps.MulAdd(x, b1, c11);
            x = TOps.Splat(*a2); c20 = TOps.MulAdd(x, b0, c20); c21 = TOps.MulAdd(x, b1, c21);
            x = TOps.Splat(*a3); c30 = TOps.MulAdd(x, b0, c30); c31 = TOps.MulAdd(x, b1, c31);
            a0 += csa; a1 += csa; a2 += csa; a3 += csa; b += ldb;
        }
        Put(c, c00, acc, bias); Put(c + w, c01, acc, bias == null ? null : bias + w); c += ldc;
        Put(c, c10, acc, bias); Put(c + w, c11, acc, bias == null ? null : bias + w); c += ldc;
        Put(c, c20, acc, bias); Put(c + w, c21, acc, bias == null ? null : bias + w); c += ldc;
        Put(c, c30, acc, bias); Put(c + w, c31, acc, bias == null ? null : bias + w);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block4x1(int k, float* a, nint rsa, nint csa, float* b, nint ldb, float* c, nint ldc, bool acc, float* bias)
    {
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        float* a0 = a, a1 = a + rsa, a2 = a + 2 * rsa, a3 = a + 3 * rsa;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TOps.Load(b);
            c0 = TOps.MulAdd(TOps.Splat(*a0), b0, c0);
            c1 = TOps.MulAdd(TOps.Splat(*a1), b0, c1);
            c2 = TOps.MulAdd(TOps.Splat(*a2), b0, c2);
            c3 = TOps.MulAdd(TOps.Splat(*a3), b0, c3);
            a0 += csa; a1 += csa; a2 += csa; a3 += csa; b += ldb;
        }
        Put(c, c0, acc, bias); c += ldc;
        Put(c, c1, acc, bias); c += ldc;
        Put(c, c2, acc, bias); c += ldc;
        Put(c, c3, acc, bias);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block4xS(int k, float* a, nint rsa, nint csa, float* b, nint ldb, float* c, nint ldc, bool acc, float* bias)
    {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        float* a0 = a, a1 = a + rsa, a2 = a + 2 * rsa, a3 = a + 3 * rsa;
        for (int p = 0; p < k; p++)
        {
            float bv = *b;
            s0 += *a0 * bv; s1 += *a1 * bv; s2 += *a2 * bv; s3 += *a3 * bv;
            a0 += csa; a1 += csa; a2 += csa; a3 += csa; b += ldb;
        }
        if (bias != null) { float bv = *bias; s0 += bv; s1 += bv; s2 += bv; s3 += bv; }
        if (acc) { c[0] += s0; c[ldc] += s1; c[2 * ldc] += s2; c[3 * ldc] += s3; }
        else { c[0] = s0; c[ldc] = s1; c[2 * ldc] = s2; c[3 * ldc] = s3; }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block1x2(int k, float* a, nint csa, float* b, nint ldb, float* c, bool acc, float* bias)
    {
        int w = TOps.Count;
        TV c0 = TOps.Zero, c1 = TOps.Zero;
        for (int p = 0; p < k; p++)
        {
            TV x = TOps.Splat(*a);
            c0 = TOps.MulAdd(x, TOps.Load(b), c0);
            c1 = TOps.MulAdd(x, TOps.Load(b + w), c1);
            a += csa; b += ldb;
        }
        Put(c, c0, acc, bias); Put(c + w, c1, acc, bias == null ? null : bias + w);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block1x1(int k, float* a, nint csa, float* b, nint ldb, float* c, bool acc, float* bias)
    {
        TV c0 = TOps.Zero;
        for (int p = 0; p < k; p++)
        {
            c0 = TOps.MulAdd(TOps.Splat(*a), TOps.Load(b), c0);
            a += csa; b += ldb;
        }
        Put(c, c0, acc, bias);
    }
}
