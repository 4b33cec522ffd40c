using Ortho.Kernels;
using Ortho.Kernels.Simd;
using Xunit;

namespace Ortho.Tests.Kernels;

/// <summary>Tests that change <see cref="EngineSettings.Threads"/> run alone (it is process-wide).</summary>
[CollectionDefinition("Ortho NN kernels: EngineSettings.Threads", DisableParallelization = true)]
public sealed class NnThreadsCollection
{
}

/// <summary>Results must be bit-identical whatever the thread count (inputs large enough to run in parallel).</summary>
[Collection("Ortho NN kernels: EngineSettings.Threads")]
public class NnKernelThreadingTests
{
    private static bool Same(float a, float b) =>
        BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) || (float.IsNaN(a) && float.IsNaN(b));

    [Fact]
    public void GeluLargeSpansAreIdenticalForOneAndTwoThreads()
    {
        int n = 2 * ElementwiseKernels.ParallelChunkElements + 37; // two parallel chunks plus a tail
        var x = RefMath.RandomFloats(n, 51, -6, 6);
        var dy = RefMath.RandomFloats(n, 52, -1, 1);
        int saved = EngineSettings.Threads;
        try
        {
            EngineSettings.Threads = 1;
            var y1 = new float[n];
            var dx1 = new float[n];
            GeluKernels.Forward(y1, x);
            GeluKernels.Backward(dx1, x, dy);
            EngineSettings.Threads = 2;
            var y2 = new float[n];
            var dx2 = new float[n];
            long before = ParallelChunks.ParallelChunksRun;
            GeluKernels.Forward(y2, x);
            Assert.True(ParallelChunks.ParallelChunksRun - before > 1, "the forward pass must run in parallel chunks");
            before = ParallelChunks.ParallelChunksRun;
            GeluKernels.Backward(dx2, x, dy);
            Assert.True(ParallelChunks.ParallelChunksRun - before > 1, "the backward pass must run in parallel chunks");
            Assert.True(y1.AsSpan().SequenceEqual(y2), "gelu forward differs between 1 and 2 threads");
            Assert.True(dx1.AsSpan().SequenceEqual(dx2), "gelu backward differs between 1 and 2 threads");
            for (int i = 0; i < n; i += 4099) Assert.True(Same(GeluKernels.ForwardOp.Invoke<float, SimdScalar>(x[i]), y2[i]));
        }
        finally
        {
            EngineSettings.Threads = saved;
        }
    }

    [Fact]
    public void LayerNormIsBitIdenticalForOneAndTwoThreads()
    {
        int C = 256, rows = 2 * ParallelChunks.RowChunkElements / C + 5; // above the parallel threshold, a ragged last block
        var x = RefMath.RandomFloats(rows * C, 81, -3, 3);
        var w = RefMath.RandomFloats(C, 82, 0.5, 1.5);
        var b = RefMath.RandomFloats(C, 83, -1, 1);
        var dy = RefMath.RandomFloats(rows * C, 84, -1, 1);
        int saved = EngineSettings.Threads;
        try
        {
            (float[] y, float[] dx, float[] dw, float[] db) Run(int threads)
            {
                EngineSettings.Threads = threads;
                var y = new float[rows * C];
                var mean = new float[rows];
                var rstd = new float[rows];
                var dx = new float[rows * C];
                var dw = new float[C];
                var db = new float[C];
                AssertChunks(threads, () => LayerNormKernels.Forward(y, mean, rstd, x, w, b, rows, C, 1e-5f));
                AssertChunks(threads, () => LayerNormKernels.Backward(dx, dw, db, dy, x, w, mean, rstd, rows, C));
                return (y, dx, dw, db);
            }
            var one = Run(1);
            foreach (int threads in new[] { 2, 3 })
            {
                var many = Run(threads);
                Assert.True(one.y.AsSpan().SequenceEqual(many.y), $"y, {threads} threads");
                Assert.True(one.dx.AsSpan().SequenceEqual(many.dx), $"dx, {threads} threads");
                Assert.True(one.dw.AsSpan().SequenceEqual(many.dw), $"dweight, {threads} threads");
                Assert.True(one.db.AsSpan().SequenceEqual(many.db), $"dbias, {threads} threads");
            }
            // And the reduction is right: dbias = column sums of dy.
            for (int i = 0; i < C; i++)
            {
                double s = 0;
                for (int r = 0; r < rows; r++) s += dy[r * C + i];
                Assert.True(Math.Abs(one.db[i] - s) < 1e-4, $"dbias[{i}] {one.db[i]} vs {s}");
            }
        }
        finally
        {
            EngineSettings.Threads = saved;
        }
    }

    [Fact]
    public void SoftmaxIsIdenticalForOneAndTwoThreads()
    {
        int cols = 500, rows = 2 * ParallelChunks.RowChunkElements / cols + 3;
        var x = RefMath.RandomFloats(rows * cols, 5, -5, 5);
        var dy = RefMath.RandomFloats(rows * cols, 6, -1, 1);
        int saved = EngineSettings.Threads;
        try
        {
            (float[], float[]) Run(int t)
            {
                EngineSettings.Threads = t;
                var y = new float[x.Length];
                var dx = new float[x.Length];
                AssertChunks(t, () => SoftmaxKernels.Forward(y, x, rows, cols));
                AssertChunks(t, () => SoftmaxKernels.Backward(dx, y, dy, rows, cols));
                return (y, dx);
            }
            var (y1, d1) = Run(1);
            foreach (int t in new[] { 2, 3 })
            {
                var (y2, d2) = Run(t);
                Assert.True(y1.AsSpan().SequenceEqual(y2), $"y, {t} threads");
                Assert.True(d1.AsSpan().SequenceEqual(d2), $"dx, {t} threads");
            }
        }
        finally
        {
            EngineSettings.Threads = saved;
        }
    }

    [Fact]
    public void CrossEntropyIsBitIdenticalForOneAndTwoThreads()
    {
        int vocab = 257, rows = 2 * ParallelChunks.RowChunkElements / vocab + 7;
        var x = RefMath.RandomFloats(rows * vocab, 9, -6, 6);
        var rng = new Random(10);
        var t = Enumerable.Range(0, rows).Select(i => i % 13 == 0 ? -100 : rng.Next(vocab)).ToArray();
        int saved = EngineSettings.Threads;
        try
        {
            (float, float[]) Run(int threads)
            {
                EngineSettings.Threads = threads;
                var lse = new float[rows];
                float l = 0;
                AssertChunks(threads, () => l = CrossEntropyKernels.Forward(default, lse, x, t, rows, vocab));
                var dx = new float[x.Length];
                AssertChunks(threads, () => CrossEntropyKernels.Backward(dx, x, lse, t, rows, vocab, 1f));
                return (l, dx);
            }
            var (l1, d1) = Run(1);
            foreach (int threads in new[] { 2, 3 })
            {
                var (l2, d2) = Run(threads);
                Assert.Equal(BitConverter.SingleToInt32Bits(l1), BitConverter.SingleToInt32Bits(l2));
                Assert.True(d1.AsSpan().SequenceEqual(d2), $"dlogits, {threads} threads");
            }
        }
        finally
        {
            EngineSettings.Threads = saved;
        }
    }

    /// <summary>Runs <paramref name="kernel"/> and checks it ran inline with one thread and in several parallel chunks otherwise.</summary>
    internal static void AssertChunks(int threads, Action kernel)
    {
        long before = ParallelChunks.ParallelChunksRun;
        kernel();
        long ran = ParallelChunks.ParallelChunksRun - before;
        if (threads == 1) Assert.True(ran == 0, $"one thread must run inline, ran {ran} parallel chunks");
        else Assert.True(ran > 1, $"{threads} threads must run several parallel chunks, ran {ran}");
    }

    [Fact]
    public void ForcedWidthReachesTheParallelChunks()
    {
        int saved = EngineSettings.Threads;
        try
        {
            using (SimdDispatch.Force(SimdWidth.Scalar))
            {
                var seen = new SimdWidth[8];
                EngineSettings.Threads = 4;
                EngineSettings.ParallelFor(seen.Length, i => seen[i] = SimdDispatch.Current);
                Assert.All(seen, w => Assert.Equal(SimdWidth.Scalar, w));
            }
            // And through a kernel: a forced scalar softmax (whose row sums depend on the width) is the same in parallel
            // chunks as on one thread.
            int cols = 257, rows = 2 * ParallelChunks.RowChunkElements / cols + 1;
            var x = RefMath.RandomFloats(rows * cols, 15, -5, 5);
            float[] Softmax(int threads)
            {
                EngineSettings.Threads = threads;
                var y = new float[x.Length];
                using (SimdDispatch.Force(SimdWidth.Scalar)) AssertChunks(threads, () => SoftmaxKernels.Forward(y, x, rows, cols));
                return y;
            }
            var serial = Softmax(1);
            Assert.True(serial.AsSpan().SequenceEqual(Softmax(2)), "forced scalar: 1 and 2 threads differ");
            if (SimdDispatch.Best >= SimdWidth.V256) // the row kernels' vector widths
            {
                // The check can fail: at the best width the row sums (and so some outputs) differ from the scalar ones.
                EngineSettings.Threads = 1;
                var best = new float[x.Length];
                SoftmaxKernels.Forward(best, x, rows, cols);
                Assert.False(serial.AsSpan().SequenceEqual(best), "the scalar and vector softmax are identical: the check proves nothing");
            }
        }
        finally
        {
            EngineSettings.Threads = saved;
        }
    }
}
