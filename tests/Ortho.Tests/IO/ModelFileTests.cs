using Ortho.Activations;
using Ortho.IO;
using Ortho.Models;
using Ortho.NN;
using Ortho.Optim;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.IO;

/// <summary>
/// Models move between Ortho and torchortho: every layout <see cref="ModelFile"/> writes reads back with strict keys and
/// the same outputs, for every activation kind (with the clamp and with Hermite's optional normalization_term), and
/// PyTorch-written files are read by inferring the architecture from their keys and shapes.
/// </summary>
public class ModelFileTests
{
    public static TheoryData<string> Activations() =>
        ["gelu", "hermite:3", "hermite:4+clamp", "fourier:3", "tropical:3", "tropical_rational:2"];

    // Moves every parameter off its init, so a file that lost or mixed up a value shows in the outputs.
    private static void Perturb(Module m, ulong seed)
    {
        var rng = new Rng(seed);
        foreach (var p in m.Parameters())
            for (int i = 0; i < p.Length; i++) p.Data[i] += 0.05f * (float)(rng.NextDouble() - 0.5);
    }

    private static float[] GptLogits(Gpt g) => g.Forward([1, 5, 9, 2, 7, 3], 2, 3).ToArray();

    private static float[] ConvLogits(ConvNeXt c) => c.Forward(Tensor.FromArray(Enumerable.Range(0, 2 * 16 * 16).Select(i => MathF.Sin(i * 0.37f)).ToArray(), 2, 1, 16, 16)).ToArray();

    private static void SameTensors(Module expected, Module actual)
    {
        var a = expected.StateDict();
        var b = actual.StateDict();
        Assert.Equal(a.Keys.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
        foreach (var (k, t) in a)
        {
            Assert.Equal(t.Shape, b[k].Shape);
            Assert.True(t.Data.SequenceEqual(b[k].Data), $"{k} differs");
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void AGptRoundTripsThroughBothLayoutsWithStrictKeysAndTheSameOutputs(string activation)
    {
        var gpt = new Gpt(new GptConfig(40, 8, 2, 2, 16, activation), new Rng(3));
        Perturb(gpt, 4);
        if (gpt.Transformer.H[0].Mlp.Act is HermiteActivation h) h.HasNormalizationTerm = true; // torchortho's use_numba layout
        using var tmp = new TempDirectory();
        var source = tmp.File("ortho.safetensors");
        StateDictFile.Save(gpt, source, ModelFile.OrthoMetadata(gpt));
        var ortho = ModelFile.Load(source);
        Assert.Equal(ModelFileSource.Ortho, ortho.Source);
        ortho.Save(tmp.File("torch.safetensors"), ModelFileLayout.Torchortho);

        var peerFile = SafeTensorsFile.Read(tmp.File("torch.safetensors"));
        Assert.False(peerFile.Metadata.ContainsKey("config"));
        Assert.Equal("pt", peerFile.Metadata["format"]);
        Assert.Equal(ActivationSpec.Parse(activation).ToPeerName(), peerFile.Metadata["activation"]);
        Assert.DoesNotContain("lm_head.weight", peerFile.Names); // the tied head is stored once, as the peer's fixtures do

        var torch = ModelFile.Load(tmp.File("torch.safetensors"));
        Assert.Equal(ModelFileSource.PyTorch, torch.Source);
        Assert.Empty(torch.Unknown);
        var back = Assert.IsType<Gpt>(torch.Model);
        Assert.Equal(gpt.Config with { Activation = ActivationSpec.Parse(activation).ToString() }, back.Config);
        SameTensors(gpt, back);
        Assert.Equal(GptLogits(gpt), GptLogits(back));

        torch.Save(tmp.File("again.safetensors"), ModelFileLayout.Ortho);
        var again = Assert.IsType<Gpt>(ModelFile.Load(tmp.File("again.safetensors")).Model);
        SameTensors(gpt, again);
        Assert.Equal(GptLogits(gpt), GptLogits(again));
    }

    [Theory]
    [InlineData("hermite:3+clamp")]
    [InlineData("tropical:3")]
    [InlineData("fourier:2")]
    public void AConvNeXtRoundTripsToo(string activation)
    {
        var net = new ConvNeXt(new ConvNeXtConfig(1, 10, [1, 0, 2], [8, 16, 32], 2, activation, 16), new Rng(5));
        Perturb(net, 6);
        using var tmp = new TempDirectory();
        StateDictFile.Save(net, tmp.File("a.safetensors"), ModelFile.OrthoMetadata(net));
        ModelFile.Load(tmp.File("a.safetensors")).Save(tmp.File("b.safetensors"), ModelFileLayout.Torchortho);
        var torch = ModelFile.Load(tmp.File("b.safetensors"), new ModelFileHints { ImageSize = 16 });
        var back = Assert.IsType<ConvNeXt>(torch.Model);
        Assert.Equal([1, 0, 2], back.Config.Depths);
        Assert.Equal(ActivationSpec.Parse(activation).ToString(), back.Config.Activation);
        SameTensors(net, back);
        Assert.Equal(ConvLogits(net), ConvLogits(back));
    }

    [Fact]
    public void AnMlpRoundTripsWithMixedActivations()
    {
        var mlp = new Mlp(new MlpConfig(3, [6, 5, 4], 2, ["hermite:2+clamp", "relu", "tropical_rational:2"]), new Rng(7));
        Perturb(mlp, 8);
        using var tmp = new TempDirectory();
        mlp.Save(tmp.File("mlp.safetensors")); // Mlp's own file: the config under "config"
        var ortho = ModelFile.Load(tmp.File("mlp.safetensors"));
        Assert.Equal("mlp", ortho.Architecture);
        ortho.Save(tmp.File("torch.safetensors"), ModelFileLayout.Torchortho);
        Assert.Equal("(hermiteclamp2, relu, tropical_rational2)", SafeTensorsFile.Read(tmp.File("torch.safetensors")).Metadata["activations"]);
        var back = Assert.IsType<Mlp>(ModelFile.Load(tmp.File("torch.safetensors")).Model);
        Assert.Equal(["hermite:2+clamp", "relu", "tropical_rational:2"], back.Config.Activations);
        SameTensors(mlp, back);
        var x = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => 0.3f * i - 1.5f).ToArray(), 4, 3);
        Assert.Equal(mlp.Forward(x).ToArray(), back.Forward(x).ToArray());
        // Without metadata the parameter-free activation is the one thing the weights cannot tell.
        StateDictFile.Save(mlp, tmp.File("plain.safetensors"));
        var plain = ModelFile.Load(tmp.File("plain.safetensors"));
        Assert.Equal(["activation"], plain.Unknown);
        Assert.Contains("hidden [6, 5, 4]", plain.Describe());
    }

    /// <summary>Every peer fixture: read as PyTorch wrote it, written in Ortho's layout and back in torchortho's, tensor bytes unchanged.</summary>
    [Theory]
    [MemberData(nameof(FixtureWeights))]
    public void PeerFixturesSurviveBothConversionsByteForByte(string weights)
    {
        string path = Path.Combine(Fixtures.Directory, weights);
        var peer = SafeTensorsFile.Read(path);
        var loaded = ModelFile.Load(path, new ModelFileHints { ImageSize = 16 });
        Assert.Equal(ModelFileSource.PyTorch, loaded.Source);
        using var tmp = new TempDirectory();
        loaded.Save(tmp.File("ortho.safetensors"), ModelFileLayout.Ortho);
        ModelFile.Load(tmp.File("ortho.safetensors")).Save(tmp.File("torch.safetensors"), ModelFileLayout.Torchortho);
        var ours = SafeTensorsFile.Read(tmp.File("torch.safetensors"));
        Assert.Equal(peer.Names.Order(StringComparer.Ordinal), ours.Names.Order(StringComparer.Ordinal));
        foreach (var e in peer.Entries)
        {
            Assert.Equal(e.Dtype, ours[e.Name].Dtype);
            Assert.Equal(e.Shape, ours[e.Name].Shape);
            Assert.True(e.Data.Span.SequenceEqual(ours[e.Name].Data.Span), $"{weights}: {e.Name} changed");
        }
        foreach (var (k, v) in peer.Metadata) Assert.Equal(v, ours.Metadata[k]); // the peer's own metadata, same values
    }

    public static TheoryData<string> FixtureWeights()
    {
        var d = new TheoryData<string>();
        foreach (var f in Fixtures.Files("gpt-tiny-*.safetensors").Concat(Fixtures.Files("convnext-tiny-*.safetensors"))) d.Add(Path.GetFileName(f));
        return d;
    }

    [Fact]
    public void APlainStateDictSaysWhatItsWeightsCannotTell()
    {
        var gpt = new Gpt(new GptConfig(40, 8, 3, 4, 16, "gelu"), new Rng(1));
        using var tmp = new TempDirectory();
        StateDictFile.Save(gpt, tmp.File("plain.safetensors")); // no metadata but format
        var f = ModelFile.Load(tmp.File("plain.safetensors"));
        Assert.Equal(["heads", "activation"], f.Unknown);
        Assert.Contains("heads unknown", f.Describe());
        Assert.Contains("layers 3", f.Describe());
        var e = Assert.Throws<InvalidOperationException>(() => f.Save(tmp.File("x.safetensors"), ModelFileLayout.Ortho));
        Assert.Contains("--heads", e.Message);
        var given = ModelFile.Load(tmp.File("plain.safetensors"), new ModelFileHints { Heads = 4, Activation = "gelu" });
        Assert.Empty(given.Unknown);
        given.Save(tmp.File("x.safetensors"), ModelFileLayout.Ortho);
        Assert.Equal(gpt.Config, Assert.IsType<Gpt>(ModelFile.Load(tmp.File("x.safetensors")).Model).Config);
    }

    [Fact]
    public void CheckpointsFitFilesAndBareActivationsAreRead()
    {
        using var tmp = new TempDirectory();
        // A training checkpoint (the trainer's config metadata, model under "model.").
        var recipe = new Ortho.Training.LmRecipe { Block = 8, Layers = 1, Heads = 2, Embd = 16, Activation = "hermite:4+clamp" };
        var model = Ortho.Training.ModelConfig.Create(recipe.ToConfigJson());
        Perturb(model, 9);
        Ortho.Training.Checkpoint.Save(tmp.File("checkpoint.safetensors"), model, AdamW.ForModel(model, 1e-3f, 0.1f), 3, "0",
            recipe.ToConfigJson());
        var ck = ModelFile.Load(tmp.File("checkpoint.safetensors"));
        Assert.Equal(ModelFileSource.OrthoCheckpoint, ck.Source);
        SameTensors(model, ck.Model);

        // An activation alone, as torchortho's state_dict() of one HermiteActivation(5, use_numba=True) holds it: no metadata.
        var act = new HermiteActivation(5) { HasNormalizationTerm = true };
        Perturb(act, 10);
        var w = new SafeTensorsWriter();
        StateDictFile.AddModel(w, act, "");
        w.Save(tmp.File("act.safetensors"));
        var bare = ModelFile.Load(tmp.File("act.safetensors"));
        Assert.Equal(ModelFileSource.Activation, bare.Source);
        Assert.Equal("activation hermite:5", bare.Describe());
        Assert.True(((HermiteActivation)bare.Model).HasNormalizationTerm);
        SameTensors(act, bare.Model);

        // Something else is an error that says what was expected.
        new SafeTensorsWriter().Add("encoder.weight", new float[4], [2, 2]).Save(tmp.File("other.safetensors"));
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(tmp.File("other.safetensors")));
        Assert.Contains("neither a GPT", e.Message);
    }

    [Fact]
    public void AHuggingFaceGpt2IsReadThroughTheImporterAndMovesToTorchortho()
    {
        string path = Path.Combine(Fixtures.Directory, "hf-gpt2-tiny.safetensors");
        Assert.True(File.Exists(path), $"fixture {path} is missing");
        int heads = Ortho.IO.HuggingFace.Gpt2Import.Read(path, 2).Model.Config.Heads;
        var hf = ModelFile.Load(path, new ModelFileHints { Heads = heads });
        Assert.Equal(ModelFileSource.HuggingFace, hf.Source);
        var gpt = Assert.IsType<Gpt>(hf.Model);
        using var tmp = new TempDirectory();
        hf.Save(tmp.File("torch.safetensors"), ModelFileLayout.Torchortho);
        Assert.Equal("gelu_tanh", SafeTensorsFile.Read(tmp.File("torch.safetensors")).Metadata["activation"]);
        var back = Assert.IsType<Gpt>(ModelFile.Load(tmp.File("torch.safetensors")).Model);
        SameTensors(gpt, back);
        Assert.Equal(GptLogits(gpt), GptLogits(back));
    }

    [Fact]
    public void InferenceFindsEveryRegisteredKindAndVariantFromKeysAndShapes()
    {
        foreach (var family in ActivationRegistry.Families)
            foreach (var variant in family.Variants)
                foreach (int degree in new[] { variant.MinDegree, Math.Min(variant.MaxDegree, 5) })
                {
                    var m = variant.CreateModule(degree, new Rng(1));
                    var shapes = m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
                    Assert.Equal(m.Spec, ActivationRegistry.Infer(shapes));
                }
        Assert.Null(ActivationRegistry.Infer(new Dictionary<string, int[]> { ["coefficients"] = [4], ["coeffs"] = [4, 2] })); // Hermite without its grid
        // Two kinds with the same keys: the file cannot tell them apart, and says so.
        Ortho.Tests.Export.SeriesFamily.Registered();
        Ortho.Tests.Activations.Custom.SmoothRationalFamily.Registered();
        ActivationRegistry.Register(TwinOfSeries.Instance);
        var e = Assert.Throws<ArgumentException>(() => ActivationRegistry.Infer(new Dictionary<string, int[]> { ["coefficients"] = [4] }));
        Assert.Contains("onnx_series:3", e.Message);
        Assert.Contains("twin_series:3", e.Message);
    }

    /// <summary>A kind with the same state-dict keys as <see cref="Ortho.Tests.Export.SeriesFamily"/> (only "coefficients").</summary>
    private sealed class TwinOfSeries : ActivationFamily
    {
        public static TwinOfSeries Instance { get; } = new();
        public override string Name => "twin_series";
        public override int MinDegree => 1;
        public override int MaxDegree => 4;
        public override IReadOnlyList<ActivationParameterSpec> Parameters { get; } = [new("coefficients", n => n + 1)];
        protected override void Initialize(ActivationParameters p, Rng? rng) { }
        public override void Forward(Span<float> y, ReadOnlySpan<float> x, IParameterSpans p, int degree) => throw new NotSupportedException();
        public override void Backward(Span<float> dx, IParameterSpans grads, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, IParameterSpans p, int degree,
            bool needDx, bool accumulateDx) => throw new NotSupportedException();
        public override double Evaluate(double x, IParameterSpans p, int degree, out double derivative) => throw new NotSupportedException();
    }
}
