using System.Runtime.CompilerServices;

namespace Ortho.Kernels.Tiles;

/// <summary>
/// A small unpacked, register-blocked matrix product for the tile-sized products inside the attention and
/// convolution kernels: <c>C[i, j] (+)= sum_p A(i, p) * B[p, j]</c> with A addressed by arbitrary row and column
/// strides (so transposed operands cost nothing) and B row-major with unit column stride (the vectorized axis).
/// Blocks of 8 rows x 2 vectors (16 accumulators) with Vector512, 4 x 2 otherwise. Each output element is a sum over p in
/// increasing order, so results are deterministic. A packed SGEMM could replace the larger calls
/// (the patchify/im2col products) without changing the callers' data layout.
/// </summary>
internal static unsafe class TileGemm
{
    /// <summary>
    /// Dispatches to the widest vector path available. With <paramref name="bias"/> (length n), every row of the
    /// result gets bias added (on top of C when accumulating).
    /// </summary>
    public static void Run(int m, int n, int k, float* a, nint rsa, nint csa, float* b, nint ldb, float* c, nint ldc, bool accumulate, float* bias = null)
    {
        switch (TileSimd.Level)
        {
            case SimdLevel.V512: TileGemm<F512, System.Runtime.Intrinsics.Vector512<float>>.Run(m, n, k, a, rsa, csa, b, ldb, c, ldc, accumulate, bias); break;
            case SimdLevel.V256: TileGemm<F256, System.Runtime.Intrinsics.Vector256<float>>.Run(m, n, k, a, rsa, csa, b, ldb, c, ldc, accumulate, bias); break;
            default: TileGemm<F1, float>.Run(m, n, k, a, rsa, csa, b, ldb, c, ldc, accumulate, bias); break;
        }
    }
}

/// <summary>The width-generic body of <see cref="TileGemm"/>.</summary>
internal static unsafe class TileGemm<TS, TV> where TS : struct, ISimdF<TV> where TV : unmanaged
{
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
        int w = TS.Width;
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
        if (accumulate) v = TS.Add(TS.Load(c), v);
        if (bias != null) v = TS.Add(v, TS.Load(bias));
        TS.Store(c, v);
    }

    private static void Block8x2(int k, float* a, nint rsa, nint csa, float* b, nint ldb, float* c, nint ldc, bool acc, float* bias)
    {
        int w = TS.Width;
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero;
        TV c20 = TS.Zero, c21 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero;
        TV c40 = TS.Zero, c41 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero;
        TV c60 = TS.Zero, c61 = TS.Zero, c70 = TS.Zero, c71 = TS.Zero;
        float* a0 = a, a4 = a + 4 * rsa;
        nint r1 = rsa, r2 = 2 * rsa, r3 = 3 * rsa;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TS.Load(b), b1 = TS.Load(b + w);
            TV x = TS.Splat(a0[0]); c00 = TS.Fma(x, b0, c00); c01 = TS.Fma(x, b1, c01);
            x = TS.Splat(a0[r1]); c10 = TS.Fma(x, b0, c10); c11 = TS.Fma(x, b1, c11);
            x = TS.Splat(a0[r2]); c20 = TS.Fma(x, b0, c20); c21 = TS.Fma(x, b1, c21);
            x = TS.Splat(a0[r3]); c30 = TS.Fma(x, b0, c30); c31 = TS.Fma(x, b1, c31);
            x = TS.Splat(a4[0]); c40 = TS.Fma(x, b0, c40); c41 = TS.Fma(x, b1, c41);
            x = TS.Splat(a4[r1]); c50 = TS.Fma(x, b0, c50); c51 = TS.Fma(x, b1, c51);
            x = TS.Splat(a4[r2]); c60 = TS.Fma(x, b0, c60); c61 = TS.Fma(x, b1, c61);
            x = TS.Splat(a4[r3]); c70 = TS.Fma(x, b0, c70); c71 = TS.Fma(x, b1, c71);
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

    private static void Block4x2(int k, float* a, nint rsa, nint csa, float* b, nint ldb, float* c, nint ldc, bool acc, float* bias)
    {
        int w = TS.Width;
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero;
        TV c20 = TS.Zero, c21 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero;
        float* a0 = a, a1 = a + rsa, a2 = a + 2 * rsa, a3 = a + 3 * rsa;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TS.Load(b), b1 = TS.Load(b + w);
            TV x = TS.Splat(*a0); c00 = TS.Fma(x, b0, c00); c01 = TS.Fma(x, b1, c01);
            x = TS.Splat(*a1); c10 = TS.Fma(x, b0, c10); c11 = TS.Fma(x, b1, c11);
            x = TS.Splat(*a2); c20 = TS.Fma(x, b0, c20); c21 = TS.Fma(x, b1, c21);
            x = TS.Splat(*a3); c30 = TS.Fma(x, b0, c30); c31 = TS.Fma(x, b1, c31);
            a0 += csa; a1 += csa; a2 += csa; a3 += csa; b += ldb;
        }
        Put(c, c00, acc, bias); Put(c + w, c01, acc, bias == null ? null : bias + w); c += ldc;
        Put(c, c10, acc, bias); Put(c + w, c11, acc, bias == null ? null : bias + w); c += ldc;
        Put(c, c20, acc, bias); Put(c + w, c21, acc, bias == null ? null : bias + w); c += ldc;
        Put(c, c30, acc, bias); Put(c + w, c31, acc, bias == null ? null : bias + w);
    }

    private static void Block4x1(int k, float* a, nint rsa, nint csa, float* b, nint ldb, float* c, nint ldc, bool acc, float* bias)
    {
        TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero;
        float* a0 = a, a1 = a + rsa, a2 = a + 2 * rsa, a3 = a + 3 * rsa;
        for (int p = 0; p < k; p++)
        {
            TV b0 = TS.Load(b);
            c0 = TS.Fma(TS.Splat(*a0), b0, c0);
            c1 = TS.Fma(TS.Splat(*a1), b0, c1);
            c2 = TS.Fma(TS.Splat(*a2), b0, c2);
            c3 = TS.Fma(TS.Splat(*a3), b0, c3);
            a0 += csa; a1 += csa; a2 += csa; a3 += csa; b += ldb;
        }
        Put(c, c0, acc, bias); c += ldc;
        Put(c, c1, acc, bias); c += ldc;
        Put(c, c2, acc, bias); c += ldc;
        Put(c, c3, acc, bias);
    }

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

    private static void Block1x2(int k, float* a, nint csa, float* b, nint ldb, float* c, bool acc, float* bias)
    {
        int w = TS.Width;
        TV c0 = TS.Zero, c1 = TS.Zero;
        for (int p = 0; p < k; p++)
        {
            TV x = TS.Splat(*a);
            c0 = TS.Fma(x, TS.Load(b), c0);
            c1 = TS.Fma(x, TS.Load(b + w), c1);
            a += csa; b += ldb;
        }
        Put(c, c0, acc, bias); Put(c + w, c1, acc, bias == null ? null : bias + w);
    }

    private static void Block1x1(int k, float* a, nint csa, float* b, nint ldb, float* c, bool acc, float* bias)
    {
        TV c0 = TS.Zero;
        for (int p = 0; p < k; p++)
        {
            c0 = TS.Fma(TS.Splat(*a), TS.Load(b), c0);
            a += csa; b += ldb;
        }
        Put(c, c0, acc, bias);
    }
}
