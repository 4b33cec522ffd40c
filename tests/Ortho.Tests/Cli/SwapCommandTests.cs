using System.Text.Json;
using Ortho.Inference;
using Ortho.IO;
using Ortho.IO.HuggingFace;
using Ortho.Models;
using Ortho.Surgery;
using Ortho.Tests.Data;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Cli;

/// <summary><c>ortho swap</c> and <c>ortho train ... --init-from</c> on tiny runs over generated data.</summary>
[Collection("cli")]
public class SwapCommandTests
{
    private static string[] Data(string dir, string manifest) => ["--data-dir", dir, "--data-manifest", manifest, "--no-fetch", "--threads", "1"];

    private static string[] TrainLm(string dir, string manifest, string run, params string[] more) =>
        ["train", "lm", .. Data(dir, manifest), "--run-dir", run, "--steps", "3", "--batch", "2", "--eval-batches", "1", .. more];

    private static string[] SmallLm => ["--block", "16", "--layers", "2", "--heads", "2", "--embd", "16"];

    private static string[] TrainImage(string dir, string manifest, string run, params string[] more) =>
        ["train", "image", .. Data(dir, manifest), "--run-dir", run, "--batch", "8", .. more];

    private static float MaxDifference(string a, string b)
    {
        var x = StateDictFile.Load(a);
        var y = StateDictFile.Load(b);
        Assert.Equal(x.Keys.Order(), y.Keys.Order());
        return x.Max(kv => kv.Value.ToArray().Zip(y[kv.Key].ToArray(), (u, v) => Math.Abs(u - v)).DefaultIfEmpty(0f).Max());
    }

    [Fact]
    public void ATrainedLmIsSwappedInspectedEvaluatedAndFineTuned()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteBrown(tmp.Path);
        string run = tmp.File("gelu"), swapped = tmp.File("swapped.safetensors"), plots = tmp.File("plots");
        Cli.Succeeds(TrainLm(tmp.Path, manifest, run, [.. SmallLm, "--activation", "gelu"]));

        string output = Cli.Succeeds(["swap", run, "--activation", "hermite:8", "--out", swapped, "--batches", "2", "--plot", plots, .. Data(tmp.Path, manifest)]);
        Assert.Contains("gelu -> hermite:8", output);
        Assert.Contains("transformer.h.0.mlp.act", output);
        Assert.Contains("transformer.h.1.mlp.act", output);
        Assert.Contains("Outputs on those batches", output);
        Assert.Contains($"Wrote {swapped} (hermite:8", output);
        Assert.True(new FileInfo(Path.Combine(plots, "swap-fits.png")).Length > 1000);

        // A model like any other: its recipe with the new activation, the swap report beside it.
        var m = TrainedModel.Load(swapped);
        Assert.Equal("hermite:8", m.Gpt!.Config.Activation);
        Assert.Equal("hermite:8", m.LmRecipe!.Activation);
        Assert.Equal(16, m.LmRecipe.Block);
        using (var report = JsonDocument.Parse(SafeTensorsFile.Read(swapped).Metadata[ActivationSwap.ReportKey]))
            Assert.Equal(2, report.RootElement.GetProperty("layers").GetArrayLength());
        Assert.Contains("hermite:8", Cli.Succeeds("inspect", swapped));
        Cli.Succeeds("export", "onnx", swapped, "--out", tmp.File("swapped.onnx"), "--verify");
        Cli.Succeeds(["plot", swapped, "--out", tmp.File("act-plots"), "--data", tmp.Path, "--data-manifest", manifest, "--threads", "1"]);
        Assert.True(File.Exists(Path.Combine(tmp.File("act-plots"), "activations.png")));
        using (var eval = JsonDocument.Parse(Cli.Succeeds(["eval", swapped, .. Data(tmp.Path, manifest), "--json"])))
            Assert.True(eval.RootElement.GetProperty("nats_per_byte").GetDouble() is > 0 and < 10);
        using (var json = JsonDocument.Parse(Cli.Succeeds(["swap", run, "--activation", "fourier:5", "--out", tmp.File("f5.safetensors"), "--json", .. Data(tmp.Path, manifest)])))
            Assert.Equal("fourier:5", json.RootElement.GetProperty("activation").GetString());

        // --init-from: the architecture from the file; one step at a vanishing rate leaves the weights where they were.
        string tuned = tmp.File("tuned");
        string ft = Cli.Succeeds(["train", "lm", .. Data(tmp.Path, manifest), "--run-dir", tuned, "--init-from", swapped, "--steps", "1", "--batch", "2",
            "--eval-batches", "1", "--lr", "1e-9", "--min-lr", "0", "--warmup", "0", "--weight-decay", "0"]);
        Assert.Contains($"Weights from {swapped}", ft);
        Assert.Contains("activation hermite:8", ft);
        Assert.InRange(MaxDifference(swapped, Path.Combine(tuned, "model.safetensors")), 0f, 1e-6f);
        Assert.Equal("hermite:8", TrainedModel.Load(tuned).LmRecipe!.Activation);

        // Flags may repeat the file's architecture, not change it.
        string[] Init(params string[] more) => ["train", "lm", .. Data(tmp.Path, manifest), "--run-dir", tmp.File("bad"), "--init-from", swapped, "--steps", "1", .. more];
        Cli.Succeeds(Init("--layers", "2", "--block", "8", "--batch", "2", "--eval-batches", "1"));
        Cli.FailsWith(Init("--layers", "3"), "--layers 3 differs from the layers of --init-from", "(2)", "leave --layers out");
        Cli.FailsWith(Init("--activation", "gelu"), "--activation gelu differs", "run 'ortho swap' first");
        Cli.FailsWith(Init("--block", "32"), "--block 32 is longer than the 16 positions");
        Cli.FailsWith(["train", "image", "--run-dir", tmp.File("img"), "--init-from", swapped], "'train image' starts from a ConvNeXt");
        Cli.FailsWith(["train", "lm", "--run-dir", tmp.File("img"), "--init-from", tmp.File("none.safetensors")], "--init-from", "none.safetensors");
    }

    [Fact]
    public void AnImageModelIsSwappedAndFineTuned()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteFashionMnist(tmp.Path);
        string run = tmp.File("gelu"), swapped = tmp.File("swapped.safetensors");
        Cli.Succeeds(TrainImage(tmp.Path, manifest, run, "--steps", "2", "--activation", "gelu"));
        string output = Cli.Succeeds(["swap", run, "--activation", "hermite:6", "--clamp", "on", "--out", swapped, .. Data(tmp.Path, manifest)]);
        Assert.Contains("stages.2.1.act", output);
        Assert.Contains("hermite:6+clamp", output);
        Assert.Equal("hermite:6+clamp", TrainedModel.Load(swapped).ImageRecipe!.Model.Activation);
        string tuned = Cli.Succeeds(TrainImage(tmp.Path, manifest, tmp.File("tuned"), "--steps", "1", "--init-from", swapped));
        Assert.Contains("Done: 1 steps", tuned);
        Cli.Succeeds("export", "onnx", swapped, "--out", tmp.File("swapped.onnx"), "--verify");
        Assert.Contains($"Weights from {swapped}", tuned);
        Cli.FailsWith(TrainImage(tmp.Path, manifest, tmp.File("bad"), "--init-from", swapped, "--activation", "hermite:3"), "--activation hermite:3 differs");
    }

    [Fact]
    public void BadSwapsGetOneLineSayingWhatIsWrong()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteBrown(tmp.Path);
        string run = tmp.File("h3");
        Cli.Succeeds(TrainLm(tmp.Path, manifest, run, [.. SmallLm, "--activation", "hermite:3"]));
        string[] Swap(params string[] more) => ["swap", run, "--out", tmp.File("out.safetensors"), .. Data(tmp.Path, manifest), .. more];
        Cli.FailsWith(Swap(), "no gelu activation to swap: its activation is hermite:3");
        Cli.FailsWith(Swap("--activation", "hermit:8"), "Unknown activation 'hermit:8'");
        Cli.FailsWith(Swap("--activation", "hermite:99"), "Hermite degree must be in [1, 32]", "99");
        Cli.FailsWith(Swap("--activation", "gelu"), "'gelu' is not a learnable activation");
        Cli.FailsWith(Swap("--fit", "swish2"), "Cannot fit to 'swish2'");
        Cli.FailsWith(Swap("--clamp", "maybe"), "--clamp must be auto, on or off");
        Cli.FailsWith(Swap("--activation", "fourier:4", "--clamp", "on"), "Fourier has no soft clamp");
        Cli.FailsWith(Swap("--batches", "0"), "--batches must be at least 1");
        Cli.FailsWith(["swap", run, "--out", tmp.Path], "is a directory");
        Cli.FailsWith(["swap", tmp.File("nothing"), "--out", tmp.File("x.safetensors")], "no such file or run directory");
        // A PyTorch state dict that stores neither the heads nor which parameter-free activation it has.
        string bare = tmp.File("bare.safetensors");
        StateDictFile.Save(new Gpt(new GptConfig(256, 16, 1, 2, 16, "gelu"), new Rng(1)), bare);
        Cli.FailsWith(["swap", bare, "--out", tmp.File("out.safetensors")], "does not store its heads and activation", "'ortho convert'");
        Assert.False(File.Exists(tmp.File("out.safetensors")));
    }

    /// <summary>The README's path for a GPT-2 checkpoint: swap (tanh GELU), fine-tune on the Brown corpus in BPE tokens with a shorter block, evaluate.</summary>
    [Fact]
    public void AGpt2VocabularyModelIsSwappedAndFineTunedOnBpeTokens()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteBrown(tmp.Path);
        string imported = tmp.File("gpt2.safetensors"), swapped = tmp.File("gpt2-h8.safetensors"), tuned = tmp.File("tuned");
        var model = new Gpt(new GptConfig(50257, 16, 1, 2, 8, "gelu_tanh"), new Rng(3));
        GptModelFile.Save(model, imported, [new("imported_from", "test")]);
        string output = Cli.Succeeds(["swap", imported, "--out", swapped, "--batches", "1", .. Data(tmp.Path, manifest)]);
        Assert.Contains("gelu_tanh -> hermite:8", output);
        Assert.Equal("hermite:8", GptModelFile.Load(swapped).Config.Activation);
        string ft = Cli.Succeeds(["train", "lm", .. Data(tmp.Path, manifest), "--run-dir", tuned, "--init-from", swapped, "--block", "8", "--steps", "2",
            "--batch", "2", "--eval-batches", "1"]);
        Assert.Contains("gpt2 tokens", ft);
        Assert.Contains("Done: 2 steps", ft);
        var run = TrainedModel.Load(tuned);
        Assert.Equal(new GptConfig(50257, 8, 1, 2, 8, "hermite:8"), run.Gpt!.Config);
        Assert.Contains("gpt2 tokens", Cli.Succeeds(["eval", tuned, .. Data(tmp.Path, manifest)]));
    }
}
