using System.Buffers;

namespace Ortho.Activations;

/// <summary>One fixed-size block of elements of an activation kernel call.</summary>
internal interface IBlockJob
{
    /// <summary>Processes elements [start, start + count) as block number <paramref name="block"/>.</summary>
    void Run(int start, int count, int block);
}

/// <summary>
/// The deterministic parallel skeleton of the activation kernels. Elements are cut into blocks of
/// <see cref="BlockSize"/> (fixed, independent of the thread count); a backward kernel writes each
/// block's parameter-gradient partial sums (double) to its own row, and <see cref="SumRows"/> adds the rows
/// in block order, so gradients are bit-identical whatever <see cref="EngineSettings.Threads"/> is.
/// Blocks are grouped into a few coarse chunks per thread for <see cref="EngineSettings.ParallelFor"/>.
/// </summary>
internal static class KernelBlocks
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

    // Work (in rough "vector-op units" per element times elements) below which a second thread does not pay:
    // ~20 us per Parallel.For against kernels running at ~1 ns per unit-op per element.
    private const long MinWorkPerChunk = 4L << 20;

    public static int BlockCount(int length) => length == 0 ? 0 : (length + BlockSize - 1) / BlockSize;

    /// <summary>Runs <paramref name="job"/> over all blocks of <paramref name="length"/> elements.</summary>
    /// <param name="length">Number of elements.</param>
    /// <param name="opsPerElement">Rough cost per element, used only to decide how many chunks are worth a thread.</param>
    /// <param name="job">The per-block work (copied per chunk).</param>
    public static void Run<TJob>(int length, int opsPerElement, TJob job) where TJob : struct, IBlockJob
    {
        int blocks = BlockCount(length);
        int threads = EngineSettings.Threads;
        long work = (long)length * Math.Max(1, opsPerElement);
        int chunks = (int)Math.Min(Math.Min(blocks, 4L * threads), Math.Max(1, work / MinWorkPerChunk));
        if (threads <= 1 || chunks <= 1)
        {
            for (int b = 0; b < blocks; b++) RunBlock(ref job, b, length);
            return;
        }
        EngineSettings.ParallelFor(chunks, c =>
        {
            var local = job;
            int b0 = (int)((long)blocks * c / chunks), b1 = (int)((long)blocks * (c + 1) / chunks);
            for (int b = b0; b < b1; b++) RunBlock(ref local, b, length);
        });
    }

    private static void RunBlock<TJob>(ref TJob job, int b, int length) where TJob : struct, IBlockJob
    {
        int start = b * BlockSize;
        job.Run(start, Math.Min(BlockSize, length - start), b);
    }

    /// <summary>Rents a zeroed rows x width partials buffer.</summary>
    public static double[] RentPartials(int rows, int width)
    {
        var a = ArrayPool<double>.Shared.Rent(Math.Max(1, rows * width));
        Array.Clear(a, 0, rows * width);
        return a;
    }

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

    /// <summary>Throws unless the spans that must match x have its length.</summary>
    public static void CheckSameLength(int n, int other, string name)
    {
        if (other != n) throw new ArgumentException($"{name} has length {other}, expected {n} (the length of x).", name);
    }

    /// <summary>Throws unless a parameter (or gradient) span has the expected length.</summary>
    public static void CheckParam(int length, int expected, string name, string kind, int degree)
    {
        if (length != expected)
            throw new ArgumentException($"{kind} degree {degree}: {name} has length {length}, expected {expected}.", name);
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> stating the valid range.</summary>
    public static void CheckDegree(int degree, int min, int max, string kind)
    {
        if (degree < min || degree > max)
            throw new ArgumentOutOfRangeException(nameof(degree), degree, $"{kind} degree must be in [{min}, {max}]; got {degree}.");
    }
}
