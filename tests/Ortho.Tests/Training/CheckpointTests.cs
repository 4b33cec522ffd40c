using System.Text.Json;
using Ortho.IO;
using Ortho.Training;
using Xunit;

namespace Ortho.Tests.Training;

/// <summary>Crafted or damaged checkpoints are refused whole, naming the file and the key; finished and half-evaluated runs resume sensibly.</summary>
public class CheckpointTests
{
    private static (byte[] Train, byte[] Val) Corpus()
    {
        var b = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 400).Select(i => $"the {(i * 7) % 13} cat sat on mat {i % 5}.\n")));
        return (b, b.AsSpan(0, 2000).ToArray());
    }

    private static LmRecipe Tiny(int steps = 4) => new()
    {
        Train = LmRecipe.DefaultTrain with { Steps = steps, Batch = 4, Warmup = 2, CheckpointEvery = 2 },
        Block = 16, Layers = 1, Heads = 2, Embd = 16, Activation = "hermite:3", EvalBatches = 2,
    };

    private static Trainer Lm(string dir, int steps = 4) => new(new LmTask(Tiny(steps), Corpus().Train, Corpus().Val), dir);

    private static string Finished(int steps = 4)
    {
        string dir = Directory.CreateTempSubdirectory("ortho-ck-").FullName;
        Lm(dir, steps).Run();
        return dir;
    }

    /// <summary>Rewrites the checkpoint with one change: entries and metadata through <paramref name="edit"/>.</summary>
    private static void Craft(string dir, Action<List<SafeTensorEntry>, Dictionary<string, string>> edit)
    {
        string path = Path.Combine(dir, "checkpoint.safetensors");
        var f = SafeTensorsFile.Read(path);
        var entries = f.Entries.ToList();
        var md = f.Metadata.ToDictionary();
        edit(entries, md);
        var w = new SafeTensorsWriter();
        foreach (var e in entries) w.Add(e);
        w.SetMetadata(md);
        w.Save(path);
    }

    private static SafeTensorEntry F32(string name, int[] shape, float[] values) =>
        new(name, SafeTensorDtypes.F32, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    private static string ResumeFails(string dir, int steps = 4) =>
        Assert.Throws<InvalidDataException>(() => Lm(dir, steps).Run(start: TrainStart.Resume)).Message;

    [Theory]
    [InlineData("step", "x", "metadata 'step' = 'x' is not a count")]
    [InlineData("step", "-1", "metadata 'step' = '-1' is not a count")]
    [InlineData("step", "9", "metadata 'step' = 9 is beyond this run's 4 steps")]
    [InlineData("optimizer_steps", "3", "optimizer_steps = 3")]
    [InlineData("optimizer_steps", "5", "metadata 'optimizer_steps' = 5 differs from 'step' = 4")]
    [InlineData("sampler", "not-a-number", "metadata 'sampler' = 'not-a-number' is not a sampler state of this run")]
    [InlineData("extra.wall_s", "-5", "metadata 'extra.wall_s' = '-5' is not a valid number")]
    [InlineData("format", "other", "not an Ortho checkpoint")]
    public void BadMetadataIsRefusedNamingFileAndKey(string key, string value, string message)
    {
        string dir = Finished();
        Craft(dir, (_, md) => md[key] = value);
        string e = ResumeFails(dir);
        Assert.StartsWith(Path.Combine(dir, "checkpoint.safetensors") + ": ", e);
        Assert.Contains(message, e);
    }

    [Fact]
    public void BadTensorsAreRefusedNamingFileAndTensor()
    {
        string dir = Finished();
        string path = Path.Combine(dir, "checkpoint.safetensors");
        Craft(dir, (es, _) => es.Add(F32("stray", [1], [1f])));
        Assert.Contains($"{path}: unknown tensor 'stray'", ResumeFails(dir));

        dir = Finished();
        Craft(dir, (es, _) => es.Add(F32("optim.99.exp_avg", [1], [1f])));
        Assert.Contains("unknown optimizer tensor 'optim.99.exp_avg'", ResumeFails(dir));

        dir = Finished();
        Craft(dir, (es, _) => es.Add(F32("model.transformer.extra", [1], [1f])));
        Assert.Contains("unexpected keys: transformer.extra", ResumeFails(dir));

        dir = Finished();
        Craft(dir, (es, _) =>
        {
            int i = es.FindIndex(e => e.Name == "model.transformer.ln_f.weight");
            es[i] = es[i] with { Dtype = SafeTensorDtypes.F8_E4M3, Shape = [es[i].Shape[0] * 4] };
        });
        Assert.Contains("tensor 'model.transformer.ln_f.weight' has dtype F8_E4M3, which Ortho cannot convert", ResumeFails(dir));

        dir = Finished();
        Craft(dir, (es, _) =>
        {
            int i = es.FindIndex(e => e.Name == "optim.step");
            es[i] = F32("optim.step", es[i].Shape, Enumerable.Repeat(7f, (int)es[i].ElementCount).ToArray());
        });
        Assert.Contains("tensor 'optim.step' holds step count 7, outside [0, optimizer_steps = 4]", ResumeFails(dir));
    }

    /// <summary>A finished run resumed from NaN weights must not export a NaN model: the load refuses, naming the tensor.</summary>
    [Fact]
    public void NonFiniteWeightsAreRefusedOnLoad()
    {
        string dir = Finished();
        string model = Path.Combine(dir, "model.safetensors");
        File.Delete(model);
        Craft(dir, (es, _) =>
        {
            int i = es.FindIndex(e => e.Name == "model.transformer.wpe.weight");
            es[i] = F32(es[i].Name, es[i].Shape, Enumerable.Repeat(float.NaN, (int)es[i].ElementCount).ToArray());
        });
        string e = ResumeFails(dir);
        Assert.Contains("tensor 'model.transformer.wpe.weight' holds NaN or infinite values", e);
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void ResumingAFinishedRunReturnsItsNumbersAndChangesNothing()
    {
        string dir = Lm(Directory.CreateTempSubdirectory("ortho-ck-").FullName).RunDirectory;
        var first = Lm(dir).Run();
        string metrics = File.ReadAllText(Path.Combine(dir, "metrics.jsonl"));
        var again = Lm(dir).Run(start: TrainStart.Resume);
        Assert.True(again.AlreadyFinished);
        Assert.Equal(first.FinalTrainLoss, again.FinalTrainLoss);
        Assert.False(float.IsNaN(again.FinalTrainLoss));
        Assert.Equal(first.ValidationLoss!.Value, again.ValidationLoss!.Value, 12);
        Assert.Equal(metrics, File.ReadAllText(Path.Combine(dir, "metrics.jsonl")));
    }

    /// <summary>Interrupted during the final evaluation: what was written is the last step's checkpoint and model; a resume evaluates.</summary>
    [Fact]
    public void AnInterruptedFinalEvaluationIsFinishedByAResume()
    {
        string dir = Directory.CreateTempSubdirectory("ortho-ck-").FullName;
        using var cts = new CancellationTokenSource();
        var r = Lm(dir).Run(new Inline(p => { if (p.Step == p.TotalSteps) cts.Cancel(); }), cts.Token);
        Assert.True(r.Interrupted && r.InterruptedInEvaluation);
        Assert.Equal(4, r.Steps);
        Assert.Null(r.ValidationLoss);
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));
        Assert.DoesNotContain("\"final\"", File.ReadAllText(Path.Combine(dir, "metrics.jsonl")));

        var done = Lm(dir).Run(start: TrainStart.Resume);
        Assert.False(done.Interrupted || done.AlreadyFinished);
        Assert.NotNull(done.ValidationLoss);
        Assert.False(float.IsNaN(done.FinalTrainLoss)); // the loss of the last step, kept in the checkpoint
        var last = JsonDocument.Parse(File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"))[^1]).RootElement;
        Assert.True(last.GetProperty("final").GetBoolean());
    }

    /// <summary>
    /// metrics.jsonl: a line per step with its wall time, evaluation lines at a fifth of the run (the fixed subset), and
    /// the final evaluation last; a resume drops what follows the checkpoint, a half-written line included.
    /// </summary>
    [Fact]
    public void MetricsHaveLossCurvesAndResumeTrimsThem()
    {
        string dir = Directory.CreateTempSubdirectory("ortho-ck-").FullName;
        using var cts = new CancellationTokenSource();
        Lm(dir, 10).Run(new Inline(p => { if (p.Step == 7) cts.Cancel(); }), cts.Token); // checkpoints at 2, 4, 6; Ctrl-C after 7
        string metricsPath = Path.Combine(dir, "metrics.jsonl");
        File.AppendAllText(metricsPath, "{\"step\":8,\"loss\":1.0,\"lr\":0.1}\n{\"step\":9,\"lo");
        Lm(dir, 10).Run(start: TrainStart.Resume);

        var lines = File.ReadAllLines(metricsPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var train = lines.Where(e => !e.TryGetProperty("event", out _)).ToList();
        Assert.Equal(Enumerable.Range(1, 10), train.Select(e => e.GetProperty("step").GetInt32()));
        var wall = train.Select(e => e.GetProperty("wall_s").GetDouble()).ToList();
        Assert.Equal(wall.Order(), wall); // continues across the resume
        var evals = lines.Where(e => e.TryGetProperty("event", out _)).ToList();
        Assert.Equal([2, 4, 6, 8, 10, 10], evals.Select(e => e.GetProperty("step").GetInt32())); // every ceil(10 / 5) steps, then the final one
        Assert.All(evals, e => Assert.True(e.GetProperty("val_loss").GetDouble() > 0 && e.GetProperty("wall_s").GetDouble() > 0));
        Assert.Equal(4, evals[0].GetProperty("eval_items").GetInt32()); // the subset: 1 of the 2 batches of 4 sequences
        Assert.Equal(8, evals[^1].GetProperty("eval_items").GetInt32());
        Assert.True(evals[^1].GetProperty("final").GetBoolean());
        Assert.Equal(evals[^1].GetRawText(), lines[^1].GetRawText());
    }

    private sealed class Inline(Action<TrainProgress> a) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => a(value);
    }
}
