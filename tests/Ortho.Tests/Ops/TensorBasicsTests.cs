using FsCheck;
using FsCheck.Fluent;
using Ortho;
using Xunit;

namespace Ortho.Tests.Ops;

public class TensorBasicsTests
{
    [Fact]
    public void CreationAndIndexing()
    {
        var a = Tensor.Arange(0, 6).Reshape(2, 3);
        Assert.Equal(new[] { 2, 3 }, a.Shape);
        Assert.Equal(5f, a[1, 2]);
        Assert.Equal(new[] { 0f, 0f }, Tensor.Zeros(2).ToArray());
        Assert.Equal(new[] { 7f, 7f }, Tensor.Full(7f, 2).ToArray());
        Assert.Throws<ArgumentException>(() => Tensor.FromArray([1f, 2f, 3f], 2, 2));
        Assert.Throws<IndexOutOfRangeException>(() => a[2, 0]);
        Assert.Contains("[2, 3]", a.ToString());
        Assert.Contains("5", a.ToString());
    }

    [Fact]
    public void ReshapeIsAViewAndInfersOneDimension()
    {
        var a = Tensor.Arange(0, 12);
        var b = a.Reshape(3, -1);
        Assert.Equal(new[] { 3, 4 }, b.Shape);
        b.Data[5] = 100f;
        Assert.Equal(100f, a.Data[5]);
        Assert.Throws<ArgumentException>(() => a.Reshape(5, -1));
        Assert.Throws<ArgumentException>(() => a.Reshape(-1, -1));
    }

    [Fact]
    public void RngIsCounterBasedAndReproducible()
    {
        var a = new Rng(42); var b = new Rng(42);
        var x = new float[1000]; var y = new float[1000];
        a.FillNormal(x); b.FillNormal(y.AsSpan(0, 400)); b.FillNormal(y.AsSpan(400));
        Assert.Equal(x, y); // split fills equal one fill: independent of how work is divided
        double mean = x.Average(v => (double)v), var = x.Average(v => (double)v * v) - mean * mean;
        Assert.InRange(mean, -0.1, 0.1);
        Assert.InRange(var, 0.85, 1.15);
        var t = new float[2000];
        new Rng(1).FillTruncatedNormal(t, 0f, 1f, -2f, 2f);
        Assert.All(t, v => Assert.InRange(v, -2f, 2f));
        Assert.NotEqual(new Rng(1).NextUInt64(), new Rng(2).NextUInt64());
    }

    [Fact]
    public void BroadcastingMatchesANaiveLoop()
    {
        var a = Tensor.RandN(new Rng(1), [2, 1, 4]);
        var b = Tensor.RandN(new Rng(2), [3, 1]);
        var c = a * b;
        Assert.Equal(new[] { 2, 3, 4 }, c.Shape);
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++)
            Assert.Equal(a[i, 0, k] * b[j, 0], c[i, j, k]);
    }

    [Fact]
    public void ReductionsPermuteSliceConcat()
    {
        var a = Tensor.Arange(0, 24).Reshape(2, 3, 4);
        Assert.Equal(276f, a.Sum().Item());
        Assert.Equal(new[] { 12f, 15f, 18f, 21f, 48f, 51f, 54f, 57f }, a.Sum(1).ToArray());
        Assert.Equal(new[] { 3f, 7f, 11f, 15f, 19f, 23f }, a.Max(-1).ToArray());
        var p = a.Permute(2, 0, 1);
        Assert.Equal(new[] { 4, 2, 3 }, p.Shape);
        Assert.Equal(a[1, 2, 3], p[3, 1, 2]);
        var s = a.Slice(2, 1, 2);
        Assert.Equal(a[1, 0, 2], s[1, 0, 1]);
        var c = Tensor.Concat([a.Slice(1, 0, 1), a.Slice(1, 1, 2)], 1);
        Assert.Equal(a.ToArray(), c.ToArray());
    }

    [Fact]
    public void MatMulMatchesNaiveLoopsAtOddSizes() =>
        Prop.ForAll(Gen.Choose(1, 9).Three().ToArbitrary(), Gen.Elements(false, true).Two().ToArbitrary(), (dims, flags) =>
        {
            var (m, n, k) = dims;
            var (ta, tb) = flags;
            var a = Tensor.RandN(new Rng(3), ta ? [k, m] : [m, k]);
            var b = Tensor.RandN(new Rng(4), tb ? [n, k] : [k, n]);
            var c = Tensor.MatMul(a, b, ta, tb);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double acc = 0;
                    for (int p = 0; p < k; p++) acc += (double)(ta ? a[p, i] : a[i, p]) * (tb ? b[j, p] : b[p, j]);
                    if (Math.Abs(acc - c[i, j]) > 1e-4 * (1 + Math.Abs(acc))) return false;
                }
            return true;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void BroadcastAddIsCommutativeAndShapesAgree() =>
        Prop.ForAll(Gen.Choose(1, 4).Three().ToArbitrary(), Gen.Elements(true, false).Three().ToArbitrary(), (dims, ones) =>
        {
            var (d0, d1, d2) = dims;
            int[] sa = [d0, ones.Item1 ? 1 : d1, d2];
            int[] sb = [ones.Item2 ? 1 : d1, ones.Item3 ? 1 : d2];
            var a = Tensor.RandN(new Rng(5), sa);
            var b = Tensor.RandN(new Rng(6), sb);
            var x = a + b; var y = b + a;
            return x.Shape.SequenceEqual(y.Shape) && x.ToArray().SequenceEqual(y.ToArray())
                && x.Shape.SequenceEqual(new[] { d0, Math.Max(sa[1], sb[0]), Math.Max(d2, sb[1]) });
        }).QuickCheckThrowOnFailure();
}
