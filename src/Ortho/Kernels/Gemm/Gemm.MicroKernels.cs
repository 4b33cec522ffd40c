using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ortho.Kernels;

/// <summary>
/// A register-blocked SGEMM micro-kernel: computes an MR x NR tile of C from a packed MR-row panel
/// of op(A) (MR values per k step) and a packed NR-column panel of op(B) (NR values per k step),
/// then stores <c>alpha * acc</c> (beta == 0) or <c>beta * C + alpha * acc</c> (one fused multiply-add).
/// The cache-blocking sizes live beside the tile shape, so the generic driver specializes on all of them.
/// </summary>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>Rows of the register tile (the packed A panel width).</summary>
    static abstract int MR { get; }
    /// <summary>Columns of the register tile (the packed B panel width).</summary>
    static abstract int NR { get; }
    /// <summary>Depth of one packed block (k per pass); a multiple of 8.</summary>
    static abstract int KC { get; }
    /// <summary>Rows of op(A) packed at once (a multiple of MR).</summary>
    static abstract int MC { get; }
    /// <summary>Columns of op(B) packed at once (a multiple of NR).</summary>
    static abstract int NC { get; }
    /// <summary>Computes the full MR x NR tile at <paramref name="c"/> (row stride <paramref name="ldc"/>).</summary>
    static abstract void Run(int kc, float* pa, float* pb, float* c, nint ldc, float alpha, float beta);
}

/// <summary>Vector512 micro-kernel: 12 x 32 tile in 24 accumulators (2 vectors per row).</summary>
internal readonly unsafe struct Kernel12x32 : IGemmMicroKernel
{
    public static int MR => 12;
    public static int NR => 32;
    public static int KC => 256;
    public static int MC => 144;
    public static int NC => 2048;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(int kc, float* pa, float* pb, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default, c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default, c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default, c6_0 = default, c6_1 = default, c7_0 = default, c7_1 = default, c8_0 = default, c8_1 = default, c9_0 = default, c9_1 = default, c10_0 = default, c10_1 = default, c11_0 = default, c11_1 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(pb + 0);
            var b1 = Vector512.Load(pb + 16);
            var a0 = Vector512.Create(pa[0]);
            c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0);
            c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(pa[1]);
            c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0);
            c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(pa[2]);
            c2_0 = Vector512.FusedMultiplyAdd(a2, b0, c2_0);
            c2_1 = Vector512.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(pa[3]);
            c3_0 = Vector512.FusedMultiplyAdd(a3, b0, c3_0);
            c3_1 = Vector512.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector512.Create(pa[4]);
            c4_0 = Vector512.FusedMultiplyAdd(a4, b0, c4_0);
            c4_1 = Vector512.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector512.Create(pa[5]);
            c5_0 = Vector512.FusedMultiplyAdd(a5, b0, c5_0);
            c5_1 = Vector512.FusedMultiplyAdd(a5, b1, c5_1);
            var a6 = Vector512.Create(pa[6]);
            c6_0 = Vector512.FusedMultiplyAdd(a6, b0, c6_0);
            c6_1 = Vector512.FusedMultiplyAdd(a6, b1, c6_1);
            var a7 = Vector512.Create(pa[7]);
            c7_0 = Vector512.FusedMultiplyAdd(a7, b0, c7_0);
            c7_1 = Vector512.FusedMultiplyAdd(a7, b1, c7_1);
            var a8 = Vector512.Create(pa[8]);
            c8_0 = Vector512.FusedMultiplyAdd(a8, b0, c8_0);
            c8_1 = Vector512.FusedMultiplyAdd(a8, b1, c8_1);
            var a9 = Vector512.Create(pa[9]);
            c9_0 = Vector512.FusedMultiplyAdd(a9, b0, c9_0);
            c9_1 = Vector512.FusedMultiplyAdd(a9, b1, c9_1);
            var a10 = Vector512.Create(pa[10]);
            c10_0 = Vector512.FusedMultiplyAdd(a10, b0, c10_0);
            c10_1 = Vector512.FusedMultiplyAdd(a10, b1, c10_1);
            var a11 = Vector512.Create(pa[11]);
            c11_0 = Vector512.FusedMultiplyAdd(a11, b0, c11_0);
            c11_1 = Vector512.FusedMultiplyAdd(a11, b1, c11_1);
            pa += 12;
            pb += 32;
        }
        var va = Vector512.Create(alpha);
        if (beta == 0f)
        {
            (va * c0_0).Store(c + 0);
            (va * c0_1).Store(c + 16);
            c += ldc;
            (va * c1_0).Store(c + 0);
            (va * c1_1).Store(c + 16);
            c += ldc;
            (va * c2_0).Store(c + 0);
            (va * c2_1).Store(c + 16);
            c += ldc;
            (va * c3_0).Store(c + 0);
            (va * c3_1).Store(c + 16);
            c += ldc;
            (va * c4_0).Store(c + 0);
            (va * c4_1).Store(c + 16);
            c += ldc;
            (va * c5_0).Store(c + 0);
            (va * c5_1).Store(c + 16);
            c += ldc;
            (va * c6_0).Store(c + 0);
            (va * c6_1).Store(c + 16);
            c += ldc;
            (va * c7_0).Store(c + 0);
            (va * c7_1).Store(c + 16);
            c += ldc;
            (va * c8_0).Store(c + 0);
            (va * c8_1).Store(c + 16);
            c += ldc;
            (va * c9_0).Store(c + 0);
            (va * c9_1).Store(c + 16);
            c += ldc;
            (va * c10_0).Store(c + 0);
            (va * c10_1).Store(c + 16);
            c += ldc;
            (va * c11_0).Store(c + 0);
            (va * c11_1).Store(c + 16);
        }
        else
        {
            var vb = Vector512.Create(beta);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), vb, va * c0_0).Store(c + 0);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), vb, va * c0_1).Store(c + 16);
            c += ldc;
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), vb, va * c1_0).Store(c + 0);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), vb, va * c1_1).Store(c + 16);
            c += ldc;
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), vb, va * c2_0).Store(c + 0);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), vb, va * c2_1).Store(c + 16);
            c += ldc;
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), vb, va * c3_0).Store(c + 0);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), vb, va * c3_1).Store(c + 16);
            c += ldc;
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), vb, va * c4_0).Store(c + 0);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), vb, va * c4_1).Store(c + 16);
            c += ldc;
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), vb, va * c5_0).Store(c + 0);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), vb, va * c5_1).Store(c + 16);
            c += ldc;
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), vb, va * c6_0).Store(c + 0);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), vb, va * c6_1).Store(c + 16);
            c += ldc;
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), vb, va * c7_0).Store(c + 0);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), vb, va * c7_1).Store(c + 16);
            c += ldc;
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), vb, va * c8_0).Store(c + 0);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), vb, va * c8_1).Store(c + 16);
            c += ldc;
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), vb, va * c9_0).Store(c + 0);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), vb, va * c9_1).Store(c + 16);
            c += ldc;
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), vb, va * c10_0).Store(c + 0);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), vb, va * c10_1).Store(c + 16);
            c += ldc;
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), vb, va * c11_0).Store(c + 0);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), vb, va * c11_1).Store(c + 16);
        }
    }
}

/// <summary>Vector256 micro-kernel: 6 x 16 tile in 12 accumulators (2 vectors per row).</summary>
internal readonly unsafe struct Kernel6x16 : IGemmMicroKernel
{
    public static int MR => 6;
    public static int NR => 16;
    public static int KC => 256;
    public static int MC => 96;
    public static int NC => 2048;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(int kc, float* pa, float* pb, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default, c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default, c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(pb + 0);
            var b1 = Vector256.Load(pb + 8);
            var a0 = Vector256.Create(pa[0]);
            c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0);
            c0_1 = Vector256.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector256.Create(pa[1]);
            c1_0 = Vector256.FusedMultiplyAdd(a1, b0, c1_0);
            c1_1 = Vector256.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector256.Create(pa[2]);
            c2_0 = Vector256.FusedMultiplyAdd(a2, b0, c2_0);
            c2_1 = Vector256.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector256.Create(pa[3]);
            c3_0 = Vector256.FusedMultiplyAdd(a3, b0, c3_0);
            c3_1 = Vector256.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector256.Create(pa[4]);
            c4_0 = Vector256.FusedMultiplyAdd(a4, b0, c4_0);
            c4_1 = Vector256.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector256.Create(pa[5]);
            c5_0 = Vector256.FusedMultiplyAdd(a5, b0, c5_0);
            c5_1 = Vector256.FusedMultiplyAdd(a5, b1, c5_1);
            pa += 6;
            pb += 16;
        }
        var va = Vector256.Create(alpha);
        if (beta == 0f)
        {
            (va * c0_0).Store(c + 0);
            (va * c0_1).Store(c + 8);
            c += ldc;
            (va * c1_0).Store(c + 0);
            (va * c1_1).Store(c + 8);
            c += ldc;
            (va * c2_0).Store(c + 0);
            (va * c2_1).Store(c + 8);
            c += ldc;
            (va * c3_0).Store(c + 0);
            (va * c3_1).Store(c + 8);
            c += ldc;
            (va * c4_0).Store(c + 0);
            (va * c4_1).Store(c + 8);
            c += ldc;
            (va * c5_0).Store(c + 0);
            (va * c5_1).Store(c + 8);
        }
        else
        {
            var vb = Vector256.Create(beta);
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 0), vb, va * c0_0).Store(c + 0);
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 8), vb, va * c0_1).Store(c + 8);
            c += ldc;
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 0), vb, va * c1_0).Store(c + 0);
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 8), vb, va * c1_1).Store(c + 8);
            c += ldc;
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 0), vb, va * c2_0).Store(c + 0);
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 8), vb, va * c2_1).Store(c + 8);
            c += ldc;
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 0), vb, va * c3_0).Store(c + 0);
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 8), vb, va * c3_1).Store(c + 8);
            c += ldc;
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 0), vb, va * c4_0).Store(c + 0);
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 8), vb, va * c4_1).Store(c + 8);
            c += ldc;
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 0), vb, va * c5_0).Store(c + 0);
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 8), vb, va * c5_1).Store(c + 8);
        }
    }
}

/// <summary>Scalar fallback micro-kernel: 4 x 4 tile.</summary>
internal readonly unsafe struct Kernel4x4 : IGemmMicroKernel
{
    public static int MR => 4;
    public static int NR => 4;
    public static int KC => 256;
    public static int MC => 64;
    public static int NC => 1024;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(int kc, float* pa, float* pb, float* c, nint ldc, float alpha, float beta)
    {
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f, c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f, c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f, c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        for (int p = 0; p < kc; p++)
        {
            float b0 = pb[0], b1 = pb[1], b2 = pb[2], b3 = pb[3];
            float a0 = pa[0];
            c00 = Gemm.Madd(a0, b0, c00); c01 = Gemm.Madd(a0, b1, c01); c02 = Gemm.Madd(a0, b2, c02); c03 = Gemm.Madd(a0, b3, c03);
            float a1 = pa[1];
            c10 = Gemm.Madd(a1, b0, c10); c11 = Gemm.Madd(a1, b1, c11); c12 = Gemm.Madd(a1, b2, c12); c13 = Gemm.Madd(a1, b3, c13);
            float a2 = pa[2];
            c20 = Gemm.Madd(a2, b0, c20); c21 = Gemm.Madd(a2, b1, c21); c22 = Gemm.Madd(a2, b2, c22); c23 = Gemm.Madd(a2, b3, c23);
            float a3 = pa[3];
            c30 = Gemm.Madd(a3, b0, c30); c31 = Gemm.Madd(a3, b1, c31); c32 = Gemm.Madd(a3, b2, c32); c33 = Gemm.Madd(a3, b3, c33);
            pa += 4;
            pb += 4;
        }
        c[0] = Gemm.Combine(c00, alpha, beta, beta == 0f ? 0f : c[0]); c[1] = Gemm.Combine(c01, alpha, beta, beta == 0f ? 0f : c[1]); c[2] = Gemm.Combine(c02, alpha, beta, beta == 0f ? 0f : c[2]); c[3] = Gemm.Combine(c03, alpha, beta, beta == 0f ? 0f : c[3]);
        c += ldc;
        c[0] = Gemm.Combine(c10, alpha, beta, beta == 0f ? 0f : c[0]); c[1] = Gemm.Combine(c11, alpha, beta, beta == 0f ? 0f : c[1]); c[2] = Gemm.Combine(c12, alpha, beta, beta == 0f ? 0f : c[2]); c[3] = Gemm.Combine(c13, alpha, beta, beta == 0f ? 0f : c[3]);
        c += ldc;
        c[0] = Gemm.Combine(c20, alpha, beta, beta == 0f ? 0f : c[0]); c[1] = Gemm.Combine(c21, alpha, beta, beta == 0f ? 0f : c[1]); c[2] = Gemm.Combine(c22, alpha, beta, beta == 0f ? 0f : c[2]); c[3] = Gemm.Combine(c23, alpha, beta, beta == 0f ? 0f : c[3]);
        c += ldc;
        c[0] = Gemm.Combine(c30, alpha, beta, beta == 0f ? 0f : c[0]); c[1] = Gemm.Combine(c31, alpha, beta, beta == 0f ? 0f : c[1]); c[2] = Gemm.Combine(c32, alpha, beta, beta == 0f ? 0f : c[2]); c[3] = Gemm.Combine(c33, alpha, beta, beta == 0f ? 0f : c[3]);
    }
}
