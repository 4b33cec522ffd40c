using Ortho.Activations;
using Ortho.Analysis.Variance;
using Xunit;

namespace Ortho.Tests.Analysis;

/// <summary>
/// The variance-through-depth experiment: measured second moments against the closed forms (within 4 standard errors),
/// the LeCun / Kaiming gains, GPT sites, determinism, and the init variants.
/// </summary>
public class VarianceTests
{
    private static MlpVarianceOptions OneLayer(string act) => new() { Activation = act, Depth = 1, Width = 512, Samples = 512, Seed = 3 };

    private static void Within(double measured, double error, double expected, double k = 4) =>
        Assert.True(Math.Abs(measured - expected) <= k * error, $"measured {measured} +- {error}, expected {expected} (distance {Math.Abs(measured - expected) / error:F1} se)");

    // One layer of x ~ N(0, 1) through LeCun weights: pre ~ N(0, 1), so E[f^2] and E[f'^2] are the closed forms at sigma = 1.
    [Theory]
    [InlineData("gelu")]
    [InlineData("relu")]
    [InlineData("hermite:3")]
    [InlineData("fourier:5")]
    [InlineData("tropical:5")]
    [InlineData("tropical_rational:3")]
    public void OneLayerMatchesTheClosedFormWithinFourStandardErrors(string act)
    {
        var p = MlpVariance.Measure(OneLayer(act));
        var pre = p.Sites.Single(s => s.Site == "act_in");
        var post = p.Sites.Single(s => s.Site == "act_out");
        Assert.Equal(1.0, pre.PredictedForward);
        Within(pre.Forward.Value, pre.Forward.Error, 1.0);
        Within(post.Forward.Value, post.Forward.Error, post.PredictedForward!.Value);
        Within(pre.Backward.Value, pre.Backward.Error, pre.PredictedBackward!.Value);
        Assert.Equal(p.TopGradient.Value, post.Backward.Value, 12); // the top site receives r itself
    }

    [Theory]
    [InlineData("hermite:3", 0.91970, 0.91970)]   // e^-1 (1 + 1 + 1/2)
    [InlineData("fourier:5", 1.3073, 0.96495)]
    [InlineData("tropical:5", 1.39915, 1.0)]      // 1 + 2/n^2 + 4/(n sqrt(2 pi)); sqrt(2) ReLU' squared
    [InlineData("relu", 0.5, 0.5)]
    public void PredictionsAtUnitInputAreThePapersMoments(string act, double m2, double d2)
    {
        var post = MlpVariance.Measure(OneLayer(act) with { Width = 8, Samples = 4 }).Sites.Single(s => s.Site == "act_out");
        var pre = MlpVariance.Measure(OneLayer(act) with { Width = 8, Samples = 4 }).Sites.Single(s => s.Site == "act_in");
        Assert.Equal(m2, post.PredictedForward!.Value, 5e-5);
        Assert.Equal(d2, pre.PredictedBackward!.Value, 5e-5);
    }

    // ReLU halves E[x^2]: Kaiming weights (gain 2) keep E[pre^2] at 2 through depth, LeCun weights halve it per layer.
    [Theory]
    [InlineData(WeightInit.Kaiming, 2.0, 1.0)]
    [InlineData(WeightInit.LeCun, 1.0, 0.5)]
    public void KaimingKeepsReluSecondMomentAndLeCunHalvesIt(WeightInit weights, double first, double perLayer)
    {
        var p = MlpVariance.Measure(new MlpVarianceOptions { Activation = "relu", Depth = 6, Width = 256, Samples = 256, Repeats = 8, Weights = weights, Seed = 1 });
        foreach (var s in p.At("act_in"))
        {
            double expected = first * Math.Pow(perLayer, s.Layer - 1);
            Assert.Equal(expected, s.PredictedForward!.Value, 12);
            Within(s.Forward.Value, s.Forward.Error, expected);
            // backward: E[g_pre^2] = (gain/2)^(depth - layer) / 2 ... from E[g_top^2] = 1 through relu' (1/2) and the weights (gain)
            double gain = weights == WeightInit.Kaiming ? 2 : 1;
            double back = Math.Pow(gain / 2, 6 - s.Layer) * 0.5;
            Assert.Equal(back, s.PredictedBackward!.Value, 12);
            Within(s.Backward.Value, s.Backward.Error, back);
        }
        Assert.NotNull(p.Sites[0].Forward.RepeatError);
    }

    // Hermite-3's init: q = 1 sits just below an unstable fixed point. At large degree the init tends to
    // f(x) = e^{x - 1} (the generating function sum_k He_k(x)/k! = e^{x - 1/2}), whose map is q -> e^{2q - 2}: slope 2 at 1.
    [Fact]
    public void VarianceMapFixedPoints()
    {
        var h3 = MlpVariance.Measure(OneLayer("hermite:3") with { Width = 8, Samples = 4 }).Map!;
        Assert.Equal(0.91970, h3.ValueAtOne, 4);
        Assert.Equal(2, h3.FixedPoints.Count);
        Assert.True(h3.FixedPoints[0].Stable);
        Assert.False(h3.FixedPoints[1].Stable);
        Assert.InRange(h3.FixedPoints[1].Q, 1.0, 1.2);
        foreach (var f in h3.FixedPoints)
            Assert.Equal(f.Q, VarianceMap.At(sigma => ActivationRegistry.Get("hermite").Moments(ActivationRegistry.Get("hermite").Initial(3), sigma), 1, f.Q), 9);

        var h8 = MlpVariance.Measure(OneLayer("hermite:8") with { Width = 8, Samples = 4 }).Map!;
        Assert.Equal(2, h8.SlopeAtOne, 2);
        double low = 0.2;
        for (int i = 0; i < 100; i++) low = Math.Exp(2 * low - 2); // the stable root of q = e^{2q - 2}
        Assert.Equal(low, h8.FixedPoints[0].Q, 2);

        var relu = MlpVariance.Measure(OneLayer("relu") with { Width = 8, Samples = 4, Weights = WeightInit.Kaiming }).Map!;
        Assert.Equal(1, relu.SlopeAtOne, 6);
        Assert.Empty(relu.FixedPoints); // the identity: every q is kept
    }

    [Fact]
    public void SameSeedSameNumbersOtherSeedOtherNumbers()
    {
        var o = new MlpVarianceOptions { Activation = "fourier:3", Depth = 3, Width = 32, Samples = 16, Seed = 5 };
        var a = VarianceJson.Write([MlpVariance.Measure(o)]);
        Assert.Equal(a, VarianceJson.Write([MlpVariance.Measure(o)]));
        Assert.NotEqual(a, VarianceJson.Write([MlpVariance.Measure(o with { Seed = 6 })]));
        // every activation sees the same weights and inputs for a seed
        Assert.Equal(MlpVariance.Measure(o).Sites[0].Forward, MlpVariance.Measure(o with { Activation = "gelu" }).Sites[0].Forward);
    }

    [Fact]
    public void SamplingErrorIsTheStandardErrorOfTheRowMeans()
    {
        float[] data = [1, 1, 2, 2, 0, 0, 3, 3]; // row means of x^2: 1, 4, 0, 9
        var e = SecondMoment.OfRows(data, 4);
        Assert.Equal(3.5, e.Value, 12);
        double sd = Math.Sqrt(((1 - 3.5) * (1 - 3.5) + (4 - 3.5) * (4 - 3.5) + 3.5 * 3.5 + 5.5 * 5.5) / 3);
        Assert.Equal(sd / 2, e.SamplingError, 12);
        var c = MomentEstimate.Combine([new(1, 0.3, null), new(3, 0.4, null)]);
        Assert.Equal(2, c.Value, 12);
        Assert.Equal(0.25, c.SamplingError, 12);
        Assert.Equal(1, c.RepeatError!.Value, 12);
        Assert.Throws<ArgumentException>(() => SecondMoment.OfRows(data, 3));
    }

    [Fact]
    public void GptSitesAndPredictions()
    {
        var p = GptVariance.Measure(new GptVarianceOptions { Activation = "hermite:3", Layers = 2, Heads = 2, Embd = 64, Block = 16, Samples = 8, Seed = 2 });
        Assert.Equal(["act_in", "act_out", "residual", "act_in", "act_out", "residual"], p.Sites.Select(s => s.Site));
        Assert.Equal(p.TopGradient.Value, p.Sites[^1].Backward.Value, 12);
        foreach (var s in p.At("act_in"))
        {
            // c_fc(LayerNorm(x)): fan_in x E[W^2] = 64 x 0.02^2 = 0.0256 up to the draw of W
            Assert.InRange(s.PredictedForward!.Value, 0.0256 * 0.95, 0.0256 * 1.05);
            Assert.InRange(s.Forward.Value / s.LocalForward!.Value, 0.85, 1.15);
            Assert.InRange(s.Backward.Value / s.LocalBackward!.Value, 0.85, 1.15);
        }
        foreach (var s in p.At("act_out")) Assert.InRange(s.Forward.Value / s.LocalForward!.Value, 0.9, 1.1);
        var tokens = new byte[4000];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = (byte)('a' + i * 7 % 26);
        var q = GptVariance.Measure(new GptVarianceOptions { Activation = "gelu", Layers = 1, Heads = 2, Embd = 32, Block = 16, Samples = 4 }, tokens);
        Assert.Equal("tokens", q.Settings["input"]);
        Assert.InRange(q.Input.Value, 2 * 0.02 * 0.02 * 0.7, 2 * 0.02 * 0.02 * 1.3); // wte + wpe, each N(0, 0.02^2)
    }

    [Fact]
    public void InitVariantsChangeTheCoefficientsTheyName()
    {
        var h = ActivationRegistry.Get("hermite").Initial(3);
        Assert.All(InitVariant.Ones.Apply(h)["coefficients"], v => Assert.Equal(1f, v));
        var u = InitVariant.Unscaled.Apply(h)["coefficients"];
        Assert.Equal(h["coefficients"][3] * 6, u[3], 5);
        Assert.Equal(h["coefficients"][0], u[0]);
        var f = ActivationRegistry.Get("fourier").Initial(4);
        var fu = InitVariant.Unscaled.Apply(f);
        Assert.Equal(f["coefficients"][3] * 24, fu["coefficients"][3], 4);
        Assert.Equal(f["fundamental"][0], fu["fundamental"][0]);
        Assert.Equal(f["phases"], fu["phases"]);
        var fs = InitVariant.Parse("scale:2").Apply(f);
        Assert.Equal(2 * f["fundamental"][0], fs["fundamental"][0], 6);
        Assert.Equal(1f, InitVariant.Ones.Apply(f)["fundamental"][0]);
        Assert.Equal(h["coefficients"], InitVariant.Default.Apply(h)["coefficients"]);

        // all Hermite coefficients 1: E[f^2] = sum_k 1/k!, E[f'^2] = sum_{k>=1} 1/(k-1)!
        var o = OneLayer("hermite:3") with { Width = 8, Samples = 4, Init = InitVariant.Ones };
        var p = MlpVariance.Measure(o);
        Assert.Equal(1 + 1 + 0.5 + 1.0 / 6, p.Sites[1].PredictedForward!.Value, 5);
        Assert.Equal(1 + 1 + 0.5, p.Sites[0].PredictedBackward!.Value, 5);

        Assert.Contains("not tropical", Assert.Throws<ArgumentException>(() => InitVariant.Ones.Apply(ActivationRegistry.Get("tropical").Initial(3))).Message);
        Assert.Throws<ArgumentException>(() => MlpVariance.Measure(OneLayer("gelu") with { Init = InitVariant.Ones }));
        Assert.Contains("scale:S", Assert.Throws<FormatException>(() => InitVariant.Parse("twice")).Message);
        Assert.Equal("scale:0.5", InitVariant.Parse("SCALE:0.5").ToString());
    }
}
