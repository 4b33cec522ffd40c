using System.Numerics;
using Ortho.Activations;
using Ortho.Analysis;
using Ortho.Models;
using Xunit;

namespace Ortho.Tests.Analysis;

/// <summary>Exact linear-region counts of piecewise-linear (tropical, tropical-rational, ReLU) MLPs.</summary>
public class RegionTests
{
    /// <summary>A small MLP with the given activations and randomized activation parameters.</summary>
    internal static Mlp RandomPlMlp(int inputs, int[] hidden, string[] acts, ulong seed)
    {
        var rng = new Rng(seed);
        var model = new Mlp(new MlpConfig(inputs, hidden, 1, acts), rng);
        foreach (var a in model.Activations)
            if (a is TropicalActivation t) rng.FillUniform(t.Coefficients.Data, -1f, 1f);
        return model;
    }

    [Theory]
    [InlineData("tropical:3")]
    [InlineData("tropical:6")]
    [InlineData("tropical_rational:2")]
    [InlineData("tropical_rational:4")]
    [InlineData("relu")]
    public void PiecewiseLinearFormMatchesTheActivation(string spec)
    {
        var rng = new Rng(3);
        var act = ActivationSpec.Parse(spec).Create(rng);
        if (act is TropicalActivation t) rng.FillUniform(t.Coefficients.Data, -1f, 1f);
        var g = PiecewiseLinear.For(act);
        for (int j = 1; j < g.Pieces; j++)
        {
            Assert.True(g.Breaks[j - 1] > (j >= 2 ? g.Breaks[j - 2] : g.Breaks[j - 1] - 1));
            Assert.NotEqual(g.Slopes[j - 1], g.Slopes[j]); // every kink is a real kink
            // Continuity at the kink.
            Assert.Equal(g.Slopes[j - 1] * g.Breaks[j - 1] + g.Intercepts[j - 1], g.Slopes[j] * g.Breaks[j - 1] + g.Intercepts[j]);
        }
        for (int i = 0; i < 200; i++)
        {
            double z = rng.NextDouble() * 8 - 4;
            double expected = act is LearnableActivation la ? la.Evaluate(z, out _) : Math.Max(z, 0);
            Assert.Equal(expected, g.Evaluate(QSqrt2.FromDouble(z)).ToDouble(), 1e-12);
        }
    }

    [Fact]
    public void DifferenceDropsKinksThatCancel()
    {
        var f = PiecewiseLinear.MaxAffine([0, 1, 2], [0, 0, -1], QSqrt2.One); // kinks at 0 and 1
        var g = PiecewiseLinear.MaxAffine([0, 1], [0, 0], QSqrt2.One);        // kink at 0
        var d = PiecewiseLinear.Difference(f, g);
        Assert.Equal(2, d.Pieces);
        Assert.Equal((QSqrt2)1, d.Breaks.Single());
        Assert.Equal(1, PiecewiseLinear.Difference(f, f).Pieces);
    }

    [Fact]
    public void OneReluLayerOnALineAndInAPlaneGivesTheArrangementCounts()
    {
        // Three ReLU neurons whose kinks are three lines in general position: 7 regions in a box holding all their
        // crossings; along the x0 axis the kinks are at x0 = -1, 0.5, 2 (4 pieces).
        var model = new Mlp(new MlpConfig(2, [3], 1, ["relu"]), new Rng(0));
        float[] w = [1, 0, 1, 1, 1, -1];
        float[] b = [1, -0.5f, -2];
        w.CopyTo(model.Linears[0].Weight.Data);
        b.CopyTo(model.Linears[0].Bias!.Data);
        var net = PiecewiseLinearNetwork.FromMlp(model);
        var line = LineRegions.Compute(net, [-4, 0], [4, 0]);
        Assert.Equal(4, line.Regions);
        Assert.Equal(new QSqrt2[] { (QSqrt2)3 / 8, (QSqrt2)9 / 16, (QSqrt2)3 / 4 }, line.Boundaries);
        var slice = SliceRegions.Compute(net, 0, 1, (-8, 8), (-8, 8));
        Assert.Equal(7, slice.Count);
        Assert.Equal(RegionBound.Of(2, [3], [2]), new BigInteger(7)); // the bound is attained in general position
        Assert.Equal(256, slice.Regions.Sum(r => r.Area), 1e-9);
    }

    public static TheoryData<int[], string[]> Nets() => new()
    {
        { [4], ["tropical:3"] },
        { [3, 3], ["tropical:2", "tropical:3"] },
        { [3, 2], ["tropical_rational:2", "relu"] },
        { [3, 3], ["relu", "tropical:2"] },
    };

    [Theory]
    [MemberData(nameof(Nets))]
    public void SliceCountIsExactAgainstDenseSampling(int[] hidden, string[] acts)
    {
        var model = RandomPlMlp(2, hidden, acts, seed: (ulong)hidden.Sum() + (ulong)acts[0].Length);
        var net = PiecewiseLinearNetwork.FromMlp(model);
        var slice = SliceRegions.Compute(net, 0, 1, (-3, 3), (-3, 3));
        // Regions are distinct, tile the square, and sampling never finds more of them.
        Assert.Equal(slice.Count, slice.Regions.Select(r => string.Join(",", r.Pattern)).Distinct().Count());
        Assert.Equal(36, slice.Regions.Sum(r => r.Area), 1e-9);
        int coarse = slice.CountBySampling(net, 24);
        int fine = slice.CountBySampling(net, 300);
        Assert.True(coarse <= fine && fine <= slice.Count, $"sampled {coarse} / {fine}, exact {slice.Count}");
        // Every region that is not a sliver holds a point of the fine grid, so the fine count misses only slivers.
        double cell = 6.0 / 300;
        int big = slice.Regions.Count(r => r.Area > 4 * cell * cell && MinWidth(r) > 2 * cell);
        Assert.True(fine >= big, $"fine grid found {fine} regions, {big} regions are wider than two grid cells");
        Assert.True(slice.Count <= RegionBound.ForTrained(net, 2));
        Assert.True(RegionBound.ForTrained(net, 2) <= RegionBound.ForArchitecture(model, 2));
        // Each region's pattern is the network's pattern at an interior point.
        foreach (var r in slice.Regions.Where(r => r.Area > 1e-6))
        {
            var v = r.VerticesDouble();
            double u = v.Average(p => p.U), w = v.Average(p => p.V);
            Assert.Equal(r.Pattern, net.PatternAt([u, w]));
        }
    }

    /// <summary>A crude thickness: twice the area over the longest edge.</summary>
    private static double MinWidth(SliceRegion r)
    {
        var v = r.VerticesDouble();
        double longest = 0;
        for (int i = 0; i < v.Length; i++)
        {
            var (a, b) = (v[i], v[(i + 1) % v.Length]);
            longest = Math.Max(longest, Math.Sqrt((a.U - b.U) * (a.U - b.U) + (a.V - b.V) * (a.V - b.V)));
        }
        return 2 * r.Area / longest;
    }

    [Fact]
    public void SmallNetSliceMatchesAFineGridExactly()
    {
        var model = RandomPlMlp(2, [3, 2], ["tropical:2", "tropical:2"], seed: 5);
        var net = PiecewiseLinearNetwork.FromMlp(model);
        var slice = SliceRegions.Compute(net, 0, 1, (-2, 2), (-2, 2));
        Assert.True(slice.Count >= 4, $"only {slice.Count} regions: the test net is too simple");
        Assert.Equal(slice.Count, slice.CountBySampling(net, 500));
    }

    [Theory]
    [MemberData(nameof(Nets))]
    public void LineWalkMatchesDenseSamplingAndTheSlice(int[] hidden, string[] acts)
    {
        var model = RandomPlMlp(2, hidden, acts, seed: (ulong)hidden.Sum() + (ulong)acts[0].Length);
        var net = PiecewiseLinearNetwork.FromMlp(model);
        var slice = SliceRegions.Compute(net, 0, 1, (-3, 3), (-3, 3));
        var slicePatterns = slice.Regions.Select(r => string.Join(",", r.Pattern)).ToHashSet();
        var rng = new Rng(9);
        for (int trial = 0; trial < 4; trial++)
        {
            double[] a = [rng.NextDouble() * 6 - 3, -3], b = [rng.NextDouble() * 6 - 3, 3];
            var line = LineRegions.Compute(net, a, b);
            Assert.Equal(line.Regions - 1, line.Boundaries.Count);
            Assert.True(line.LinearPieces <= line.Regions);
            Assert.True(line.Regions <= RegionBound.ForTrained(net, 1));
            // Patterns along the line: distinct (regions are convex) and regions of the slice.
            var keys = line.Patterns.Select(p => string.Join(",", p)).ToList();
            Assert.Equal(keys.Count, keys.Distinct().Count());
            Assert.All(keys, k => Assert.Contains(k, slicePatterns));
            // Dense sampling sees the same sequence, minus regions shorter than its step.
            var sampled = new List<string>();
            const int n = 20000;
            for (int i = 0; i <= n; i++)
            {
                double t = (i + 0.5) / (n + 1);
                var k = string.Join(",", net.PatternAt([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]));
                if (sampled.Count == 0 || sampled[^1] != k) sampled.Add(k);
            }
            Assert.True(sampled.Count <= line.Regions);
            Assert.Equal(sampled, keys.Where(sampled.Contains).ToList());
            var ends = line.Boundaries.Select(x => x.ToDouble()).Prepend(0).Append(1).ToList();
            int shorter = Enumerable.Range(0, line.Regions).Count(i => ends[i + 1] - ends[i] < 2.0 / n);
            Assert.True(sampled.Count >= line.Regions - shorter, $"sampled {sampled.Count}, exact {line.Regions}, {shorter} shorter than the step");
        }
    }

    [Fact]
    public void TropicalNetworkIsExactInQSqrt2()
    {
        var model = RandomPlMlp(2, [3, 3], ["tropical:3", "tropical:2"], 4);
        var net = PiecewiseLinearNetwork.FromMlp(model);
        var rng = new Rng(1);
        for (int i = 0; i < 10; i++)
        {
            double[] x = [rng.NextDouble() * 4 - 2, rng.NextDouble() * 4 - 2];
            var exact = net.Evaluate(x.Select(QSqrt2.FromDouble).ToArray())[0];
            Assert.Equal(MlpReference.EvaluateExact(model, x.Select(QSqrt2.FromDouble).ToArray())[0], exact);
            Assert.False(exact.B.IsZero); // the sqrt(2) scale is carried exactly
            var enclosure = MlpReference.Enclose(model, x)[0];
            Assert.InRange(exact.ToDouble(), enclosure.Lo - 1e-15, enclosure.Hi + 1e-15);
            Assert.Equal(model.ForwardDouble(x)[0], exact.ToDouble(), 1e-12);
        }
    }

    [Theory]
    [InlineData(1, new[] { 4 }, new[] { 2 }, 5)]            // 1 + 4
    [InlineData(2, new[] { 4 }, new[] { 2 }, 11)]           // 1 + 4 + 6
    [InlineData(2, new[] { 3 }, new[] { 4 }, 37)]           // 1 + 3*3 + 3*9
    [InlineData(1, new[] { 3, 5 }, new[] { 3, 2 }, 42)]     // (1 + 6)(1 + 5)
    [InlineData(2, new[] { 1, 5 }, new[] { 2, 2 }, 12)]     // d_2 = min(2, 1, 5) = 1: 2 * 6
    public void BoundFormula(int dim, int[] widths, int[] pieces, long expected) =>
        Assert.Equal(new BigInteger(expected), RegionBound.Of(dim, widths, pieces));

    [Fact]
    public void RefusesNonPiecewiseLinearActivations()
    {
        var model = new Mlp(new MlpConfig(2, [3, 3], 1, ["tropical:2", "hermite:3"]), new Rng(0));
        var e = Assert.Throws<ArgumentException>(() => PiecewiseLinearNetwork.FromMlp(model));
        Assert.Contains("hidden layer 1 (layers.3)", e.Message);
        Assert.Contains("hermite:3", e.Message);
    }
}
