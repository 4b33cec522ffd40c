using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// Single-precision general matrix multiply (SGEMM) on row-major matrices:
/// <c>C[m x n] = alpha * op(A) * op(B) + beta * C</c>.
/// </summary>
/// <remarks>
/// <para>
/// All matrices are row-major with explicit leading dimensions (the distance in elements between
/// consecutive rows). <c>op(A)</c> is <c>m x k</c>: when <c>transA</c> is false, A is stored
/// <c>m x k</c> (<c>lda &gt;= k</c>); when true, A is stored <c>k x m</c> (<c>lda &gt;= m</c>) and
/// used transposed. Likewise <c>op(B)</c> is <c>k x n</c>: B is stored <c>k x n</c>
/// (<c>ldb &gt;= n</c>) or, when <c>transB</c>, <c>n x k</c> (<c>ldb &gt;= k</c>). Transposes are
/// never materialized: the packing routines read either storage order.
/// </para>
/// <para>
/// <c>beta == 0</c> ignores the previous contents of C (NaN or infinity there do not propagate);
/// <c>beta == 1</c> accumulates, as backward passes do for gradients. When <c>alpha == 0</c> or
/// <c>k == 0</c>, A and B are not read and C is only scaled by beta.
/// </para>
/// <para>
/// The implementation is BLIS-style: panels of op(A) and op(B) are packed into reusable, aligned,
/// thread-local buffers (no allocation per call once warm) and a register-blocked micro-kernel
/// (Vector512 12x32, Vector256 6x16 or scalar 4x4, for the width <see cref="Simd.SimdDispatch"/> chooses) computes each tile.
/// Panels stored as contiguous runs per k step (A transposed, B not) are packed by the first tile
/// that uses them, so that memory traffic overlaps arithmetic; full panels of a plain A are read in
/// place; transposing packs use register transposes. Tiny products take an unpacked path.
/// Products of 2e7 FLOPs or more (about 0.1 ms) are split over
/// <see cref="EngineSettings.ParallelFor"/>; every element of C is computed by one thread in the
/// same k order, so results are bit-identical whatever <see cref="EngineSettings.Threads"/> is.
/// </para>
/// </remarks>
public static unsafe partial class Gemm
{
    /// <summary>Products with <c>m * n * k</c> at or below this use the unpacked small-shape path.</summary>
    internal const long SmallWork = 128 * 1024;

    /// <summary>
    /// Computes <c>C = alpha * op(A) * op(B) + beta * C</c> on row-major matrices given by pointers.
    /// </summary>
    /// <param name="transA">When true, A is stored <c>k x m</c> and op(A) = A^T; otherwise A is <c>m x k</c>.</param>
    /// <param name="transB">When true, B is stored <c>n x k</c> and op(B) = B^T; otherwise B is <c>k x n</c>.</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A), rows of op(B): the reduction length.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">First element of A.</param>
    /// <param name="lda">Leading dimension of A (elements between rows of A as stored).</param>
    /// <param name="b">First element of B.</param>
    /// <param name="ldb">Leading dimension of B (elements between rows of B as stored).</param>
    /// <param name="beta">Scale of the previous C; 0 ignores C's contents, 1 accumulates.</param>
    /// <param name="c">First element of C (<c>m x n</c>).</param>
    /// <param name="ldc">Leading dimension of C (at least <paramref name="n"/>).</param>
    /// <exception cref="ArgumentException">A dimension is negative or a leading dimension is too small.</exception>
    /// <exception cref="ArgumentNullException">A pointer that would be read or written is null.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        CheckShape(transA, transB, m, n, k, lda, ldb, ldc);
        CheckPointers(m, n, k, alpha, a, b, c);
        SgemmCore(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, allowParallel: true);
    }

    /// <summary>
    /// Computes <c>C = alpha * op(A) * op(B) + beta * C</c> on row-major matrices held in spans,
    /// after checking that each span is long enough for its shape and leading dimension.
    /// </summary>
    /// <param name="transA">When true, A is stored <c>k x m</c> and op(A) = A^T; otherwise A is <c>m x k</c>.</param>
    /// <param name="transB">When true, B is stored <c>n x k</c> and op(B) = B^T; otherwise B is <c>k x n</c>.</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A), rows of op(B): the reduction length.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Leading dimension of A as stored.</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Leading dimension of B as stored.</param>
    /// <param name="beta">Scale of the previous C; 0 ignores C's contents, 1 accumulates.</param>
    /// <param name="c">C (<c>m x n</c>), row-major with leading dimension <paramref name="ldc"/>.</param>
    /// <param name="ldc">Leading dimension of C (at least <paramref name="n"/>).</param>
    /// <exception cref="ArgumentException">A dimension is negative, a leading dimension is too small or a span is too short.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        CheckOperands(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            SgemmCore(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, allowParallel: true);
    }

    /// <summary>
    /// Span form with a bias: <c>C = alpha * op(A) * op(B) + beta * C + 1 bias^T</c>, <paramref name="bias"/> (length n)
    /// added to every row of C. The bias is added to each register tile after its last k block, while the tile is in the
    /// L1 cache, so a linear layer's bias costs no pass over C (the product rounds first, then the bias is added).
    /// </summary>
    /// <param name="transA">When true, A is stored <c>k x m</c> and op(A) = A^T; otherwise A is <c>m x k</c>.</param>
    /// <param name="transB">When true, B is stored <c>n x k</c> and op(B) = B^T; otherwise B is <c>k x n</c>.</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A), rows of op(B): the reduction length.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Leading dimension of A as stored.</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Leading dimension of B as stored.</param>
    /// <param name="beta">Scale of the previous C; 0 ignores C's contents, 1 accumulates.</param>
    /// <param name="c">C (<c>m x n</c>), row-major with leading dimension <paramref name="ldc"/>.</param>
    /// <param name="ldc">Leading dimension of C (at least <paramref name="n"/>).</param>
    /// <param name="bias">Added to every row of C (length n).</param>
    /// <exception cref="ArgumentException">A dimension is negative, a leading dimension is too small or a span is too short.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, ReadOnlySpan<float> bias)
    {
        CheckOperands(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (bias.Length != n) throw new ArgumentException($"bias has length {bias.Length} but C has n = {n} columns.", nameof(bias));
        Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, addend: default, ldAddend: n);
    }

    /// <summary>
    /// Span form with a bias and an addend: <c>C = alpha * op(A) * op(B) + beta * C + 1 bias^T + D</c>, D an m x n matrix
    /// (row stride <paramref name="ldAddend"/>), such as the residual stream a layer's output joins. Both are added to each
    /// register tile after its last k block, the bias first, while the tile is in the L1 cache: a linear layer followed by
    /// a residual sum costs no pass over memory of its own, and each element rounds as <c>(product + bias) + D</c>, as the
    /// two separate ops would.
    /// </summary>
    /// <param name="transA">When true, A is stored <c>k x m</c> and op(A) = A^T; otherwise A is <c>m x k</c>.</param>
    /// <param name="transB">When true, B is stored <c>n x k</c> and op(B) = B^T; otherwise B is <c>k x n</c>.</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A), rows of op(B): the reduction length.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Leading dimension of A as stored.</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Leading dimension of B as stored.</param>
    /// <param name="beta">Scale of the previous C; 0 ignores C's contents, 1 accumulates.</param>
    /// <param name="c">C (<c>m x n</c>), row-major with leading dimension <paramref name="ldc"/>.</param>
    /// <param name="ldc">Leading dimension of C (at least <paramref name="n"/>).</param>
    /// <param name="bias">Added to every row of C (length n), or empty for none.</param>
    /// <param name="addend">D (<c>m x n</c>), row-major with leading dimension <paramref name="ldAddend"/>, or empty for none; must
    /// not overlap C.</param>
    /// <param name="ldAddend">Leading dimension of D (at least <paramref name="n"/>).</param>
    /// <exception cref="ArgumentException">A dimension is negative, a leading dimension is too small, a span is too short, or
    /// the addend overlaps C.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> addend, int ldAddend)
    {
        CheckOperands(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has length {bias.Length} but C has n = {n} columns.", nameof(bias));
        if (ldAddend < n || ldAddend < 0) throw new ArgumentException($"ldAddend = {ldAddend} is less than n = {n}.", nameof(ldAddend));
        long need = m == 0 || n == 0 || addend.IsEmpty ? 0 : (long)(m - 1) * ldAddend + n;
        if (addend.Length < need)
            throw new ArgumentException($"addend has {addend.Length} elements; {m} x {n} with leading dimension {ldAddend} needs {need}.", nameof(addend));
        if (need > 0 && addend[..(int)need].Overlaps(c))
            throw new ArgumentException("The addend overlaps C: the product would read tiles it has already written.", nameof(addend));
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        fixed (float* pbias = bias)
        fixed (float* pd = addend)
            SgemmCore(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, allowParallel: true,
                bias.IsEmpty || n == 0 ? null : pbias, need == 0 ? null : pd, ldAddend);
    }

    /// <summary>
    /// Computes <paramref name="batch"/> independent products
    /// <c>C_i = alpha * op(A_i) * op(B_i) + beta * C_i</c>, where <c>A_i = a + i * strideA</c>,
    /// <c>B_i = b + i * strideB</c> and <c>C_i = c + i * strideC</c> (strides in elements).
    /// </summary>
    /// <param name="transA">When true, each A_i is stored <c>k x m</c>; otherwise <c>m x k</c>.</param>
    /// <param name="transB">When true, each B_i is stored <c>n x k</c>; otherwise <c>k x n</c>.</param>
    /// <param name="m">Rows of op(A_i) and of C_i.</param>
    /// <param name="n">Columns of op(B_i) and of C_i.</param>
    /// <param name="k">Reduction length.</param>
    /// <param name="alpha">Scale of the products.</param>
    /// <param name="a">First element of A_0.</param>
    /// <param name="lda">Leading dimension of each A_i.</param>
    /// <param name="b">First element of B_0.</param>
    /// <param name="ldb">Leading dimension of each B_i.</param>
    /// <param name="beta">Scale of the previous C_i; 0 ignores their contents, 1 accumulates.</param>
    /// <param name="c">First element of C_0.</param>
    /// <param name="ldc">Leading dimension of each C_i.</param>
    /// <param name="batch">Number of products.</param>
    /// <param name="strideA">Elements between A_i and A_(i+1) (may be 0 to share A).</param>
    /// <param name="strideB">Elements between B_i and B_(i+1) (may be 0 to share B).</param>
    /// <param name="strideC">Elements between C_i and C_(i+1); the C_i must not overlap.</param>
    /// <exception cref="ArgumentException">A dimension, leading dimension or stride is invalid.</exception>
    /// <exception cref="ArgumentNullException">A pointer that would be read or written is null.</exception>
    public static void SgemmStridedBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc,
        int batch, long strideA, long strideB, long strideC)
    {
        CheckShape(transA, transB, m, n, k, lda, ldb, ldc);
        CheckBatch(m, n, ldc, batch, strideA, strideB, strideC);
        CheckPointers(m, n, k, alpha, a, b, c);
        BatchedCore(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, batch, strideA, strideB, strideC);
    }

    /// <summary>
    /// Span form of <see cref="SgemmStridedBatched(bool, bool, int, int, int, float, float*, int, float*, int, float, float*, int, int, long, long, long)"/>:
    /// <paramref name="batch"/> products <c>C_i = alpha * op(A_i) * op(B_i) + beta * C_i</c> with
    /// <c>A_i = a[(i * strideA)..]</c>, <c>B_i = b[(i * strideB)..]</c>, <c>C_i = c[(i * strideC)..]</c>,
    /// after checking that each span holds every batch item.
    /// </summary>
    /// <param name="transA">When true, each A_i is stored <c>k x m</c>; otherwise <c>m x k</c>.</param>
    /// <param name="transB">When true, each B_i is stored <c>n x k</c>; otherwise <c>k x n</c>.</param>
    /// <param name="m">Rows of op(A_i) and of C_i.</param>
    /// <param name="n">Columns of op(B_i) and of C_i.</param>
    /// <param name="k">Reduction length.</param>
    /// <param name="alpha">Scale of the products.</param>
    /// <param name="a">All A_i.</param>
    /// <param name="lda">Leading dimension of each A_i.</param>
    /// <param name="b">All B_i.</param>
    /// <param name="ldb">Leading dimension of each B_i.</param>
    /// <param name="beta">Scale of the previous C_i; 0 ignores their contents, 1 accumulates.</param>
    /// <param name="c">All C_i.</param>
    /// <param name="ldc">Leading dimension of each C_i.</param>
    /// <param name="batch">Number of products.</param>
    /// <param name="strideA">Elements between A_i and A_(i+1) (may be 0 to share A).</param>
    /// <param name="strideB">Elements between B_i and B_(i+1) (may be 0 to share B).</param>
    /// <param name="strideC">Elements between C_i and C_(i+1); the C_i must not overlap.</param>
    /// <exception cref="ArgumentException">A dimension, leading dimension, stride or span length is invalid.</exception>
    public static void SgemmStridedBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        int batch, long strideA, long strideB, long strideC)
    {
        CheckShape(transA, transB, m, n, k, lda, ldb, ldc);
        CheckBatch(m, n, ldc, batch, strideA, strideB, strideC);
        CheckSpans(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc, batch, strideA, strideB, strideC);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            BatchedCore(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, batch, strideA, strideB, strideC);
    }

    // ---------------------------------------------------------------- validation

    /// <summary>The checks of the span forms of Sgemm, for one product.</summary>
    internal static void CheckOperands(bool transA, bool transB, int m, int n, int k, int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        CheckShape(transA, transB, m, n, k, lda, ldb, ldc);
        CheckSpans(transA, transB, m, n, k, aLength, lda, bLength, ldb, cLength, ldc, 1, 0, 0, 0);
    }

    private static void CheckShape(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        if (m < 0) throw new ArgumentException($"m must be non-negative, got {m}.", nameof(m));
        if (n < 0) throw new ArgumentException($"n must be non-negative, got {n}.", nameof(n));
        if (k < 0) throw new ArgumentException($"k must be non-negative, got {k}.", nameof(k));
        int aCols = transA ? m : k, bCols = transB ? k : n;
        if (lda < aCols || lda < 0)
            throw new ArgumentException(
                $"lda = {lda} is smaller than the row width {aCols} of A stored {(transA ? $"k x m = {k} x {m} (transA)" : $"m x k = {m} x {k}")}.", nameof(lda));
        if (ldb < bCols || ldb < 0)
            throw new ArgumentException(
                $"ldb = {ldb} is smaller than the row width {bCols} of B stored {(transB ? $"n x k = {n} x {k} (transB)" : $"k x n = {k} x {n}")}.", nameof(ldb));
        if (ldc < n || ldc < 0)
            throw new ArgumentException($"ldc = {ldc} is smaller than the row width n = {n} of C (m x n = {m} x {n}).", nameof(ldc));
    }

    private static void CheckBatch(int m, int n, int ldc, int batch, long strideA, long strideB, long strideC)
    {
        if (batch < 0) throw new ArgumentException($"batch must be non-negative, got {batch}.", nameof(batch));
        if (strideA < 0) throw new ArgumentException($"strideA must be non-negative, got {strideA}.", nameof(strideA));
        if (strideB < 0) throw new ArgumentException($"strideB must be non-negative, got {strideB}.", nameof(strideB));
        long cSize = Extent(m, n, ldc);
        if (batch > 1 && strideC < cSize)
            throw new ArgumentException(
                $"strideC = {strideC} is smaller than the extent {cSize} of one C (m x n = {m} x {n}, ldc = {ldc}): the outputs would overlap.", nameof(strideC));
    }

    /// <summary>Elements spanned by a rows x cols row-major matrix with leading dimension ld.</summary>
    private static long Extent(int rows, int cols, int ld) =>
        rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;

    private static void CheckSpans(bool transA, bool transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc,
        int batch, long strideA, long strideB, long strideC)
    {
        if (batch == 0) return;
        long last = batch - 1;
        long cNeed = Extent(m, n, ldc);
        if (cNeed > 0) cNeed += last * strideC;
        if (cLength < cNeed)
            throw new ArgumentException(
                $"c has length {cLength} but C (m x n = {m} x {n}, ldc = {ldc}{BatchText(batch, strideC)}) needs {cNeed} elements.", "c");
        if (m == 0 || n == 0 || k == 0) return; // A and B are not read
        long aNeed = (transA ? Extent(k, m, lda) : Extent(m, k, lda)) + last * strideA;
        if (aLength < aNeed)
            throw new ArgumentException(
                $"a has length {aLength} but A ({(transA ? $"k x m = {k} x {m}, transA" : $"m x k = {m} x {k}")}, lda = {lda}{BatchText(batch, strideA)}) needs {aNeed} elements.", "a");
        long bNeed = (transB ? Extent(n, k, ldb) : Extent(k, n, ldb)) + last * strideB;
        if (bLength < bNeed)
            throw new ArgumentException(
                $"b has length {bLength} but B ({(transB ? $"n x k = {n} x {k}, transB" : $"k x n = {k} x {n}")}, ldb = {ldb}{BatchText(batch, strideB)}) needs {bNeed} elements.", "b");
    }

    private static string BatchText(int batch, long stride) => batch > 1 ? $", batch = {batch}, stride = {stride}" : "";

    private static void CheckPointers(int m, int n, int k, float alpha, float* a, float* b, float* c)
    {
        if (m == 0 || n == 0) return;
        if (c == null) throw new ArgumentNullException(nameof(c), $"c is null but C is {m} x {n}.");
        if (k == 0 || alpha == 0f) return;
        if (a == null) throw new ArgumentNullException(nameof(a), $"a is null but op(A) is {m} x {k}.");
        if (b == null) throw new ArgumentNullException(nameof(b), $"b is null but op(B) is {k} x {n}.");
    }

    // ---------------------------------------------------------------- dispatch

    private static void BatchedCore(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc,
        int batch, long strideA, long strideB, long strideC)
    {
        if (batch == 0 || m == 0 || n == 0) return;
        double flopsEach = 2.0 * m * n * k;
        var plan = Split(batch, flopsEach * batch, EngineSettings.Threads);
        // Items big enough to be threaded on their own run one after another (each split inside);
        // otherwise whole items are dealt out to threads. Either way each item is computed exactly
        // as a lone Sgemm call would compute it, so the thread count does not change any result.
        if (plan.Count <= 1 || Split(int.MaxValue, flopsEach, EngineSettings.Threads).Count > 1 || batch == 1)
        {
            for (int i = 0; i < batch; i++)
                SgemmCore(transA, transB, m, n, k, alpha, a + i * strideA, lda, b + i * strideB, ldb,
                    beta, c + i * strideC, ldc, allowParallel: true);
            return;
        }
        plan.Run(new BatchItems
        {
            P = new Problem(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc),
            StrideA = strideA, StrideB = strideB, StrideC = strideC,
        });
    }

    private struct BatchItems : IRangeJob
    {
        public Problem P;
        public long StrideA, StrideB, StrideC;

        public readonly void Run(int start, int end)
        {
            for (int i = start; i < end; i++)
                SgemmCore(P.TransA, P.TransB, P.M, P.N, P.K, P.Alpha, (float*)P.A + i * StrideA, P.Lda, (float*)P.B + i * StrideB, P.Ldb,
                    P.Beta, (float*)P.C + i * StrideC, P.Ldc, allowParallel: false);
        }
    }

    /// <summary>
    /// The least floating-point work worth a ParallelFor chunk: 1e7 flops, about 50 us at the kernel's single-thread
    /// rate, against a dispatch of a few microseconds to the engine's spinning workers (products from 2e7 flops split).
    /// </summary>
    internal const double ParallelFlops = 1e7;

    /// <summary>The chunks for <paramref name="items"/> units of <paramref name="flops"/> work: at most one per thread.</summary>
    private static ParallelChunks Split(int items, double flops, int threads) =>
        ParallelChunks.Plan(items, flops, ParallelFlops, threads);

    private static void SgemmCore(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, bool allowParallel, float* bias = null,
        float* addend = null, int ldAddend = 0)
    {
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f || !TakesBlockedPath(m, n, k, alpha))
        {
            if (k == 0 || alpha == 0f) ScaleC(m, n, beta, c, ldc);
            else SmallGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            if (bias != null || addend != null) AddBiasAndRows(c, ldc, m, n, bias, addend, ldAddend);
            return;
        }
        var job = new BlockedJob
        {
            P = new Problem(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, addend, ldAddend),
            AllowParallel = allowParallel,
        };
        SimdDispatch.Run(ref job);
    }

    /// <summary>One product given as <see cref="GemmOperands"/> (alpha 1), checked and computed as the span form of Sgemm.</summary>
    /// <param name="product">The product.</param>
    /// <exception cref="ArgumentException">Its shape, a leading dimension or a span is invalid.</exception>
    public static void Sgemm(in GemmOperands product)
    {
        product.Check();
        fixed (float* a = product.A, b = product.B, c = product.C) Core(product.ToProblem(a, b, c));
    }

    /// <summary>
    /// Two independent products (<c>C = op(A) op(B) + beta C</c> each, alpha 1), such as a layer's input and weight
    /// gradients, as one parallel region whose threads the two share in proportion to their FLOPs (meant for products of
    /// similar size; see <see cref="BlockedPair"/>). Results are bit-identical to two <see cref="Sgemm(in GemmOperands)"/>
    /// calls; with one thread, or when either product is too small to thread, it is those two calls. Neither product may
    /// write memory the other reads or writes (<see cref="Independent"/>).
    /// </summary>
    /// <param name="first">The first product (run first when they run in turn).</param>
    /// <param name="second">The second product.</param>
    /// <exception cref="ArgumentException">A product's shape, leading dimension or span is invalid (the message names which),
    /// or one product's C overlaps memory of the other.</exception>
    public static void SgemmPair(in GemmOperands first, in GemmOperands second)
    {
        first.Check("first");
        second.Check("second");
        if (!Independent(in first, in second))
            throw new ArgumentException("SgemmPair: one product's C overlaps an operand or the C of the other, so they cannot " +
                "run at the same time; call Sgemm for each in turn.");
        PairOrInTurn(in first, in second, together: true);
    }

    /// <summary>
    /// Two products, checked: as <see cref="SgemmPair"/> when they are <see cref="Independent"/>, else the first, then the
    /// second (a layer's backward when its input is its own weight, as in W W^T).
    /// </summary>
    internal static void SgemmBoth(in GemmOperands first, in GemmOperands second)
    {
        first.Check("first");
        second.Check("second");
        PairOrInTurn(in first, in second, Independent(in first, in second));
    }

    private static void PairOrInTurn(in GemmOperands first, in GemmOperands second, bool together)
    {
        fixed (float* a1 = first.A, b1 = first.B, c1 = first.C, a2 = second.A, b2 = second.B, c2 = second.C)
        {
            var p1 = first.ToProblem(a1, b1, c1);
            var p2 = second.ToProblem(a2, b2, c2);
            if (!together || EngineSettings.Threads < 2 || !Threadable(in p1) || !Threadable(in p2))
            {
                Core(p1);
                Core(p2);
                return;
            }
            var job = new BlockedJob { P = p1, Second = p2, Pair = true };
            SimdDispatch.Run(ref job);
        }
    }

    /// <summary>True when neither product writes memory the other reads or writes, so they may run at the same time.</summary>
    /// <param name="first">One product.</param>
    /// <param name="second">The other.</param>
    public static bool Independent(in GemmOperands first, in GemmOperands second) =>
        !first.C.Overlaps(second.C) && !first.C.Overlaps(second.A) && !first.C.Overlaps(second.B) &&
        !second.C.Overlaps(first.A) && !second.C.Overlaps(first.B);

    // Which path SgemmCore takes for a non-empty product (m, n > 0): the blocked one, or the small one (or C scaled
    // only, for k = 0 or alpha = 0).
    private static bool TakesBlockedPath(int m, int n, int k, float alpha) =>
        k > 0 && alpha != 0f && (long)m * n * k > SmallWork;

    // Products that take the blocked path and are big enough for a thread of their own.
    private static bool Threadable(in Problem p) =>
        p.M > 0 && p.N > 0 && TakesBlockedPath(p.M, p.N, p.K, p.Alpha) && 2.0 * p.M * p.N * p.K >= ParallelFlops;

    private static void Core(Problem p) =>
        SgemmCore(p.TransA, p.TransB, p.M, p.N, p.K, p.Alpha, (float*)p.A, p.Lda, (float*)p.B, p.Ldb, p.Beta, (float*)p.C, p.Ldc,
            allowParallel: true, (float*)p.Bias, (float*)p.Addend, p.LdAddend);

    // The register tile is shaped for the width's register file: 12 x 32 in 24 Vector512 accumulators, 6 x 16 in 12
    // Vector256 ones (with hardware FMA), else 4 x 4 scalars.
    // One product (P), or with Pair two independent ones (P and Second) as one parallel region (BlockedPair).
    private struct BlockedJob : ISimdJob
    {
        public Problem P, Second;
        public bool AllowParallel, Pair;

        public readonly void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            if (TOps.Count == 16) Run<Kernel12x32>();
            else if (TOps.Count == 8 && Fma.IsSupported) Run<Kernel6x16>();
            else Run<Kernel4x4>();
        }

        private readonly void Run<TK>() where TK : struct, IGemmMicroKernel
        {
            if (Pair) BlockedPair<TK>(in P, in Second);
            else Blocked<TK>(in P, AllowParallel);
        }
    }

    /// <summary>c[r, j] = (c[r, j] + bias[j]) + addend[r, j] for rows [0, rows) and columns [0, cols) (row strides ldc and
    /// lda), the bias first, as two separate sums would round; either may be null.</summary>
    internal static void AddBiasAndRows(float* c, nint ldc, int rows, int cols, float* bias, float* addend, nint lda)
    {
        if (bias != null) AddRows(c, ldc, rows, cols, bias, 0);
        if (addend != null) AddRows(c, ldc, rows, cols, addend, lda);
    }

    /// <summary>c[r, j] += src[r * lds + j] for rows [0, rows) and columns [0, cols); lds = 0 adds one row (a bias) to every row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRows(float* c, nint ldc, int rows, int cols, float* src, nint lds)
    {
        for (int r = 0; r < rows; r++, c += ldc, src += lds)
        {
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; j + 16 <= cols; j += 16) (Vector512.Load(c + j) + Vector512.Load(src + j)).Store(c + j);
            if (Vector256.IsHardwareAccelerated)
                for (; j + 8 <= cols; j += 8) (Vector256.Load(c + j) + Vector256.Load(src + j)).Store(c + j);
            for (; j < cols; j++) c[j] += src[j];
        }
    }

    /// <summary>C = beta * C, with beta == 0 writing zeros whatever C held.</summary>
    private static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (long)i * ldc, n);
            if (beta == 0f) row.Clear();
            else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    /// <summary>Fused multiply-add where the hardware has it (the vector kernels use it), else a*b+c (<see cref="ISimd{TV}.MulAdd"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Madd(float a, float b, float c) => SimdScalar.MulAdd(a, b, c);

    /// <summary>The value stored into C for an accumulated product <paramref name="acc"/>; the one formula every path uses.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Combine(float acc, float alpha, float beta, float old) =>
        beta == 0f ? alpha * acc : Madd(old, beta, alpha * acc);
}
