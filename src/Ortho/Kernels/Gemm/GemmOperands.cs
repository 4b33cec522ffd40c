namespace Ortho.Kernels;

/// <summary>
/// One product <c>C = op(A) op(B) + beta C</c> (row-major spans, alpha 1) for <see cref="Gemm.SgemmPair"/> or
/// <see cref="Gemm.Sgemm(in GemmOperands)"/>; the
/// parameters mean what they mean in <see cref="Gemm.Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>.
/// </summary>
/// <param name="transA">A is stored k x m and used transposed.</param>
/// <param name="transB">B is stored n x k and used transposed.</param>
/// <param name="m">Rows of C.</param>
/// <param name="n">Columns of C.</param>
/// <param name="k">The reduction length.</param>
/// <param name="a">A, row-major.</param>
/// <param name="lda">Leading dimension of A as stored.</param>
/// <param name="b">B, row-major.</param>
/// <param name="ldb">Leading dimension of B as stored.</param>
/// <param name="beta">Scale of the previous C; 0 ignores its contents, 1 accumulates.</param>
/// <param name="c">C, row-major.</param>
/// <param name="ldc">Leading dimension of C.</param>
public readonly ref struct GemmOperands(bool transA, bool transB, int m, int n, int k,
    ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
{
    internal readonly bool TransA = transA, TransB = transB;
    internal readonly int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc;
    internal readonly float Beta = beta;
    internal readonly ReadOnlySpan<float> A = a, B = b;
    internal readonly Span<float> C = c;

    /// <summary>Throws as Sgemm does for a bad shape, leading dimension or short span; the message names the product
    /// when <paramref name="which"/> is given.</summary>
    internal void Check(string? which = null)
    {
        try { Gemm.CheckOperands(TransA, TransB, M, N, K, A.Length, Lda, B.Length, Ldb, C.Length, Ldc); }
        catch (ArgumentException e) when (which != null) { throw new ArgumentException($"{which} product: {e.Message}", e); }
    }

    /// <summary>The product over pinned copies of the spans' addresses.</summary>
    internal unsafe Gemm.Problem ToProblem(float* a, float* b, float* c) =>
        new(TransA, TransB, M, N, K, 1f, a, Lda, b, Ldb, Beta, c, Ldc);
}
