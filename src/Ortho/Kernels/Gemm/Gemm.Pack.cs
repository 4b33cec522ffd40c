using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ortho.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Packs rows [i, i + mr) (mr &lt;= MR) and columns [pc, pc + kc) of op(A) as one MR-row panel:
    /// for each k step, the MR values of its rows (zero past row mr).
    /// </summary>
    private static void PackAPanel<TK>(in Problem p, float* a, int i, int mr, int pc, int kc, float* dst)
        where TK : struct, IGemmMicroKernel
    {
        nint lda = p.Lda;
        if (p.TransA) // A stored k x m: the values of a k step are contiguous.
            PackStraight(a + pc * lda + i, lda, kc, mr, TK.MR, dst);
        else          // A stored m x k: gather across the rows.
            PackAcross(a + i * lda + pc, lda, kc, mr, TK.MR, dst);
    }

    /// <summary>
    /// Packs rows [pc, pc + kc) and columns [j, j + nr) (nr &lt;= NR) of op(B) as one NR-column panel:
    /// for each k step, the NR values of its columns (zero past column nr).
    /// </summary>
    private static void PackBPanel<TK>(in Problem p, float* b, int pc, int kc, int j, int nr, float* dst)
        where TK : struct, IGemmMicroKernel
    {
        nint ldb = p.Ldb;
        if (p.TransB) // B stored n x k: gather across the rows.
            PackAcross(b + j * ldb + pc, ldb, kc, nr, TK.NR, dst);
        else          // B stored k x n: the values of a k step are contiguous.
            PackStraight(b + pc * ldb + j, ldb, kc, nr, TK.NR, dst);
    }

    /// <summary>dst[s * W + x] = src[s * ld + x] for x &lt; w, 0 for w &lt;= x &lt; W, over kc steps s.</summary>
    private static void PackStraight(float* src, nint ld, int kc, int w, int W, float* dst)
    {
        if (w == W)
        {
            for (int s = 0; s < kc; s++, src += ld, dst += W)
                CopyRun(src, dst, W);
            return;
        }
        for (int s = 0; s < kc; s++, src += ld, dst += W)
        {
            int x = 0;
            for (; x < w; x++) dst[x] = src[x];
            for (; x < W; x++) dst[x] = 0f;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun(float* src, float* dst, int w) => new ReadOnlySpan<float>(src, w).CopyTo(new Span<float>(dst, w));

    /// <summary>
    /// Transposing pack: dst[s * W + r] = src[r * ld + s] for r &lt; w, 0 for w &lt;= r &lt; W, over kc steps s.
    /// Works in 8 x 8 (AVX) or 4 x 4 (SSE) register transposes, with scalar edges.
    /// </summary>
    private static void PackAcross(float* src, nint ld, int kc, int w, int W, float* dst)
    {
        int r = 0;
        if (Avx.IsSupported)
        {
            int kc8 = kc & ~7;
            for (; r + 8 <= w; r += 8)
            {
                float* s0 = src + r * ld;
                for (int s = 0; s < kc8; s += 8)
                    Transpose8x8(s0 + s, ld, dst + s * W + r, W);
                for (int s = kc8; s < kc; s++)
                    for (int q = 0; q < 8; q++) dst[s * W + r + q] = s0[q * ld + s];
            }
        }
        if (Sse.IsSupported)
        {
            int kc4 = kc & ~3;
            for (; r + 4 <= w; r += 4)
            {
                float* s0 = src + r * ld;
                for (int s = 0; s < kc4; s += 4)
                    Transpose4x4(s0 + s, ld, dst + s * W + r, W);
                for (int s = kc4; s < kc; s++)
                    for (int q = 0; q < 4; q++) dst[s * W + r + q] = s0[q * ld + s];
            }
        }
        for (; r < w; r++)
        {
            float* sr = src + r * ld;
            for (int s = 0; s < kc; s++) dst[s * W + r] = sr[s];
        }
        for (; r < W; r++)
            for (int s = 0; s < kc; s++) dst[s * W + r] = 0f;
    }

    /// <summary>Writes the transpose of the 4 x 4 block at src (row stride ld) to dst (row stride W).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(float* src, nint ld, float* dst, nint W)
    {
        var r0 = Sse.LoadVector128(src);
        var r1 = Sse.LoadVector128(src + ld);
        var r2 = Sse.LoadVector128(src + 2 * ld);
        var r3 = Sse.LoadVector128(src + 3 * ld);
        var t0 = Sse.UnpackLow(r0, r1);   // a0 b0 a1 b1
        var t1 = Sse.UnpackLow(r2, r3);   // c0 d0 c1 d1
        var t2 = Sse.UnpackHigh(r0, r1);  // a2 b2 a3 b3
        var t3 = Sse.UnpackHigh(r2, r3);  // c2 d2 c3 d3
        Sse.Store(dst, Sse.MoveLowToHigh(t0, t1));
        Sse.Store(dst + W, Sse.MoveHighToLow(t1, t0));
        Sse.Store(dst + 2 * W, Sse.MoveLowToHigh(t2, t3));
        Sse.Store(dst + 3 * W, Sse.MoveHighToLow(t3, t2));
    }

    /// <summary>Writes the transpose of the 8 x 8 block at src (row stride ld) to dst (row stride W).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8(float* src, nint ld, float* dst, nint W)
    {
        // Rows i and i+4 share a register: low lanes from row i, high lanes from row i+4,
        // so the in-lane 4 x 4 transposes below finish the 8 x 8 one.
        var r0 = Avx.InsertVector128(Vector128.Load(src).ToVector256Unsafe(), Vector128.Load(src + 4 * ld), 1);
        var r1 = Avx.InsertVector128(Vector128.Load(src + ld).ToVector256Unsafe(), Vector128.Load(src + 5 * ld), 1);
        var r2 = Avx.InsertVector128(Vector128.Load(src + 2 * ld).ToVector256Unsafe(), Vector128.Load(src + 6 * ld), 1);
        var r3 = Avx.InsertVector128(Vector128.Load(src + 3 * ld).ToVector256Unsafe(), Vector128.Load(src + 7 * ld), 1);
        var r4 = Avx.InsertVector128(Vector128.Load(src + 4).ToVector256Unsafe(), Vector128.Load(src + 4 * ld + 4), 1);
        var r5 = Avx.InsertVector128(Vector128.Load(src + ld + 4).ToVector256Unsafe(), Vector128.Load(src + 5 * ld + 4), 1);
        var r6 = Avx.InsertVector128(Vector128.Load(src + 2 * ld + 4).ToVector256Unsafe(), Vector128.Load(src + 6 * ld + 4), 1);
        var r7 = Avx.InsertVector128(Vector128.Load(src + 3 * ld + 4).ToVector256Unsafe(), Vector128.Load(src + 7 * ld + 4), 1);
        // r0..r3: columns 0-3 of rows (0|4), (1|5), (2|6), (3|7); r4..r7: columns 4-7.
        Transpose4x4x2(r0, r1, r2, r3, out var o0, out var o1, out var o2, out var o3);
        Transpose4x4x2(r4, r5, r6, r7, out var o4, out var o5, out var o6, out var o7);
        // o_j holds column j as (rows 0-3 | rows 4-7).
        o0.Store(dst);
        o1.Store(dst + W);
        o2.Store(dst + 2 * W);
        o3.Store(dst + 3 * W);
        o4.Store(dst + 4 * W);
        o5.Store(dst + 5 * W);
        o6.Store(dst + 6 * W);
        o7.Store(dst + 7 * W);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4x2(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        out Vector256<float> o0, out Vector256<float> o1, out Vector256<float> o2, out Vector256<float> o3)
    {
        var t0 = Avx.UnpackLow(r0, r1);   // a0 b0 a1 b1 per lane
        var t1 = Avx.UnpackLow(r2, r3);   // c0 d0 c1 d1
        var t2 = Avx.UnpackHigh(r0, r1);  // a2 b2 a3 b3
        var t3 = Avx.UnpackHigh(r2, r3);  // c2 d2 c3 d3
        o0 = Avx.Shuffle(t0, t1, 0b01_00_01_00); // a0 b0 c0 d0
        o1 = Avx.Shuffle(t0, t1, 0b11_10_11_10); // a1 b1 c1 d1
        o2 = Avx.Shuffle(t2, t3, 0b01_00_01_00);
        o3 = Avx.Shuffle(t2, t3, 0b11_10_11_10);
    }
}
