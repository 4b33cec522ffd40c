using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// The gradient of a linear layer's bias over <c>rows</c> rows of <c>cols</c> features: the column sums of dy, added
/// into dbias, split over the threads by column ranges; each column is summed over rows 0, 1, ... in order by one thread,
/// so the result does not depend on the thread count. (The forward bias is added inside the GEMM: see
/// <see cref="Gemm.Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, ReadOnlySpan{float})"/>.)
/// </summary>
public static unsafe class BiasKernels
{
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
        var plan = ParallelChunks.Plan((cols + CacheLine.Floats - 1) / CacheLine.Floats, (double)rows * cols, ParallelChunks.RowChunkElements, EngineSettings.Threads);
        fixed (float* pd = dbias, pg = dy)
            plan.RunSimd(new ColumnSums { D = pd, G = pg, Rows = rows, Cols = cols });
    }

    private static void CheckDims(int rows, int cols)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "Must be non-negative.");
        if (cols < 0) throw new ArgumentOutOfRangeException(nameof(cols), cols, "Must be non-negative.");
    }

    private struct ColumnSums : ISimdRangeJob
    {
        public float* D, G;
        public int Rows, Cols;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int start, int end) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            int c0 = start * CacheLine.Floats, c1 = Math.Min(Cols, end * CacheLine.Floats);
            RowOps.AddColumnSums<TV, TOps>(D + c0, G + c0, Rows, Cols, c1 - c0);
        }
    }
}
