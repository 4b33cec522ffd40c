using Ortho.Kernels;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Kernels;

[Collection("Ortho NN kernels: EngineSettings.Threads")]
public class LayerNormKernelTests
{
    public static IEnumerable<object[]> FixtureCases() => NnFixtureCases.Find("layer_norm");

    [Theory]
    [MemberData(nameof(FixtureCases))]
    public void MatchesFixture(string file, int index, string op)
    {
        var c = NnFixtureCases.Load(file, index);
        var shape = NnFixtureCases.InputShape(c, "x");
        int channels = shape[^1], rows = shape.Aggregate(1, (a, b) => a * b) / channels;
        var x = NnFixtureCases.Input(c, "x");
        bool hasW = c.GetProperty("inputs").TryGetProperty("w", out _), hasB = c.GetProperty("inputs").TryGetProperty("b", out _);
        var w = hasW ? NnFixtureCases.Input(c, "w") : Array.Empty<float>();
        var b = hasB ? NnFixtureCases.Input(c, "b") : Array.Empty<float>();
        float eps = c.GetProperty("attrs").TryGetProperty("eps", out var e) ? (float)e.GetDouble() : 1e-5f;
        var y = new float[x.Length];
        var mean = new float[rows];
        var rstd = new float[rows];
        LayerNormKernels.Forward(y, mean, rstd, x, w, b, rows, channels, eps);
        Close.All(y, NnFixtureCases.Tensor(c, "y"), $"{file}#{index} {op} y");

        var dy = NnFixtureCases.Tensor(c, "dy");
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        var db = new float[b.Length];
        LayerNormKernels.Backward(dx, dw, db, dy, x, w, mean, rstd, rows, channels);
        Close.All(dx, NnFixtureCases.Grad(c, "x"), $"{file}#{index} {op} dx");
        if (hasW) Close.All(dw, NnFixtureCases.Grad(c, "w"), $"{file}#{index} {op} dw");
        if (hasB) Close.All(db, NnFixtureCases.Grad(c, "b"), $"{file}#{index} {op} db");
    }

    /// <summary>sum(dy * layernorm(x; w, b)) in double.</summary>
    private static double Loss(double[] x, double[]? w, double[]? b, double[] dy, int rows, int C, double eps)
    {
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < C; i++) m += x[r * C + i];
            m /= C;
            for (int i = 0; i < C; i++) v += (x[r * C + i] - m) * (x[r * C + i] - m);
            v /= C;
            double s = 1 / Math.Sqrt(v + eps);
            for (int i = 0; i < C; i++)
            {
                double y = (x[r * C + i] - m) * s;
                if (w != null) y *= w[i];
                if (b != null) y += b[i];
                total += dy[r * C + i] * y;
            }
        }
        return total;
    }

    public static IEnumerable<object[]> Shapes()
    {
        foreach (var (rows, C) in new[] { (3, 1), (2, 7), (3, 19), (4, 40), (2, 129) })
            foreach (bool affine in new[] { true, false })
                yield return new object[] { rows, C, affine };
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBackwardMatchDoubleReferenceAndFiniteDifferences(int rows, int C, bool affine)
    {
        const float eps = 1e-5f;
        int seed = rows * 1000 + C;
        var x = RefMath.RandomFloats(rows * C, seed, -2, 3);
        var w = affine ? RefMath.RandomFloats(C, seed + 1, 0.5, 1.5) : Array.Empty<float>();
        var b = affine ? RefMath.RandomFloats(C, seed + 2, -1, 1) : Array.Empty<float>();
        var dy = RefMath.RandomFloats(rows * C, seed + 3, -1, 1);

        var y = new float[rows * C];
        var mean = new float[rows];
        var rstd = new float[rows];
        LayerNormKernels.Forward(y, mean, rstd, x, w, b, rows, C, eps);
        // Forward against double: y_i = dL/d(dy_i) of the double loss (linear in dy).
        var xd = RefMath.ToDouble(x);
        double[]? wd = affine ? RefMath.ToDouble(w) : null, bd = affine ? RefMath.ToDouble(b) : null;
        var yRef = new double[rows * C];
        var onehot = new double[rows * C];
        for (int i = 0; i < yRef.Length; i++)
        {
            onehot[i] = 1;
            yRef[i] = Loss(xd, wd, bd, onehot, rows, C, eps);
            onehot[i] = 0;
        }
        if (C > 1) Close.All(Array.ConvertAll(y, v => (double)v), yRef, "y", atol: 2e-6, rtol: 2e-6);

        // Backward accumulates onto existing values.
        var dx = RefMath.RandomFloats(rows * C, seed + 4, -1, 1);
        var dx0 = (float[])dx.Clone();
        var dw = affine ? RefMath.RandomFloats(C, seed + 5, -1, 1) : Array.Empty<float>();
        var dw0 = (float[])dw.Clone();
        var db = affine ? RefMath.RandomFloats(C, seed + 6, -1, 1) : Array.Empty<float>();
        var db0 = (float[])db.Clone();
        LayerNormKernels.Backward(dx, dw, db, dy, x, w, mean, rstd, rows, C);

        var dyd = RefMath.ToDouble(dy);
        for (int i = 0; i < x.Length; i++)
        {
            double fd = RefMath.CentralDifference(v => Loss(v, wd, bd, dyd, rows, C, eps), xd, i);
            Near(dx[i] - (double)dx0[i], fd, $"dx[{i}]");
        }
        if (!affine) return;
        for (int i = 0; i < C; i++)
        {
            double fdw = RefMath.CentralDifference(v => Loss(xd, v, bd, dyd, rows, C, eps), wd!, i);
            Near(dw[i] - (double)dw0[i], fdw, $"dw[{i}]");
            double fdb = RefMath.CentralDifference(v => Loss(xd, wd, v, dyd, rows, C, eps), bd!, i);
            Near(db[i] - (double)db0[i], fdb, $"db[{i}]");
        }
    }

    private static void Near(double got, double expected, string what)
    {
        if (!(Math.Abs(got - expected) <= 2e-5 + 1e-4 * Math.Abs(expected)))
            throw new Xunit.Sdk.XunitException($"{what}: got {got:R}, finite difference {expected:R}");
    }

    [Fact]
    public void WeightOnlyBiasOnlyAndSkippedGradients()
    {
        int rows = 5, C = 21;
        var x = RefMath.RandomFloats(rows * C, 71, -2, 2);
        var w = RefMath.RandomFloats(C, 72, 0.5, 1.5);
        var b = RefMath.RandomFloats(C, 73, -1, 1);
        var dy = RefMath.RandomFloats(rows * C, 74, -1, 1);
        var yFull = new float[rows * C];
        var mean = new float[rows];
        var rstd = new float[rows];
        LayerNormKernels.Forward(yFull, mean, rstd, x, w, b, rows, C, 1e-5f);
        var yW = new float[rows * C];
        LayerNormKernels.Forward(yW, default, default, x, w, default, rows, C, 1e-5f);
        var yB = new float[rows * C];
        LayerNormKernels.Forward(yB, default, default, x, default, b, rows, C, 1e-5f);
        for (int i = 0; i < yFull.Length; i++)
        {
            Assert.Equal(yFull[i], yW[i] + b[i % C], 5);
            Assert.Equal(yW[i] / w[i % C], yB[i] - b[i % C], 4);
        }
        // Gradients can be skipped individually; the remaining ones are unchanged.
        var dxAll = new float[rows * C];
        var dwAll = new float[C];
        var dbAll = new float[C];
        LayerNormKernels.Backward(dxAll, dwAll, dbAll, dy, x, w, mean, rstd, rows, C);
        var dwOnly = new float[C];
        LayerNormKernels.Backward(default, dwOnly, default, dy, x, w, mean, rstd, rows, C);
        Assert.Equal(dwAll, dwOnly);
        var dxOnly = new float[rows * C];
        LayerNormKernels.Backward(dxOnly, default, default, dy, x, w, mean, rstd, rows, C);
        Assert.Equal(dxAll, dxOnly);
        Assert.Throws<ArgumentException>(() => LayerNormKernels.Backward(dxOnly, new float[C], default, dy, x, default, mean, rstd, rows, C));
        Assert.Throws<ArgumentException>(() => LayerNormKernels.Forward(yFull, mean, rstd, x, new float[C + 1], b, rows, C, 1e-5f));
    }

    // Many row blocks (each with its own partial weight and bias sums, padded to whole cache lines) over 1-3 threads:
    // the sums match double references and the bits do not depend on the thread count, with either gradient alone too.
    [Theory]
    [InlineData(1500, 129)]
    [InlineData(2048, 128)]
    public void BlockPartialsMatchReferenceAtAnyThreadCount(int rows, int C)
    {
        var x = RefMath.RandomFloats(rows * C, 81, -2, 2);
        var w = RefMath.RandomFloats(C, 82, 0.5, 1.5);
        var dy = RefMath.RandomFloats(rows * C, 83, -1, 1);
        var mean = new float[rows];
        var rstd = new float[rows];
        LayerNormKernels.Forward(new float[rows * C], mean, rstd, x, w, default, rows, C, 1e-5f);
        var dwRef = new double[C];
        var dbRef = new double[C];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < C; i++)
            {
                double xhat = (x[r * C + i] - (double)mean[r]) * rstd[r];
                dwRef[i] += xhat * dy[r * C + i];
                dbRef[i] += dy[r * C + i];
            }
        float[]? dw1 = null, db1 = null;
        foreach (int threads in new[] { 1, 2, 3 })
            EngineThreads.With(threads, () =>
            {
                var dw = new float[C];
                var db = new float[C];
                LayerNormKernels.Backward(default, dw, db, dy, x, w, mean, rstd, rows, C);
                var dwOnly = new float[C];
                LayerNormKernels.Backward(default, dwOnly, default, dy, x, w, mean, rstd, rows, C);
                var dbOnly = new float[C];
                LayerNormKernels.Backward(default, default, dbOnly, dy, x, w, mean, rstd, rows, C);
                Assert.Equal(dw, dwOnly);
                Assert.Equal(db, dbOnly);
                Close.All(Array.ConvertAll(dw, v => (double)v), dwRef, $"dw at {threads} threads", atol: 1e-3, rtol: 1e-4);
                Close.All(Array.ConvertAll(db, v => (double)v), dbRef, $"db at {threads} threads", atol: 1e-3, rtol: 1e-4);
                dw1 ??= dw;
                db1 ??= db;
                Assert.Equal(dw1, dw);
                Assert.Equal(db1, db);
            });
    }

    [Fact]
    public void InPlaceForwardAndZeroRows()
    {
        int rows = 3, C = 33;
        var x = RefMath.RandomFloats(rows * C, 91, -2, 2);
        var expected = new float[rows * C];
        LayerNormKernels.Forward(expected, default, default, x, default, default, rows, C, 1e-5f);
        LayerNormKernels.Forward(x, default, default, x, default, default, rows, C, 1e-5f);
        Assert.Equal(expected, x);
        LayerNormKernels.Forward(Span<float>.Empty, default, default, ReadOnlySpan<float>.Empty, default, default, 0, C, 1e-5f);
    }
}
