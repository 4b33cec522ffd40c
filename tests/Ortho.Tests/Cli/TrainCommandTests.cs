using System.Text.Json;
using Ortho.IO;
using Ortho.Tests.Data;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Cli;

/// <summary><c>ortho train lm|image</c> and <c>ortho inspect</c> on tiny data sets written by the tests.</summary>
[Collection("cli")]
public class TrainCommandTests
{
    /// <summary>20 Brown-format files (tagged words, tab-indented lines); files 0 and 10 become validation.</summary>
    private static void WriteBrown(string dataDir)
    {
        string dir = Directory.CreateDirectory(Path.Combine(dataDir, "brown")).FullName;
        for (int f = 1; f <= 20; f++)
            File.WriteAllText(Path.Combine(dir, $"ca{f:00}"),
                string.Concat(Enumerable.Range(0, 12).Select(i => $"\n\tThe/at {(f * 7 + i) % 13}/cd cats/nns sat/vbd on/in mat/nn {i}/cd ./.\n")));
    }

    /// <summary>Fashion-MNIST-format gzipped IDX files of 8x8 images: 32 for training, 16 for test.</summary>
    private static void WriteFashionMnist(string dataDir)
    {
        string dir = Directory.CreateDirectory(Path.Combine(dataDir, "fashion-mnist")).FullName;
        var rng = new Rng(4);
        void Split(string prefix, int n)
        {
            var pixels = new byte[n * 64];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
            FashionMnistTests.WriteGz(Path.Combine(dir, prefix + "-images-idx3-ubyte.gz"), FashionMnistTests.Idx(3, [n, 8, 8], pixels));
            FashionMnistTests.WriteGz(Path.Combine(dir, prefix + "-labels-idx1-ubyte.gz"), FashionMnistTests.Idx(1, [n], Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray()));
        }
        Split("train", 32);
        Split("t10k", 16);
    }

    private static JsonElement[] Metrics(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();

    [Fact]
    public void TrainLmRunsTheRecipeAndInspectReadsTheModel()
    {
        using var tmp = new TempDirectory();
        WriteBrown(tmp.Path);
        string run = tmp.File("run");
        string output = Cli.Succeeds("train", "lm", "--data", tmp.Path, "--no-fetch", "--run-dir", run, "--threads", "1", "--steps", "3", "--batch", "2",
            "--block", "16", "--layers", "1", "--heads", "2", "--embd", "16", "--eval-batches", "1", "--activation", "hermite:3");
        Assert.Contains("Done: 3 steps", output);
        Assert.Contains("Validation loss", output);

        var m = Metrics(run);
        Assert.Equal([1, 2, 3], m.Where(e => e.TryGetProperty("loss", out _)).Select(e => e.GetProperty("step").GetInt32()));
        Assert.All(m.Where(e => e.TryGetProperty("loss", out _)), e => Assert.InRange(e.GetProperty("loss").GetDouble(), 4.0, 7.0)); // ~ln 256 at init
        Assert.True(m[^1].GetProperty("val_loss").GetDouble() > 0);
        var model = SafeTensorsFile.Read(Path.Combine(run, "model.safetensors"));
        Assert.Contains("\"Steps\":3,\"Batch\":2,\"Block\":16", model.Metadata["config"]);
        Assert.True(File.Exists(Path.Combine(run, "checkpoint.safetensors")));

        foreach (var file in new[] { "model.safetensors", "checkpoint.safetensors" })
        {
            string shown = Cli.Succeeds("inspect", Path.Combine(run, file));
            Assert.Contains("transformer.h.0.mlp.act", shown);
            Assert.Contains("hermite:3", shown);
        }
    }

    [Fact]
    public void SeedSetsTheBatchesUnlessDataSeedIsGivenAndActivationInitIsApplied()
    {
        using var tmp = new TempDirectory();
        WriteBrown(tmp.Path);
        string Config(params string[] extra)
        {
            string run = tmp.File("run" + string.Join("", extra));
            string output = Cli.Succeeds(["train", "lm", "--data", tmp.Path, "--no-fetch", "--run-dir", run, "--threads", "1", "--steps", "1", "--batch", "2",
                "--block", "16", "--layers", "1", "--heads", "2", "--embd", "16", "--eval-batches", "1", .. extra]);
            return SafeTensorsFile.Read(Path.Combine(run, "model.safetensors")).Metadata["config"] + output;
        }
        Assert.Contains("\"Seed\":1337,\"DataSeed\":1,", Config());
        Assert.Contains("\"Seed\":5,\"DataSeed\":5,", Config("--seed", "5"));
        Assert.Contains("\"Seed\":5,\"DataSeed\":7,", Config("--seed", "5", "--data-seed", "7"));
        Assert.Contains("Activation init: ones in 1 activation module(s)", Config("--activation", "hermite:3", "--activation-init", "ones"));
        Cli.FailsWith(["train", "lm", "--activation", "tropical:3", "--activation-init", "ones", "--data", tmp.Path, "--no-fetch", "--run-dir", tmp.File("bad")], "ones", "tropical");
        Assert.False(Directory.Exists(tmp.File("bad")));
    }

    [Fact]
    public void TrainImageRunsTheRecipeOnIdxFiles()
    {
        using var tmp = new TempDirectory();
        WriteFashionMnist(tmp.Path);
        string run = tmp.File("run");
        string output = Cli.Succeeds("train", "image", "--data", tmp.Path, "--no-fetch", "--run-dir", run, "--threads", "1", "--batch", "8",
            "--max-steps", "2", "--activation", "tropical:3");
        Assert.Contains("Done: 2 steps", output);
        Assert.Contains("Test accuracy", output);
        var m = Metrics(run);
        Assert.Equal(2, m.Count(e => e.TryGetProperty("loss", out _)));
        Assert.InRange(m[^1].GetProperty("test_acc").GetDouble(), 0, 1);
        Assert.True(File.Exists(Path.Combine(run, "model.safetensors")));
        Assert.Contains("stages.0.0.act", Cli.Succeeds("inspect", Path.Combine(run, "model.safetensors")));
    }

    [Fact]
    public void BadTrainInputGetsOneLineNamingTheProblem()
    {
        using var tmp = new TempDirectory();
        string run = tmp.File("run");
        Cli.FailsWith(["train", "lm", "--steps", "-5", "--run-dir", run], "'Steps' = -5", "must be > 0");
        Cli.FailsWith(["train", "lm", "--activation", "swish", "--run-dir", run], "Unknown activation 'swish'");
        Cli.FailsWith(["train", "lm", "--seed", "-1", "--run-dir", run], "--seed", "-1");
        Cli.FailsWith(["train", "image", "--data", tmp.Path, "--no-fetch", "--run-dir", run], "'fashion-mnist' not found", tmp.Path);
        Cli.FailsWith(["train", "image", "--max-steps", "-1", "--run-dir", run], "'Steps' = -1");
        Assert.False(Directory.Exists(run)); // nothing written for a bad command
    }

    [Fact]
    public void ResumeWithOtherFlagsNamesTheDifference()
    {
        using var tmp = new TempDirectory();
        WriteBrown(tmp.Path);
        string[] Args(string embd) => ["train", "lm", "--data", tmp.Path, "--no-fetch", "--run-dir", tmp.File("run"), "--threads", "1", "--steps", "2",
            "--batch", "2", "--block", "16", "--layers", "1", "--heads", "2", "--embd", embd, "--eval-batches", "1"];
        Cli.Succeeds(Args("16"));
        Cli.FailsWith([.. Args("8"), "--resume"], "another configuration", "Embd: checkpoint 16, this run 8");
    }

    [Fact]
    public void InspectOfAMissingFileNamesIt()
    {
        using var tmp = new TempDirectory();
        Cli.FailsWith(["inspect", tmp.File("nope.safetensors")], tmp.File("nope.safetensors"));
    }

    [Fact]
    public void ParseErrorsNameTheOption()
    {
        var (code, _, error) = Cli.Run("train", "lm", "--steps", "abc");
        Assert.NotEqual(0, code);
        Assert.Contains("'abc'", error);
        Assert.Contains("--steps", error);
        Assert.DoesNotContain("   at ", error);
    }
}
