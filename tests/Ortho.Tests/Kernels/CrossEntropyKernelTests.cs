using Ortho.Kernels;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Kernels;

public class CrossEntropyKernelTests
{
    public static IEnumerable<object[]> FixtureCases() => NnFixtureCases.Find("cross_entropy_mean");

    [Theory]
    [MemberData(nameof(FixtureCases))]
    public void MatchesFixture(string file, int index, string op)
    {
        var c = NnFixtureCases.Load(file, index);
        var shape = NnFixtureCases.InputShape(c, "logits");
        int vocab = shape[^1], rows = shape.Aggregate(1, (a, b) => a * b) / vocab;
        var logits = NnFixtureCases.Input(c, "logits");
        var attrs = c.GetProperty("attrs");
        var targets = attrs.GetProperty("targets").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        int ignore = attrs.TryGetProperty("ignore_index", out var ig) ? ig.GetInt32() : -100;
        var lse = new float[rows];
        float loss = CrossEntropyKernels.Forward(default, lse, logits, targets, rows, vocab, ignore);
        Close.All(new[] { loss }, NnFixtureCases.Tensor(c, "y"), $"{file}#{index} {op} loss");
        float dloss = NnFixtureCases.Tensor(c, "dy")[0];
        var dlogits = new float[logits.Length];
        CrossEntropyKernels.Backward(dlogits, logits, lse, targets, rows, vocab, dloss, ignore);
        Close.All(dlogits, NnFixtureCases.Grad(c, "logits"), $"{file}#{index} {op} dlogits");
        // Written into a buffer nothing has reached yet: every element, ignored rows included (NaN-filled first).
        var written = new float[logits.Length];
        Array.Fill(written, float.NaN);
        CrossEntropyKernels.Backward(written, logits, lse, targets, rows, vocab, dloss, ignore, accumulate: false);
        Close.All(written, NnFixtureCases.Grad(c, "logits"), $"{file}#{index} {op} dlogits written");
    }

    [Fact]
    public void WrittenGradientEqualsAccumulatedIntoZerosWithIgnoredRows()
    {
        int rows = 5, vocab = 37;
        var x = new float[rows * vocab];
        new Ortho.Rng(3).FillNormal(x, 0f, 2f);
        var t = new[] { 4, -100, 36, 0, -100 };
        var lse = new float[rows];
        CrossEntropyKernels.Forward(default, lse, x, t, rows, vocab);
        var added = new float[x.Length];
        CrossEntropyKernels.Backward(added, x, lse, t, rows, vocab, 0.7f);
        var written = new float[x.Length];
        Array.Fill(written, float.NaN);
        CrossEntropyKernels.Backward(written, x, lse, t, rows, vocab, 0.7f, -100, accumulate: false);
        Assert.Equal(added, written);
        var allIgnored = new[] { -100, -100, -100, -100, -100 };
        Array.Fill(written, float.NaN);
        CrossEntropyKernels.Backward(written, x, lse, allIgnored, rows, vocab, 1f, -100, accumulate: false);
        Assert.All(written, v => Assert.Equal(0f, v));
    }

    private static double MeanLossRef(double[] x, int[] t, int rows, int vocab, int ignore, double[]? perRow = null)
    {
        double sum = 0;
        int count = 0;
        for (int r = 0; r < rows; r++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (int i = 0; i < vocab; i++) m = Math.Max(m, x[r * vocab + i]);
            for (int i = 0; i < vocab; i++) s += Math.Exp(x[r * vocab + i] - m);
            double l = t[r] == ignore ? 0 : m + Math.Log(s) - x[r * vocab + t[r]];
            if (perRow != null) perRow[r] = l;
            if (t[r] == ignore) continue;
            sum += l;
            count++;
        }
        return sum / count;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 7)]
    [InlineData(6, 33)]
    [InlineData(3, 300)]
    public void MeanLossAndGradientMatchDoubleReferenceAndFiniteDifferences(int rows, int vocab)
    {
        var x = RefMath.RandomFloats(rows * vocab, rows * 31 + vocab, -3, 5);
        var rng = new Random(rows + vocab);
        var t = Enumerable.Range(0, rows).Select(_ => rng.Next(vocab)).ToArray();
        if (rows > 2) t[1] = -100; // an ignored row
        var losses = new float[rows];
        var lse = new float[rows];
        float mean = CrossEntropyKernels.Forward(losses, lse, x, t, rows, vocab);
        var xd = RefMath.ToDouble(x);
        var perRow = new double[rows];
        double refMean = MeanLossRef(xd, t, rows, vocab, -100, perRow);
        Assert.True(Math.Abs(mean - refMean) <= 1e-6 * (1 + Math.Abs(refMean)), $"mean {mean} vs {refMean}");
        Close.All(Array.ConvertAll(losses, v => (double)v), perRow, "losses", atol: 1e-6, rtol: 1e-6);

        const float dloss = 0.7f;
        var dx = RefMath.RandomFloats(x.Length, 5, -1, 1);
        var dx0 = (float[])dx.Clone();
        CrossEntropyKernels.Backward(dx, x, lse, t, rows, vocab, dloss);
        for (int i = 0; i < x.Length; i++)
        {
            double fd = dloss * RefMath.CentralDifference(v => MeanLossRef(v, t, rows, vocab, -100), xd, i);
            double got = dx[i] - (double)dx0[i];
            Assert.True(Math.Abs(got - fd) <= 1e-6 + 1e-5 * Math.Abs(fd), $"dlogits[{i}]: got {got:R}, finite difference {fd:R}");
        }
        if (rows > 2)
            for (int i = 0; i < vocab; i++) Assert.Equal(dx0[vocab + i], dx[vocab + i]); // ignored row untouched
    }

    [Fact]
    public void PerRowBackwardMatchesMeanBackward()
    {
        int rows = 5, vocab = 19;
        var x = RefMath.RandomFloats(rows * vocab, 3, -3, 3);
        var t = new[] { 0, 18, -100, 7, 7 };
        var lse = new float[rows];
        CrossEntropyKernels.Forward(default, lse, x, t, rows, vocab);
        var a = new float[x.Length];
        var b = new float[x.Length];
        CrossEntropyKernels.Backward(a, x, lse, t, rows, vocab, 2f);
        CrossEntropyKernels.BackwardPerRow(b, x, lse, t, Enumerable.Repeat(2f / 4, rows).ToArray(), rows, vocab);
        Assert.Equal(a, b);
    }

    [Fact]
    public void AllIgnoredGivesNaNAndNoGradient()
    {
        var x = new float[] { 1, 2, 3, 4 };
        var t = new[] { -100, -100 };
        var lse = new float[2];
        Assert.True(float.IsNaN(CrossEntropyKernels.Forward(default, lse, x, t, 2, 2)));
        var dx = new float[4];
        CrossEntropyKernels.Backward(dx, x, lse, t, 2, 2, 1f);
        Assert.All(dx, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void BadTargetsThrowNamingTheRowAndValue(int bad)
    {
        int rows = 4, vocab = 11;
        var x = new float[rows * vocab];
        var t = new[] { 0, 10, bad, 3 };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropyKernels.Forward(default, new float[rows], x, t, rows, vocab));
        Assert.Contains("row 2", ex.Message);
        Assert.Contains(bad.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropyKernels.Backward(new float[rows * vocab], x, new float[rows], t, rows, vocab, 1f));
        Assert.Contains("row 2", ex.Message);
    }
}
