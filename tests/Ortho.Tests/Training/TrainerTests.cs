using System.Security.Cryptography;
using System.Text.Json;
using Ortho;
using Ortho.Data;
using Ortho.Training;
using Xunit;

namespace Ortho.Tests.Training;

public class TrainerTests
{
    private static (byte[] Train, byte[] Val) Corpus()
    {
        var rng = new Rng(5);
        var text = string.Concat(Enumerable.Range(0, 400).Select(i => $"the {(i * 7) % 13} cat sat on mat {i % 5}.\n"));
        var b = System.Text.Encoding.ASCII.GetBytes(text);
        return (b, b.AsSpan(0, 2000).ToArray());
    }

    private static LmRecipe Tiny(int steps = 12) => new()
    {
        Steps = steps, Batch = 4, Block = 16, Layers = 1, Heads = 2, Embd = 32, Activation = "hermite:3",
        Warmup = 2, CheckpointEvery = 4, EvalBatches = 2,
    };

    private static string TempDir() => Directory.CreateTempSubdirectory("ortho-train-").FullName;

    private static float[] Losses(string runDir) => File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl"))
        .Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.TryGetProperty("loss", out _)).Select(e => e.GetProperty("loss").GetSingle()).ToArray();

    [Fact]
    public void ResumeContinuesToExactlyTheLossesOfAnUninterruptedRun()
    {
        var (train, val) = Corpus();
        string a = TempDir(), b = TempDir();
        var full = new LmTrainer(Tiny(), train, val, a).Run();
        Assert.False(full.Interrupted);

        using var cts = new CancellationTokenSource();
        var first = new LmTrainer(Tiny(), train, val, b).Run(new Inline(p => { if (p.Step == 6) cts.Cancel(); }), cts.Token);
        Assert.True(first.Interrupted);
        Assert.Equal(6, first.Steps);
        var second = new LmTrainer(Tiny(), train, val, b).Run(resume: true);
        Assert.False(second.Interrupted);

        Assert.Equal(Losses(a), Losses(b)); // bit-identical, step for step
        Assert.Equal(full.ValidationLoss, second.ValidationLoss);
        Assert.True(File.Exists(Path.Combine(b, "model.safetensors")));
    }

    [Fact]
    public void ResumeRefusesACheckpointOfAnotherConfiguration()
    {
        var (train, val) = Corpus();
        string dir = TempDir();
        new LmTrainer(Tiny(4), train, val, dir).Run();
        var e = Assert.Throws<InvalidDataException>(() => new LmTrainer(Tiny(4) with { Embd = 16 }, train, val, dir).Run(resume: true));
        Assert.Contains("checkpoint", e.Message);
    }

    [Fact]
    public void NonFiniteLossNamesTheFirstModuleAndKeepsTheLastCheckpoint()
    {
        var (train, val) = Corpus();
        string dir = TempDir();
        new LmTrainer(Tiny(4), train, val, dir).Run();
        var ck = Path.Combine(dir, "checkpoint.safetensors");
        var hash = SHA256.HashData(File.ReadAllBytes(ck));

        var t = new LmTrainer(Tiny(8), train, val, dir);
        // A huge expansion weight (on one input channel: LayerNorm outputs sum to zero) makes the cubic Hermite activation overflow to infinity.
        var w = t.Gpt.Transformer.H[0].Mlp.CFc.Weight;
        for (int i = 0; i < w.Size(0); i++) w[i, 0] = 1e14f;
        var e = Assert.Throws<NonFiniteLossException>(() => t.Run());
        Assert.Equal("transformer.h.0.mlp.act", e.Module);
        Assert.Contains("transformer.h.0.mlp.act", e.Message);
        Assert.Equal(hash, SHA256.HashData(File.ReadAllBytes(ck)));
    }

    [Fact]
    public void ImageTrainerTrainsAndReportsTestAccuracy()
    {
        var rng = new Rng(3);
        ImageDataset Make(int n)
        {
            var img = new float[n * 64];
            var lab = new byte[n];
            for (int i = 0; i < n; i++)
            {
                lab[i] = (byte)(i % 2);
                for (int p = 0; p < 64; p++) img[i * 64 + p] = (float)rng.NextDouble() * 0.1f + (lab[i] == 1 && p < 32 ? 1f : 0f);
            }
            return new ImageDataset(img, lab, 1, 8, 8);
        }
        var recipe = new ImageRecipe { Epochs = 6, Batch = 16, Warmup = 2, Lr = 5e-3f, Activation = "tropical:3", CheckpointEvery = 0 };
        var trainer = new ImageTrainer(recipe, Make(64), Make(32), TempDir(), new Ortho.Models.ConvNeXtConfig(1, 2, [1, 1], [8, 16], 2, "tropical:3", 8));
        var r = trainer.Run();
        Assert.Equal(24, r.Steps);
        Assert.NotNull(r.TestAccuracy);
        Assert.True(r.TestAccuracy >= 0.9, $"accuracy {r.TestAccuracy} on a trivially separable task");
    }

    private sealed class Inline(Action<TrainProgress> a) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => a(value);
    }
}
