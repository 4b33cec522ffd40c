using System.Numerics.Tensors;
using Ortho.Kernels;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Kernels;

/// <summary>The engine's worker threads: every chunk once, errors surfaced, nesting and concurrent callers safe.</summary>
[Collection("Ortho NN kernels: EngineSettings.Threads")]
public class WorkerPoolTests
{
    [Theory]
    [InlineData(2, 2)]
    [InlineData(2, 7)]
    [InlineData(3, 2)]
    [InlineData(4, 33)]
    public void EveryChunkRunsExactlyOnce(int threads, int chunks) => EngineThreads.With(threads, () =>
    {
        for (int round = 0; round < 200; round++)
        {
            var runs = new int[chunks];
            EngineSettings.ParallelFor(chunks, c => Interlocked.Increment(ref runs[c]));
            Assert.All(runs, r => Assert.Equal(1, r));
        }
    });

    [Fact]
    public void WorkersTakePartAfterTheySpin() => EngineThreads.With(2, () =>
    {
        int caller = Environment.CurrentManagedThreadId, others = 0;
        for (int round = 0; round < 50; round++)
            EngineSettings.ParallelFor(2, _ =>
            {
                Thread.Sleep(1); // long enough for a spinning or woken worker to claim a chunk
                if (Environment.CurrentManagedThreadId != caller) Interlocked.Increment(ref others);
            });
        Assert.True(others > 0, "no chunk ran off the calling thread in 50 rounds");
    });

    [Fact]
    public void AnExceptionInAChunkReachesTheCallerAndThePoolStaysUsable() => EngineThreads.With(2, () =>
    {
        var e = Assert.Throws<AggregateException>(() => EngineSettings.ParallelFor(4, c =>
        {
            if (c == 3) throw new InvalidOperationException("chunk 3 failed");
        }));
        Assert.Equal("chunk 3 failed", Assert.Single(e.InnerExceptions).Message);
        var runs = new int[4];
        EngineSettings.ParallelFor(4, c => runs[c]++);
        Assert.All(runs, r => Assert.Equal(1, r));
    });

    [Fact]
    public void NestedCallsRunInsideTheirChunk() => EngineThreads.With(2, () =>
    {
        var runs = new int[4 * 5];
        EngineSettings.ParallelFor(4, outer => EngineSettings.ParallelFor(5, inner => Interlocked.Increment(ref runs[outer * 5 + inner])));
        Assert.All(runs, r => Assert.Equal(1, r));
    });

    [Fact]
    public void ConcurrentCallersGetCorrectResults() => EngineThreads.With(2, () =>
    {
        // Four threads run large (parallel) kernels at once: one holds the pool, the others take the fallback path.
        const int n = 4 * ElementwiseKernels.ParallelChunkElements;
        var a = RefMath.RandomFloats(n, 1, -1, 1);
        var b = RefMath.RandomFloats(n, 2, -1, 1);
        var expected = new float[n];
        TensorPrimitives.Add(a, b, expected);
        var tasks = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 20; i++)
            {
                var y = new float[n];
                ElementwiseKernels.Add(a, b, y);
                if (!y.AsSpan().SequenceEqual(expected)) return false;
            }
            return true;
        })).ToArray();
        Task.WaitAll(tasks);
        Assert.All(tasks, t => Assert.True(t.Result));
    });

    [Fact]
    public void AForcedWidthDoesNotOutliveItsScopeOnTheWorkers() => EngineThreads.With(2, () =>
    {
        var seen = new Ortho.Kernels.Simd.SimdWidth[8];
        using (Ortho.Kernels.Simd.SimdDispatch.Force(Ortho.Kernels.Simd.SimdWidth.Scalar))
            EngineSettings.ParallelFor(seen.Length, i => { Thread.Sleep(1); seen[i] = Ortho.Kernels.Simd.SimdDispatch.Current; });
        Assert.All(seen, w => Assert.Equal(Ortho.Kernels.Simd.SimdWidth.Scalar, w));
        EngineSettings.ParallelFor(seen.Length, i => { Thread.Sleep(1); seen[i] = Ortho.Kernels.Simd.SimdDispatch.Current; });
        Assert.All(seen, w => Assert.Equal(Ortho.Kernels.Simd.SimdDispatch.Best, w));
    });

    [Fact]
    public void SpinTimeRejectsNegativeValues() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => EngineSettings.SpinMicroseconds = -1);
}
