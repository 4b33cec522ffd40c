using Ortho.Activations;
using Ortho.Inference;
using Xunit;

namespace Ortho.Tests.Surgery;

/// <summary>Fits weighted by a measured input histogram: the histogram, the grid of given weights, its errors.</summary>
public class WeightedFitTests
{
    private static float[] Normal(int n, double mean, double std, ulong seed)
    {
        var rng = new Rng(seed);
        var v = new float[n];
        rng.FillNormal(v, (float)mean, (float)std);
        return v;
    }

    [Fact]
    public void TheHistogramKeepsTheSamplesMassAndMean()
    {
        var values = Normal(20_000, 0.3, 1.1, 1);
        var s = ActivationInputStats.From(values);
        var w = s.Histogram(s.Min, s.Max, 301);
        // Linear binning splits each value between its two neighbours: total mass and mean are exact.
        Assert.Equal(1.0, w.Sum(), 1e-9);
        double step = (s.Max - s.Min) / 300, mean = w.Select((v, i) => v * (s.Min + i * step)).Sum();
        Assert.Equal(values.Average(v => (double)v), mean, 1e-6);
        // Over half the range only about half the mass.
        Assert.InRange(s.Histogram(s.Min, 0.3, 101).Sum(), 0.45, 0.55);
        // Over the sample's own range, whatever the rounding of its ends: no weight below zero.
        for (ulong seed = 10; seed < 60; seed++)
        {
            var t = ActivationInputStats.From(Normal(100, 0, 1 + seed % 7, seed));
            Assert.True(t.Histogram(t.Min, t.Max, 2001).Min() >= 0, $"seed {seed}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Histogram(-1, 1, 1));
        Assert.Throws<ArgumentException>(() => s.Histogram(1, -1, 10));
    }

    [Fact]
    public void TheExtremesAreExactWhenTheSampleIsStrided()
    {
        var values = Normal(ActivationInputs.MaxSamples * 3 + 1, 0, 1, 2);
        values[1] = 9.5f; // not on the stride
        values[2] = -8.25f;
        var s = ActivationInputStats.From(values);
        Assert.True(s.SampleCount <= ActivationInputs.MaxSamples);
        Assert.Equal(9.5, s.Max);
        Assert.Equal(-8.25, s.Min);
        Assert.Equal(values.LongLength, s.Count);
    }

    [Fact]
    public void AFitWeightedWhereTheInputsFallIsTighterThere()
    {
        // Inputs around +1 (N(1, 0.3^2)) on a range of [-4, 4]: the histogram-weighted fit beats the uniform one there.
        var s = ActivationInputStats.From(Normal(50_000, 1, 0.3, 3));
        var x = Enumerable.Range(0, 2001).Select(i => -4 + 8.0 * i / 2000).ToArray();
        var weighted = new FitGrid(FitTarget.GeluErf, x, s.Histogram(-4, 4, 2001));
        var family = ActivationSpec.Parse("hermite:4").Family;
        var fitted = ActivationFitter.Fit(family, 4, FitTarget.GeluErf, weighted).Parameters;
        var uniform = ActivationFitter.Fit(family, 4, FitTarget.GeluErf, new FitOptions { Lo = -4, Hi = 4 }).Parameters;
        var e = weighted.Errors(fitted);
        Assert.True(e.RmsError < 0.2 * weighted.Errors(uniform).RmsError, $"weighted {e.RmsError}, uniform {weighted.Errors(uniform).RmsError}");
        // The errors by hand: weighted RMS, and the largest over the points of positive weight.
        double sum = 0, max = 0, total = weighted.W.ToArray().Sum();
        for (int i = 0; i < x.Length; i++)
        {
            double d = ActivationKernels.Evaluate(fitted, x[i], out _) - ClassicalActivations.GeluErf(x[i]);
            sum += weighted.W[i] * d * d;
            if (weighted.W[i] > 0) max = Math.Max(max, Math.Abs(d));
        }
        Assert.Equal(1.0, total, 1e-12);
        Assert.Equal(Math.Sqrt(sum), e.RmsError, 1e-12);
        Assert.Equal(max, e.MaxError, 1e-12);
    }

    [Fact]
    public void AGridOfGivenWeightsChecksThem()
    {
        var x = Enumerable.Range(0, 10).Select(i => (double)i).ToArray();
        var ones = Enumerable.Repeat(1.0, 10).ToArray();
        Assert.Contains("at least 8 points", Assert.Throws<ArgumentException>(() => new FitGrid(FitTarget.GeluErf, x[..4], ones[..4])).Message);
        Assert.Contains("9 weights for 10 points", Assert.Throws<ArgumentException>(() => new FitGrid(FitTarget.GeluErf, x, ones[..9])).Message);
        Assert.Contains("increasing", Assert.Throws<ArgumentException>(() => new FitGrid(FitTarget.GeluErf, x.Reverse().ToArray(), ones)).Message);
        Assert.Contains("non-negative", Assert.Throws<ArgumentException>(() => new FitGrid(FitTarget.GeluErf, x, ones.Select(v => -v).ToArray())).Message);
        Assert.Contains("all zero", Assert.Throws<ArgumentException>(() => new FitGrid(FitTarget.GeluErf, x, new double[10])).Message);
    }
}
