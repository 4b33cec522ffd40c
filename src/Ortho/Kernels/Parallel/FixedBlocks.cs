using System.Buffers;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>One fixed-size block of elements of a block-reduced kernel call, at one SIMD width.</summary>
internal interface IBlockJob
{
    /// <summary>Processes elements [start, start + count) as block number <paramref name="block"/>.</summary>
    void Run<TV, TOps>(int start, int count, int block) where TV : unmanaged where TOps : struct, ISimd<TV>;
}

/// <summary>
/// The deterministic parallel skeleton of the learnable-activation kernels. Elements are cut into blocks of
/// <see cref="BlockSize"/> (fixed, independent of the thread count); a backward kernel writes each block's
/// parameter-gradient partial sums (double) to its own row, and <see cref="SumRows"/> adds the rows in block order,
/// so gradients are bit-identical whatever <see cref="EngineSettings.Threads"/> is. Blocks are grouped into chunks
/// by <see cref="ParallelChunks"/> (at most four per thread) and run at the width <see cref="SimdDispatch"/> chooses,
/// Vector128 included.
/// </summary>
internal static class FixedBlocks
{
    /// <summary>Elements per reduction block.</summary>
    public const int BlockSize = 1 << 15;

    /// <summary>
    /// Elements per float-lane accumulation run inside a block. Each run's lane sums are added to the block's double
    /// partials, so a float accumulator sums at most SubBlock / lanes products (32 with Vector512, 512 on the scalar
    /// path): float FMAs keep the hot loop at full vector speed, the rounding of a run stays at the 1e-6 level relative
    /// to its magnitude, and the double stage keeps the total error independent of the tensor size.
    /// </summary>
    public const int SubBlock = 512;

    // Work (in rough "vector-op units" per element times elements) below which a second chunk does not pay:
    // a few microseconds per dispatch against kernels running at ~0.1-1 ns per unit-op per element.
    private const double MinWorkPerChunk = 1 << 18;

    /// <summary>Number of blocks of <paramref name="length"/> elements.</summary>
    public static int Count(int length) => length == 0 ? 0 : (length + BlockSize - 1) / BlockSize;

    /// <summary>Runs <paramref name="job"/> over all blocks of <paramref name="length"/> elements.</summary>
    /// <param name="length">Number of elements.</param>
    /// <param name="opsPerElement">Rough cost per element, used only to decide how many chunks are worth a thread.</param>
    /// <param name="job">The per-block work (copied per chunk).</param>
    public static void Run<TJob>(int length, int opsPerElement, TJob job) where TJob : struct, IBlockJob
    {
        int blocks = Count(length);
        var plan = ParallelChunks.Plan(blocks, (double)length * Math.Max(1, opsPerElement), MinWorkPerChunk, 4 * EngineSettings.Threads);
        plan.RunSimd(new Blocks<TJob> { Job = job, Length = length });
    }

    private struct Blocks<TJob> : ISimdRangeJob where TJob : struct, IBlockJob
    {
        public TJob Job;
        public int Length;

        public static bool HasV128Path => true;

        public void Run<TV, TOps>(int start, int end) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            for (int b = start; b < end; b++)
            {
                int first = b * BlockSize;
                Job.Run<TV, TOps>(first, Math.Min(BlockSize, Length - first), b);
            }
        }
    }

    /// <summary>Rents a zeroed rows x width partials buffer.</summary>
    public static double[] RentPartials(int rows, int width)
    {
        var a = ArrayPool<double>.Shared.Rent(Math.Max(1, rows * width));
        Array.Clear(a, 0, rows * width);
        return a;
    }

    /// <summary>Returns a buffer from <see cref="RentPartials"/>.</summary>
    public static void ReturnPartials(double[] a) => ArrayPool<double>.Shared.Return(a);

    /// <summary>total[j] = sum over rows r in order 0..rows-1 of partials[r * width + j].</summary>
    public static void SumRows(ReadOnlySpan<double> partials, int rows, int width, Span<double> total)
    {
        total[..width].Clear();
        for (int r = 0; r < rows; r++)
        {
            var row = partials.Slice(r * width, width);
            for (int j = 0; j < width; j++) total[j] += row[j];
        }
    }
}
