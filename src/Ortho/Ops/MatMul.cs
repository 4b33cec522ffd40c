using Ortho.Kernels;

namespace Ortho;

public partial class Tensor
{
    /// <summary>
    /// Matrix product of the last two dimensions, batched over the leading ones: a [..., m, k] x b [..., k, n]
    /// (with <paramref name="transA"/>: a is [..., k, m]; with <paramref name="transB"/>: b is [..., n, k]).
    /// A rank-2 operand is shared across the other's batch; otherwise batch dimensions must be equal.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transA = false, bool transB = false)
    {
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"MatMul: both operands need rank >= 2, got {ShapeString(a._shape)} and {ShapeString(b._shape)}.");
        int m = transA ? a._shape[^1] : a._shape[^2];
        int k = transA ? a._shape[^2] : a._shape[^1];
        int kb = transB ? b._shape[^1] : b._shape[^2];
        int n = transB ? b._shape[^2] : b._shape[^1];
        if (k != kb)
            throw new ArgumentException($"MatMul: inner dimensions differ: {ShapeString(a._shape)}{(transA ? "^T" : "")} x {ShapeString(b._shape)}{(transB ? "^T" : "")} ({k} vs {kb}).");
        var aBatch = a._shape[..^2];
        var bBatch = b._shape[..^2];
        int[] batchShape;
        if (b.Rank == 2) batchShape = aBatch;
        else if (a.Rank == 2) batchShape = bBatch;
        else if (aBatch.AsSpan().SequenceEqual(bBatch)) batchShape = aBatch;
        else throw new ArgumentException($"MatMul: batch dimensions {ShapeString(aBatch)} and {ShapeString(bBatch)} differ (only equal batches or a rank-2 operand are supported).");
        int batch = CheckedLength(batchShape);
        var y = Empty([.. batchShape, m, n]);
        long sa = a.Rank == 2 ? 0 : (long)m * k, sb = b.Rank == 2 ? 0 : (long)k * n, sc = (long)m * n;
        int lda = transA ? m : k, ldb = transB ? k : n;

        // A rank-2 right operand with an untransposed batched left one is one big GEMM over batch*m rows.
        bool flat = b.Rank == 2 && !transA;
        if (flat) Gemm.Sgemm(false, transB, batch * m, n, k, 1f, a.Data, lda, b.Data, ldb, 0f, y.Data, n);
        else Batched(transA, transB, m, n, k, 1f, a.Data, lda, sa, b.Data, ldb, sb, 0f, y.Data, n, sc, batch);

        return Record(y, "matmul", [a, b], g =>
        {
            var gd = g.Data;
            if (a.RequiresGrad)
            {
                var da = a.GradSpan();
                // dA = dC op(B)^T (or, when A is stored transposed, dA = op(B) dC^T).
                if (flat) Gemm.Sgemm(false, !transB, batch * m, k, n, 1f, gd, n, b.Data, ldb, 1f, da, lda);
                else if (!transA) Batched(false, !transB, m, k, n, 1f, gd, n, sc, b.Data, ldb, sb, 1f, da, lda, sa, batch);
                else Batched(transB, true, k, m, n, 1f, b.Data, ldb, sb, gd, n, sc, 1f, da, lda, sa, batch);
            }
            if (b.RequiresGrad)
            {
                var db = b.GradSpan();
                // dB = op(A)^T dC (or, when B is stored transposed, dB = dC^T op(A)).
                if (flat && !transB) Gemm.Sgemm(true, false, k, n, batch * m, 1f, a.Data, lda, gd, n, 1f, db, ldb);
                else if (flat) Gemm.Sgemm(true, false, n, k, batch * m, 1f, gd, n, a.Data, lda, 1f, db, ldb);
                else if (!transB) Batched(!transA, false, k, n, m, 1f, a.Data, lda, sa, gd, n, sc, 1f, db, ldb, sb, batch);
                else Batched(true, transA, n, k, m, 1f, gd, n, sc, a.Data, lda, sa, 1f, db, ldb, sb, batch);
            }
        });
    }

    /// <summary>Batched GEMM; a gradient shared by the whole batch (stride 0) is accumulated one batch at a time.</summary>
    private static void Batched(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, long strideA,
        ReadOnlySpan<float> b, int ldb, long strideB, float beta, Span<float> c, int ldc, long strideC, int batch)
    {
        if (strideC != 0 || batch <= 1)
        {
            Gemm.SgemmStridedBatched(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, batch, strideA, strideB, strideC);
            return;
        }
        for (int i = 0; i < batch; i++)
            Gemm.Sgemm(transA, transB, m, n, k, alpha, a[(int)(i * strideA)..], lda, b[(int)(i * strideB)..], ldb, i == 0 ? beta : 1f, c, ldc);
    }

    /// <summary>Matrix product with <paramref name="other"/> (see <see cref="MatMul(Tensor, Tensor, bool, bool)"/>).</summary>
    public Tensor MatMul(Tensor other) => MatMul(this, other);
}
