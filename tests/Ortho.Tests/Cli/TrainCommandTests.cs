using System.Security.Cryptography;
using System.Text.Json;
using Ortho.IO;
using Ortho.Tests.Data;
using Ortho.Tests.IO;
using Ortho.Training;
using Xunit;

namespace Ortho.Tests.Cli;

/// <summary><c>ortho train lm|image</c> and <c>ortho inspect</c> on tiny data sets written by the tests (verified against their own manifests).</summary>
[Collection("cli")]
public class TrainCommandTests
{
    private static JsonElement[] Metrics(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();

    /// <summary>A tiny LM run on generated Brown files (flags after the data and run directory).</summary>
    private static string[] Lm(string data, string manifest, string run, params string[] more) =>
        ["train", "lm", "--data-dir", data, "--data-manifest", manifest, "--no-fetch", "--run-dir", run, "--threads", "1", "--steps", "3", "--batch", "2",
            "--block", "16", "--layers", "1", "--heads", "2", "--embd", "16", "--eval-batches", "1", .. more];

    [Fact]
    public void TrainLmRunsTheRecipeAndInspectReadsTheModel()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteBrown(tmp.Path);
        string run = tmp.File("run");
        string output = Cli.Succeeds(Lm(tmp.Path, manifest, run, "--activation", "hermite:3"));
        Assert.Contains("Done: 3 steps", output);
        Assert.Contains("Validation loss", output);
        Assert.DoesNotContain("\u001b[", output); // redirected: plain text
        Assert.Contains("elapsed 0:00:", output);
        Assert.Contains("ETA 0:00:00", output);

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
        string manifest = GeneratedData.WriteBrown(tmp.Path);
        string Config(params string[] extra)
        {
            string run = tmp.File("run" + string.Join("", extra));
            string output = Cli.Succeeds(Lm(tmp.Path, manifest, run, extra));
            return SafeTensorsFile.Read(Path.Combine(run, "model.safetensors")).Metadata["config"] + output;
        }
        Assert.Contains("\"Seed\":1337,\"DataSeed\":1,", Config());
        Assert.Contains("\"Seed\":5,\"DataSeed\":5,", Config("--seed", "5"));
        Assert.Contains("\"Seed\":5,\"DataSeed\":7,", Config("--seed", "5", "--data-seed", "7"));
        Assert.Contains("Activation init: ones in 1 activation module(s)", Config("--activation", "hermite:3", "--activation-init", "ones"));
        Cli.FailsWith(Lm(tmp.Path, manifest, tmp.File("bad"), "--activation", "tropical:3", "--activation-init", "ones"), "ones", "tropical");
        Assert.False(Directory.Exists(tmp.File("bad")));
    }

    [Fact]
    public void TrainImageRunsTheRecipeOnIdxFiles()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteFashionMnist(tmp.Path);
        string run = tmp.File("run");
        string output = Cli.Succeeds("train", "image", "--data-dir", tmp.Path, "--data-manifest", manifest, "--no-fetch", "--run-dir", run, "--threads", "1",
            "--batch", "8", "--steps", "2", "--activation", "tropical:3");
        Assert.Contains("Done: 2 steps", output);
        Assert.Contains("Test accuracy", output);
        var m = Metrics(run);
        Assert.Equal(2, m.Count(e => e.TryGetProperty("loss", out _)));
        Assert.InRange(m[^1].GetProperty("test_acc").GetDouble(), 0, 1);
        Assert.True(m[^1].GetProperty("val_loss").GetDouble() > 0);
        Assert.True(File.Exists(Path.Combine(run, "model.safetensors")));
        Assert.Contains("stages.0.0.act", Cli.Succeeds("inspect", Path.Combine(run, "model.safetensors")));
    }

    /// <summary>--steps means the run's length for both tasks; --epochs sets it for images; --max-steps still works, with a note.</summary>
    [Fact]
    public void ImageStepsEpochsAndTheOldMaxSteps()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteFashionMnist(tmp.Path);
        string[] Args(string run, params string[] more) =>
            ["train", "image", "--data-dir", tmp.Path, "--data-manifest", manifest, "--no-fetch", "--run-dir", tmp.File(run), "--threads", "1", "--batch", "8", .. more];
        Assert.Contains("Done: 6 steps", Cli.Succeeds(Args("a", "--steps", "6"))); // more than one epoch of 4 batches
        Assert.Contains("Done: 8 steps", Cli.Succeeds(Args("b", "--epochs", "2")));
        var (code, output, error) = Cli.Run(Args("c", "--max-steps", "3"));
        Assert.Equal(0, code);
        Assert.Contains("Done: 3 steps", output);
        Assert.Contains("--max-steps is deprecated: use --steps", error);
        Cli.FailsWith(Args("d", "--steps", "3", "--epochs", "2"), "--steps and --epochs");
    }

    [Fact]
    public void BadTrainInputGetsOneLineNamingTheFlagAndNothingIsWritten()
    {
        using var tmp = new TempDirectory();
        string run = tmp.File("run");
        // Before any data is looked at: no data directory exists here.
        string data = tmp.File("nodata");
        string[] L(params string[] a) => ["train", "lm", "--run-dir", run, "--data-dir", data, "--no-fetch", .. a];
        string[] I(params string[] a) => ["train", "image", "--run-dir", run, "--data-dir", data, "--no-fetch", .. a];
        Cli.FailsWith(L("--steps", "-5"), "Recipe value --steps = -5", "must be > 0");
        Cli.FailsWith(L("--min-lr", "5"), "Recipe value --min-lr = 5 is out of range (must be in [0, --lr = 0.001]");
        Cli.FailsWith(I("--min-lr", "-1"), "Recipe value --min-lr = -1");
        Cli.FailsWith(L("--lr", "Infinity"), "Recipe value --lr = Infinity", "a finite number > 0");
        Cli.FailsWith(L("--beta1", "NaN"), "Recipe value --beta1 = NaN", "in [0, 1)");
        Cli.FailsWith(L("--beta2", "-1"), "Recipe value --beta2 = -1", "in [0, 1)");
        Cli.FailsWith(L("--batch", "65536", "--block", "65536"), "Recipe value --batch = 65536", "--block = 65536");
        Cli.FailsWith(L("--weight-decay", "1e30"), "Recipe value --weight-decay = 1E+30", "< 1 / --lr");
        Cli.FailsWith(L("--heads", "3"), "Recipe value --heads = 3", "a divisor of --embd = 128");
        Cli.FailsWith(L("--eval-every", "-2"), "Recipe value --eval-every = -2");
        Cli.FailsWith(L("--activation", "swish"), "Unknown activation 'swish'");
        Cli.FailsWith(L("--seed", "-1"), "--seed", "-1");
        Cli.FailsWith(L("--threads", "0"), "--threads", "'0'");
        Cli.FailsWith(L("--resume", "--overwrite"), "--resume", "--overwrite");
        Cli.FailsWith(I("--steps", "-1"), "Recipe value --steps = -1");
        Cli.FailsWith(I("--epochs", "0"), "Recipe value --epochs = 0");
        Assert.False(Directory.Exists(run)); // nothing written for a bad command
        Assert.False(Directory.Exists(data));
    }

    [Fact]
    public void MissingHalfFetchedOrTruncatedDataIsNeverTrainedOn()
    {
        using var tmp = new TempDirectory();
        string run = tmp.File("run");
        // What a Ctrl-C during the first fetch left: 2 of the 500 files.
        GeneratedData.WriteBrown(tmp.Path, files: 2);
        Cli.FailsWith(["train", "lm", "--data-dir", tmp.Path, "--no-fetch", "--run-dir", run],
            $"Brown corpus in {Path.Combine(tmp.Path, "brown")} failed verification", "498 of 500 files are missing", $"repair it with: ortho data fetch lm --data-dir {tmp.Path}");
        // A truncated file, checked against the data's own manifest.
        string manifest = GeneratedData.WriteBrown(tmp.Path, files: 20);
        File.WriteAllText(Path.Combine(tmp.Path, "brown", "ca07"), "");
        Cli.FailsWith(Lm(tmp.Path, manifest, run), "ca07 has 0 bytes", "(truncated)");
        // A truncated Fashion-MNIST .gz, against the built-in manifest; an LM run does not need Fashion-MNIST at all.
        GeneratedData.WriteFashionMnist(tmp.Path);
        Cli.FailsWith(["train", "image", "--data-dir", tmp.Path, "--no-fetch", "--run-dir", run], "Fashion-MNIST in", "train-images-idx3-ubyte.gz has", "(truncated)", "ortho data fetch image");
        Assert.False(Directory.Exists(run));
        Cli.FailsWith(["data", "verify", "lm", "--data-dir", tmp.Path], "failed verification", "repair with: ortho data fetch lm");
    }

    [Fact]
    public void ARerunNeverOverwritesARunUnlessTold()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteBrown(tmp.Path);
        string run = tmp.File("run");
        Cli.Succeeds(Lm(tmp.Path, manifest, run));
        byte[] Hash(string f) => SHA256.HashData(File.ReadAllBytes(Path.Combine(run, f)));
        var (metrics, checkpoint) = (Hash("metrics.jsonl"), Hash("checkpoint.safetensors"));

        Cli.FailsWith(Lm(tmp.Path, manifest, run, "--lr", "0.002"), $"Run directory {run} already holds checkpoint.safetensors", "--resume", "--overwrite");
        Assert.Equal(metrics, Hash("metrics.jsonl"));
        Assert.Equal(checkpoint, Hash("checkpoint.safetensors"));

        // --resume of a finished run: its numbers, nothing changed.
        string again = Cli.Succeeds(Lm(tmp.Path, manifest, run, "--resume"));
        Assert.Contains("This run had already finished: 3 steps, final train loss", again);
        Assert.DoesNotContain("NaN", again);
        Assert.Equal(metrics, Hash("metrics.jsonl"));

        Assert.Contains("Done: 3 steps", Cli.Succeeds(Lm(tmp.Path, manifest, run, "--lr", "0.002", "--overwrite")));
        Assert.NotEqual(checkpoint, Hash("checkpoint.safetensors"));

        // --resume with a mistyped directory: an error naming the path; nothing created, nothing emptied.
        string typo = tmp.File("rnu");
        Cli.FailsWith(Lm(tmp.Path, manifest, typo, "--resume"), $"Nothing to resume: run directory {typo} does not exist");
        Assert.False(Directory.Exists(typo));
    }

    [Fact]
    public void DefaultRunDirectoriesAreNewForEachRun()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteBrown(tmp.Path);
        string cwd = Directory.GetCurrentDirectory();
        try
        {
            Directory.SetCurrentDirectory(tmp.Path);
            string[] Args(params string[] more) => [.. Lm(tmp.Path, manifest, "x").Where((_, i) => i is not (7 or 8)), .. more]; // without --run-dir
            Assert.Equal("--run-dir", Lm(tmp.Path, manifest, "x")[7]);
            Cli.Succeeds(Args());
            Cli.Succeeds(Args("--lr", "0.002"));
            var runs = Directory.GetDirectories(tmp.File("runs")).Select(Path.GetFileName).Order().ToList();
            Assert.Equal(2, runs.Count);
            Assert.All(runs, r => Assert.Matches(@"^lm-hermite-3-\d{8}-\d{6}(-2)?$", r));
            // --resume alone continues the latest one.
            Assert.Contains("This run had already finished", Cli.Succeeds(Args("--lr", "0.002", "--resume")));
        }
        finally { Directory.SetCurrentDirectory(cwd); }
    }

    [Fact]
    public void ASecondRunInTheSameDirectoryIsRefused()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteBrown(tmp.Path);
        string run = tmp.File("run");
        using (RunDirectory.Acquire(run, TrainStart.New))
            Cli.FailsWith(Lm(tmp.Path, manifest, run), $"Another process is training in {run}");
        Cli.Succeeds(Lm(tmp.Path, manifest, run));
    }

    [Fact]
    public void DivergenceStopsWithTheStepAndNoCheckpoint()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteBrown(tmp.Path);
        string run = tmp.File("run");
        Cli.FailsWith(Lm(tmp.Path, manifest, run, "--lr", "3e38", "--warmup", "0", "--clip", "0", "--weight-decay", "0"),
            "The weights became non-finite after the update of step 1", "No checkpoint of this run was written.");
        Assert.False(File.Exists(Path.Combine(run, "checkpoint.safetensors")));
    }

    [Fact]
    public void ResumeWithOtherFlagsNamesTheDifference()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteBrown(tmp.Path);
        Cli.Succeeds(Lm(tmp.Path, manifest, tmp.File("run")));
        Cli.FailsWith(Lm(tmp.Path, manifest, tmp.File("run"), "--warmup", "3", "--resume"), "another configuration", "Warmup: checkpoint 50, this run 3");
    }

    [Fact]
    public void InspectOfAMissingFileNamesIt()
    {
        using var tmp = new TempDirectory();
        Cli.FailsWith(["inspect", tmp.File("nope.safetensors")], tmp.File("nope.safetensors"));
    }

    /// <summary>A config claiming a huge model is checked against the tensors before anything of that size is allocated.</summary>
    [Fact]
    public void InspectChecksTheConfigAgainstTheTensorsFirst()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteBrown(tmp.Path);
        string run = tmp.File("run");
        Cli.Succeeds(Lm(tmp.Path, manifest, run));
        string model = Path.Combine(run, "model.safetensors");
        var f = SafeTensorsFile.Read(model);
        var w = new SafeTensorsWriter();
        foreach (var e in f.Entries) w.Add(e);
        w.SetMetadata(f.Metadata);
        w.SetMetadata("config", f.Metadata["config"].Replace("\"Embd\":16", "\"Embd\":20000").Replace("\"Layers\":1", "\"Layers\":200"));
        w.Save(tmp.File("huge.safetensors"));
        Cli.FailsWith(["inspect", tmp.File("huge.safetensors")], "huge.safetensors", "key 'Embd'", "transformer.wte.weight", "[256, 20000]", "[256, 16]");
        Cli.FailsWith(["inspect", model, "--activation", "hermite:3"], "not both");
        Cli.FailsWith(["inspect", "--activation", "hermite:3", "--sigma", "0"], "--sigma", "0");
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

    [Fact]
    public void HelpDocumentsThreadsTheSameWayForTrainAndBench()
    {
        string train = Cli.Succeeds("train", "lm", "--help"), bench = Cli.Succeeds("bench", "gemm", "--help");
        Assert.Contains("Kernel threads", train);
        Assert.Contains("Kernel threads, as in train --threads", bench);
        Assert.Contains("--eval-every", train);
        Assert.Contains("--overwrite", train);
    }
}
