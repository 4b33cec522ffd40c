using System.Text;
using Ortho.Activations;
using Ortho.Inference;
using Ortho.Models;
using Ortho.NN;
using Ortho.Surgery;
using Ortho.Tests.IO;
using Ortho.Tests.Viz;
using Ortho.Training;
using Xunit;

namespace Ortho.Tests.Surgery;

/// <summary>Swapping the GELUs of trained models for learnable activations fitted to each layer's own inputs.</summary>
public class ActivationSwapTests
{
    private const int Batch = 2, Block = 16;

    /// <summary>
    /// A byte GPT trained for 40 steps on a repeating text, so its weights are shaped by training; its matrices start at
    /// N(0, 0.3) rather than GPT-2's N(0, 0.02), so that, as in a model trained for long, the activations' inputs span
    /// a few units and the MLPs move the outputs.
    /// </summary>
    internal static Gpt TrainedGpt(int layers = 2, string activation = "gelu")
    {
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("the cat sat on the mat. a dog ran to the log. ", 40)));
        var recipe = new LmRecipe
        {
            Train = LmRecipe.DefaultTrain with { Steps = 40, Batch = 4, Warmup = 5, Lr = 1e-3f, Seed = 5 },
            Block = Block, Layers = layers, Heads = 2, Embd = 16, Activation = activation, EvalBatches = 1,
        };
        var task = new LmTask(recipe, text, text);
        var rng = new Rng(6);
        foreach (var p in task.Gpt.Parameters())
            if (p.Rank >= 2) rng.FillNormal(p.Data, 0f, 0.3f);
        using (var tmp = new TempDirectory()) new Trainer(task, tmp.Path).Run();
        task.Gpt.Eval();
        return task.Gpt;
    }

    private static int[] Tokens(ulong seed = 7)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, Batch * Block).Select(_ => "abcdeghilmnorst .".ToCharArray()[rng.NextInt(17)] + 0).ToArray();
    }

    private static Func<Module, IReadOnlyList<Func<Tensor>>> GptBatches(int[] x) => m => [() => ((Gpt)m).Forward(x, Batch, Block)];

    // What each block's activation receives, computed by hand: c_fc(ln_2(h)) after the block's attention.
    private static List<float[]> MlpInputs(Gpt g, int[] x)
    {
        using var _ = Tensor.NoGrad();
        var t = g.Transformer;
        var h = t.Wte.Forward(x, Batch, Block) + t.Wpe.Weight.Slice(0, 0, Block);
        var inputs = new List<float[]>();
        foreach (var b in t.H)
        {
            h = h + b.Attn.Forward(b.Ln1.Forward(h));
            var u = b.Mlp.CFc.Forward(b.Ln2.Forward(h));
            inputs.Add(u.ToArray());
            h = h + b.Mlp.CProj.Forward(b.Mlp.Act.Forward(u));
        }
        return inputs;
    }

    private static float[] Outputs(Func<Tensor> forward)
    {
        using var _ = Tensor.NoGrad();
        return forward().ToArray();
    }

    private static double Rms(float[] a, float[] b) => Math.Sqrt(a.Select((v, i) => ((double)v - b[i]) * ((double)v - b[i])).Average());

    [Fact]
    public void ClassicActivationInputsAreWhatEachGeluReceives()
    {
        var model = TrainedGpt();
        var x = Tokens();
        var stats = ActivationInputs.Record(model, [() => model.Forward(x, Batch, Block)], classic: true);
        Assert.Equal(["transformer.h.0.mlp.act", "transformer.h.1.mlp.act"], stats.Keys.Order());
        var hand = MlpInputs(model, x);
        for (int l = 0; l < 2; l++)
        {
            var s = stats[$"transformer.h.{l}.mlp.act"];
            Assert.Equal(hand[l].Length, s.Count);
            Assert.Equal(hand[l].Average(v => (double)v), s.Mean, 1e-5);
            Assert.Equal(hand[l].Min(), s.Min, 1e-5);
            Assert.Equal(hand[l].Max(), s.Max, 1e-5);
        }
        Assert.NotEqual(stats["transformer.h.0.mlp.act"].Mean, stats["transformer.h.1.mlp.act"].Mean);
        Assert.All(model.NamedModules(), m => Assert.False(m.Module.HasForwardHooks)); // the hooks are gone afterwards
        Assert.Empty(ActivationInputs.Record(model, [() => model.Forward(x, Batch, Block)])); // parameter-free ones only when asked
    }

    [Theory]
    [InlineData("hermite:8")]
    [InlineData("hermite:6")]
    public void SwappedGptOutputsStayWithinWhatTheFitErrorMoves(string spec)
    {
        var model = TrainedGpt();
        var x = Tokens();
        var r = ActivationSwap.Swap(model, GptBatches(x), new SwapOptions { Activation = ActivationSpec.Parse(spec), Clamp = ClampMode.Off });
        var swapped = Assert.IsType<Gpt>(r.Model);
        Assert.Equal(spec, swapped.Config.Activation);
        Assert.Equal(2, r.Layers.Count);

        // Each layer's reported error is the RMS of f - GELU over the values that layer actually received.
        var inputs = MlpInputs(model, x);
        for (int l = 0; l < 2; l++)
        {
            var layer = r.Layers[l];
            double sq = inputs[l].Sum(u => Math.Pow(ActivationKernels.Evaluate(layer.Parameters, u, out _) - ClassicalActivations.GeluErf(u), 2));
            Assert.Equal(Math.Sqrt(sq / inputs[l].Length), layer.Errors.RmsError, 0.05 * layer.Errors.RmsError + 1e-7);
            Assert.True(layer.Errors.RmsError < 0.05, $"{layer.Module}: rms error {layer.Errors.RmsError}");
        }

        // The outputs move by about what errors of that size move them: shifting every layer's f by its RMS error
        // (a_0 += error) gives the scale; the swap's change must stay within a small multiple of it.
        var before = Outputs(() => model.Forward(x, Batch, Block));
        var after = Outputs(() => swapped.Forward(x, Batch, Block));
        var shifted = new Gpt(swapped.Config, new Rng(0));
        shifted.LoadStateDict(swapped.StateDict());
        for (int l = 0; l < 2; l++) ((HermiteActivation)shifted.Transformer.H[l].Mlp.Act).Coefficients.Data[0] += (float)r.Layers[l].Errors.RmsError;
        double scale = Rms(Outputs(() => shifted.Forward(x, Batch, Block)), after);
        double change = Rms(after, before);
        Assert.InRange(change, 1e-9, 3 * scale);
        Assert.Equal(change, r.OutputChangeRms, 1e-6);
        // Every other weight is the original's.
        foreach (var (key, t) in model.StateDict()) Assert.Equal(t.ToArray(), swapped.StateDict()[key].ToArray());
    }

    [Fact]
    public void EachLayerIsFittedToItsOwnInputs()
    {
        var model = TrainedGpt();
        // Layer 1's expansion scaled up: its inputs spread three times as wide as layer 0's.
        var fc = model.Transformer.H[1].Mlp.CFc;
        foreach (var p in new[] { fc.Weight, fc.Bias! }) System.Numerics.Tensors.TensorPrimitives.Multiply(p.Data, 3f, p.Data);
        var x = Tokens();
        var options = new SwapOptions { Activation = ActivationSpec.Parse("hermite:6"), Clamp = ClampMode.Off };
        var r = ActivationSwap.Swap(model, GptBatches(x), options);
        var stats = ActivationInputs.Record(model, [() => model.Forward(x, Batch, Block)], classic: true);
        Assert.True(r.Layers[1].Inputs.Std > 2 * r.Layers[0].Inputs.Std);
        var fits = new List<ActivationParameters>();
        foreach (var layer in r.Layers)
        {
            // The same fit done by hand on this layer's histogram.
            var s = stats[layer.Module];
            var grid = Enumerable.Range(0, options.GridSize).Select(i => s.Min + (s.Max - s.Min) * i / (options.GridSize - 1)).ToArray();
            var own = new FitGrid(FitTarget.GeluErf, grid, s.Histogram(s.Min, s.Max, options.GridSize));
            var p = ActivationFitter.Fit(HermiteFamily(), 6, FitTarget.GeluErf, own, options.FitOptions).Parameters;
            Assert.Equal(Values(p), Values(layer.Parameters));
            fits.Add(p);
        }
        Assert.NotEqual(Values(fits[0]), Values(fits[1]));
        // Layer 0's coefficients on layer 1's inputs fit clearly worse than layer 1's own.
        var wide = new FitGrid(FitTarget.GeluErf,
            Enumerable.Range(0, 2001).Select(i => r.Layers[1].Inputs.Min + (r.Layers[1].Inputs.Max - r.Layers[1].Inputs.Min) * i / 2000).ToArray(),
            r.Layers[1].Inputs.Histogram(r.Layers[1].Inputs.Min, r.Layers[1].Inputs.Max, 2001));
        Assert.True(wide.Errors(fits[0]).RmsError > 3 * wide.Errors(fits[1]).RmsError);
    }

    private static float[] Values(ActivationParameters p) => p.Names.SelectMany(n => p[n]).ToArray();

    private static ActivationFamily HermiteFamily() => ActivationSpec.Parse("hermite:6").Family;

    [Fact]
    public void SwappedConvNeXtOutputsStayWithinWhatTheFitErrorMoves()
    {
        var model = new ConvNeXt(new ConvNeXtConfig(1, 5, [1, 1], [8, 16], 2, "gelu", 8), new Rng(3));
        var rng = new Rng(4);
        foreach (var (name, p) in model.NamedParameters())
            if (name.EndsWith("gamma", StringComparison.Ordinal)) p.Data.Fill(1f); // layer scales as a trained model's, so the blocks count
            else if (p.Rank >= 2) rng.FillNormal(p.Data, 0f, 0.4f);
        model.Eval();
        var images = Tensor.FromArray(Enumerable.Range(0, 6 * 64).Select(_ => (float)rng.NextDouble()).ToArray(), 6, 1, 8, 8);
        Func<Module, IReadOnlyList<Func<Tensor>>> batches = m => [() => ((ConvNeXt)m).Forward(images)];
        var r = ActivationSwap.Swap(model, batches, new SwapOptions { Activation = ActivationSpec.Parse("hermite:8"), Clamp = ClampMode.Off });
        var swapped = Assert.IsType<ConvNeXt>(r.Model);
        Assert.Equal(["stages.0.0.act", "stages.1.0.act"], r.Layers.Select(l => l.Module));
        Assert.Equal("hermite:8", swapped.Config.Activation);
        var before = Outputs(() => model.Forward(images));
        var after = Outputs(() => swapped.Forward(images));
        var shifted = new ConvNeXt(swapped.Config, new Rng(0));
        shifted.LoadStateDict(swapped.StateDict());
        for (int s = 0; s < 2; s++) ((HermiteActivation)((ConvNeXtBlock)shifted.Stages[s][0]).Act).Coefficients.Data[0] += (float)r.Layers[s].Errors.RmsError;
        double scale = Rms(Outputs(() => shifted.Forward(images)), after);
        Assert.InRange(Rms(after, before), 1e-9, 3 * scale);
    }

    [Fact]
    public void TheClampIsAppliedAsAskedOrWhereThePolynomialFitsTheRangeWorse()
    {
        var model = TrainedGpt();
        var x = Tokens();
        SwapResult Swap(ClampMode mode, string spec = "hermite:4", double tolerance = 0.05) =>
            ActivationSwap.Swap(model, GptBatches(x), new SwapOptions { Activation = ActivationSpec.Parse(spec), Clamp = mode, ClampTolerance = tolerance });
        var on = Swap(ClampMode.On);
        Assert.Equal("hermite:4+clamp", on.Activation.ToString());
        Assert.All(on.Layers, l => Assert.True(l.Clamped));
        Assert.True(((HermiteActivation)((Gpt)on.Model).Transformer.H[0].Mlp.Act).IsClamped);
        Assert.Equal("hermite:4+clamp", Swap(ClampMode.Auto, "hermite:4+clamp").Activation.ToString());
        var off = Swap(ClampMode.Off);
        Assert.Equal("hermite:4", off.Activation.ToString());
        Assert.All(off.Layers, l => Assert.Null(l.OtherMaxError));

        // Auto: clamp exactly when some layer's plain fit is off by more than the tolerance somewhere in its range and
        // the clamped fit is off by less there.
        foreach (double tolerance in new[] { 1e-9, 0.05, 1e9 })
        {
            var auto = Swap(ClampMode.Auto, tolerance: tolerance);
            bool clamped = auto.Activation.Options == "clamp";
            bool expected = auto.Layers.Any(l =>
            {
                double plain = clamped ? l.OtherMaxError!.Value : l.Errors.MaxError, clamp = clamped ? l.Errors.MaxError : l.OtherMaxError!.Value;
                return plain > tolerance && clamp < plain;
            });
            Assert.Equal(expected, clamped);
            Assert.Contains(clamped ? "clamp applied" : "no clamp", auto.ClampReason);
        }
        Assert.Equal("hermite:4", Swap(ClampMode.Auto, tolerance: 1e9).Activation.ToString());
        Assert.Equal("fourier:4", Swap(ClampMode.Auto, "fourier:4").Activation.ToString()); // no clamp to apply
    }

    [Fact]
    public void BadSwapsSayWhatIsWrong()
    {
        var x = Tokens();
        SwapResult Swap(Module m, string spec, string fit = "gelu", ClampMode clamp = ClampMode.Auto) =>
            ActivationSwap.Swap(m, GptBatches(x), new SwapOptions { Activation = ActivationSpec.Parse(spec), Fit = fit, Clamp = clamp });
        var hermite = GenerationTests.TinyGpt("hermite:3");
        Assert.Contains("no gelu activation to swap: its activation is hermite:3", Assert.Throws<ArgumentException>(() => Swap(hermite, "hermite:8")).Message);
        var gelu = GenerationTests.TinyGpt("gelu");
        Assert.Contains("no relu activation", Assert.Throws<ArgumentException>(() => Swap(gelu, "hermite:8", fit: "relu")).Message);
        Assert.Contains("cannot fit to 'swish2'", Assert.Throws<ArgumentException>(() => Swap(gelu, "hermite:8", fit: "swish2")).Message);
        Assert.Contains("not a learnable activation", Assert.Throws<ArgumentException>(() => Swap(gelu, "relu")).Message);
        Assert.Contains("fourier has no soft clamp", Assert.Throws<ArgumentException>(() => Swap(gelu, "fourier:4", clamp: ClampMode.On)).Message);
        Assert.Contains("give one of them", Assert.Throws<ArgumentException>(() => Swap(gelu, "hermite:8+clamp", clamp: ClampMode.Off)).Message);
        Assert.Contains("degree must be in", Assert.Throws<ArgumentOutOfRangeException>(() => ActivationSpec.Parse("hermite:99")).Message);
        Assert.Contains("Unknown activation 'hermit:8'", Assert.Throws<FormatException>(() => ActivationSpec.Parse("hermit:8")).Message);
        var mlp = new Mlp(new MlpConfig(2, [4], 1, ["gelu"]), new Rng(1));
        Assert.Contains("rebuilds GPT and ConvNeXt", Assert.Throws<ArgumentException>(() =>
            ActivationSwap.Swap(mlp, _ => [], new SwapOptions { Activation = ActivationSpec.Parse("hermite:8") })).Message);
    }

    [Fact]
    public void InitialWeightsAreCopiedWithTheBlockCropped()
    {
        var source = GenerationTests.TinyGpt("hermite:3", block: 16);
        var target = new Gpt(source.Config with { Block = 8 }, new Rng(9));
        InitialWeights.Copy(source, target);
        var s = source.StateDict();
        foreach (var (key, t) in target.StateDict())
            Assert.Equal(key == "transformer.wpe.weight" ? s[key].ToArray()[..(8 * 16)] : s[key].ToArray(), t.ToArray());
        Assert.Contains("longer than the 16 positions", Assert.Throws<ArgumentException>(() =>
            InitialWeights.Copy(source, new Gpt(source.Config with { Block = 32 }, new Rng(0)))).Message);
        Assert.Contains("layers is 2, the run's 1", Assert.Throws<ArgumentException>(() =>
            InitialWeights.Copy(source, new Gpt(source.Config with { Layers = 1 }, new Rng(0)))).Message);
        Assert.Contains("activation is hermite:3, the run's gelu", Assert.Throws<ArgumentException>(() =>
            InitialWeights.Copy(source, new Gpt(source.Config with { Activation = "gelu" }, new Rng(0)))).Message);
        Assert.Contains("cannot start a ConvNeXt", Assert.Throws<ArgumentException>(() =>
            InitialWeights.Copy(source, new ConvNeXt(ConvNeXtConfig.FashionMnist(), new Rng(0)))).Message);
    }

    [Fact]
    public void AnLmRecipeOfGpt2sVocabularyRoundTripsAndBytesStayAsTheyWere()
    {
        var bytes = new LmRecipe();
        Assert.DoesNotContain("Vocab", bytes.ToConfigJson());
        Assert.Equal(256, LmRecipe.FromConfigJson(bytes.ToConfigJson()).Vocab);
        var gpt2 = new LmRecipe { Vocab = 50257, Activation = "hermite:8" };
        Assert.Contains("\"Vocab\":50257", gpt2.ToConfigJson());
        Assert.Equal(50257, LmRecipe.FromConfigJson(gpt2.ToConfigJson()).Model.Vocab);
        Assert.Contains("Vocab", Assert.Throws<ArgumentException>(() => (bytes with { Vocab = 1000 }).ValidateModel()).Message);
    }
}
