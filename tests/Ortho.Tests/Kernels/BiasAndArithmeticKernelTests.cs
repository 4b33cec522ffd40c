using System.Numerics.Tensors;
using Ortho.Kernels;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Kernels;

/// <summary>
/// The split element-wise arithmetic (same bits as TensorPrimitives: one IEEE operation per element) and the linear
/// layer's bias (added inside the GEMM; its gradient by column sums), at one and two threads.
/// </summary>
[Collection("Ortho NN kernels: EngineSettings.Threads")]
public class BiasAndArithmeticKernelTests
{
    public static TheoryData<string, int> ArithmeticCases => new()
    {
        { "add", 37 }, { "add", 3 * ElementwiseKernels.ParallelChunkElements + 5 },
        { "sub", 3 * ElementwiseKernels.ParallelChunkElements + 5 }, { "mul", 1000 }, { "mul", 3 * ElementwiseKernels.ParallelChunkElements + 5 },
        { "div", 3 * ElementwiseKernels.ParallelChunkElements + 5 }, { "add_into", 3 * ElementwiseKernels.ParallelChunkElements + 5 },
        { "copy", 3 * ElementwiseKernels.ParallelChunkElements + 5 }, { "clear", 3 * ElementwiseKernels.ParallelChunkElements + 5 },
    };

    [Theory]
    [MemberData(nameof(ArithmeticCases))]
    public void ArithmeticMatchesTensorPrimitivesBitForBit(string op, int n)
    {
        var a = RefMath.RandomFloats(n, 11, -3, 3);
        var b = RefMath.RandomFloats(n, 12, 0.5, 2);
        var expected = RefMath.RandomFloats(n, 13, -1, 1);
        var start = (float[])expected.Clone();
        switch (op)
        {
            case "add": TensorPrimitives.Add(a, b, expected); break;
            case "sub": TensorPrimitives.Subtract(a, b, expected); break;
            case "mul": TensorPrimitives.Multiply(a, b, expected); break;
            case "div": TensorPrimitives.Divide(a, b, expected); break;
            case "add_into": TensorPrimitives.Add(expected, a, expected); break;
            case "copy": a.CopyTo(expected, 0); break;
            case "clear": Array.Clear(expected); break;
        }
        foreach (int threads in new[] { 1, 2 })
            EngineThreads.With(threads, () =>
            {
                var y = (float[])start.Clone();
                switch (op)
                {
                    case "add": ElementwiseKernels.Add(a, b, y); break;
                    case "sub": ElementwiseKernels.Subtract(a, b, y); break;
                    case "mul": ElementwiseKernels.Multiply(a, b, y); break;
                    case "div": ElementwiseKernels.Divide(a, b, y); break;
                    case "add_into": ElementwiseKernels.AddInto(y, a); break;
                    case "copy": ElementwiseKernels.Copy(a, y); break;
                    case "clear": ElementwiseKernels.Clear(y); break;
                }
                Assert.True(y.AsSpan().SequenceEqual(expected), $"{op} on {n} floats at {threads} threads differs");
            });
    }

    [Fact]
    public void GeluBackwardWriteIsTheBackwardIntoZeros()
    {
        int n = 3 * ElementwiseKernels.ParallelChunkElements + 5;
        var x = RefMath.RandomFloats(n, 51, -5, 5);
        var dy = RefMath.RandomFloats(n, 52, -1, 1);
        var added = new float[n];
        GeluKernels.Backward(added, x, dy);
        var written = RefMath.RandomFloats(n, 53, -1, 1); // whatever the buffer held
        GeluKernels.Backward(written, x, dy, accumulate: false);
        Assert.True(written.AsSpan().SequenceEqual(added));
        Array.Clear(added);
        GeluTanhKernels.Backward(added, x, dy);
        GeluTanhKernels.Backward(written, x, dy, accumulate: false);
        Assert.True(written.AsSpan().SequenceEqual(added));
    }

    [Fact]
    public void InPlaceAddUsesTheUpdatedOutput()
    {
        var a = RefMath.RandomFloats(1000, 21, -1, 1);
        var y = (float[])a.Clone();
        ElementwiseKernels.Add(y, a, y); // y = y + a with y aliasing its first input
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i] + a[i], y[i]);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 13)]
    [InlineData(2048, 512)]
    [InlineData(1000, 37)]
    [InlineData(300, 384)]
    [InlineData(64, 200)]
    [InlineData(33, 129)]
    [InlineData(600, 392)] // split over the threads, at a column count that is not a multiple of 8 vectors
    public void BiasGradientMatchesTheLoops(int rows, int cols)
    {
        var dy = RefMath.RandomFloats(rows * cols, 32, -1, 1);
        var db0 = RefMath.RandomFloats(cols, 33, -1, 1);
        var expected = (float[])db0.Clone();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) expected[c] += dy[r * cols + c];
        foreach (int threads in new[] { 1, 2, 3 })
            EngineThreads.With(threads, () =>
            {
                var db = (float[])db0.Clone();
                BiasKernels.Backward(db, dy, rows, cols);
                Assert.True(db.AsSpan().SequenceEqual(expected), $"bias gradient at {threads} threads differs from rows summed in order");
            });
    }

    // Small path, blocked with partial tiles and two k blocks, split over the threads, k = 0, accumulating.
    [Theory]
    [InlineData(3, 5, 4, 0f)]
    [InlineData(100, 70, 300, 0f)]
    [InlineData(100, 70, 300, 1f)]
    [InlineData(2048, 128, 128, 0f)]
    [InlineData(37, 513, 64, 0f)]
    [InlineData(5, 7, 0, 1f)]
    public void GemmWithBiasIsTheProductThenTheBias(int m, int n, int k, float beta)
    {
        var a = RefMath.RandomFloats(m * k, 41, -1, 1);
        var b = RefMath.RandomFloats(n * k, 42, -1, 1);
        var bias = RefMath.RandomFloats(n, 43, -1, 1);
        var c0 = RefMath.RandomFloats(m * n, 44, -1, 1);
        foreach (int threads in new[] { 1, 2 })
            EngineThreads.With(threads, () =>
            {
                var expected = (float[])c0.Clone();
                Gemm.Sgemm(false, true, m, n, k, 1f, a, k, b, k, beta, expected, n);
                for (int r = 0; r < m; r++)
                    for (int j = 0; j < n; j++) expected[r * n + j] += bias[j];
                var c = (float[])c0.Clone();
                Gemm.Sgemm(false, true, m, n, k, 1f, a, k, b, k, beta, c, n, bias);
                Assert.True(c.AsSpan().SequenceEqual(expected), $"{m}x{n}x{k} beta {beta} at {threads} threads");
            });
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, true, m, n, k, 1f, a, k, b, k, beta, new float[m * n], n, new float[n + 1]));
    }

    [Fact]
    public void LinearWithNoInputFeaturesGivesTheBias()
    {
        var x = Tensor.Zeros(3, 0);
        var w = Tensor.Zeros(4, 0);
        var b = Tensor.FromArray([1f, 2f, 3f, 4f], 4);
        var y = Functional.Linear(x, w, b);
        Assert.Equal(new[] { 3, 4 }, y.Shape);
        for (int r = 0; r < 3; r++) Assert.Equal(new[] { 1f, 2f, 3f, 4f }, y.Data.Slice(r * 4, 4).ToArray());
        Assert.Equal(new[] { 3, 0 }, Functional.Linear(Tensor.Zeros(3, 2), Tensor.Zeros(0, 2), Tensor.Zeros(0)).Shape);
    }

    [Fact]
    public void BiasKernelsRejectWrongLengths()
    {
        var e = Assert.Throws<ArgumentException>(() => BiasKernels.Backward(new float[4], new float[12], 4, 3));
        Assert.Contains("dbias", e.Message);
        Assert.Throws<ArgumentException>(() => BiasKernels.Backward(new float[3], new float[10], 4, 3));
    }
}
