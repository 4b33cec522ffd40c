using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// The bias of a linear layer over <c>rows</c> rows of <c>cols</c> features: the forward pass writes the bias into every
/// row (the product is then accumulated on top, <c>beta = 1</c>), the backward pass adds the column sums of dy into
/// dbias. Both split over the threads; each column of dbias is summed over rows 0, 1, ... in order by one thread, so the
/// result does not depend on the thread count.
/// </summary>
public static unsafe class BiasKernels
{
    /// <summary>y[r, c] = bias[c] for every row r.</summary>
    /// <param name="y">Output [rows, cols] (overwritten).</param>
    /// <param name="bias">Bias [cols].</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Features.</param>
    public static void Forward(Span<float> y, ReadOnlySpan<float> bias, int rows, int cols)
    {
        CheckDims(rows, cols);
        NnArgs.Length(bias.Length, cols, nameof(bias));
        NnArgs.Length(y.Length, (long)rows * cols, nameof(y));
        if (rows == 0 || cols == 0) return;
        fixed (float* py = y, pb = bias)
            ParallelChunks.Rows(rows, cols).Run(new FillRows { Y = py, B = pb, Cols = cols });
    }

    /// <summary>dbias[c] += sum over rows r of dy[r, c].</summary>
    /// <param name="dbias">Bias gradient [cols], accumulated.</param>
    /// <param name="dy">Output gradient [rows, cols].</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Features.</param>
    public static void Backward(Span<float> dbias, ReadOnlySpan<float> dy, int rows, int cols)
    {
        CheckDims(rows, cols);
        NnArgs.Length(dbias.Length, cols, nameof(dbias));
        NnArgs.Length(dy.Length, (long)rows * cols, nameof(dy));
        if (rows == 0 || cols == 0) return;
        // Column ranges of whole cache lines, one per thread at most.
        var plan = ParallelChunks.Plan((cols + 15) / 16, (double)rows * cols, ParallelChunks.RowChunkElements, EngineSettings.Threads);
        fixed (float* pd = dbias, pg = dy)
            plan.RunSimd(new ColumnSums { D = pd, G = pg, Rows = rows, Cols = cols });
    }

    private static void CheckDims(int rows, int cols)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "Must be non-negative.");
        if (cols < 0) throw new ArgumentOutOfRangeException(nameof(cols), cols, "Must be non-negative.");
    }

    private struct FillRows : IRangeJob
    {
        public float* Y, B;
        public int Cols;

        public readonly void Run(int start, int end)
        {
            var b = new ReadOnlySpan<float>(B, Cols);
            for (int r = start; r < end; r++) b.CopyTo(new Span<float>(Y + (nint)r * Cols, Cols));
        }
    }

    private struct ColumnSums : ISimdRangeJob
    {
        public float* D, G;
        public int Rows, Cols;

        public readonly void Run<TV, TOps>(int start, int end) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            int c0 = start * 16, c1 = Math.Min(Cols, end * 16);
            for (int r = 0; r < Rows; r++) RowOps.AddInto<TV, TOps>(D + c0, G + (nint)r * Cols + c0, c1 - c0);
        }
    }
}
