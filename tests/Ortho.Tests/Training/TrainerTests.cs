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
        Train = LmRecipe.DefaultTrain with { Steps = steps, Batch = 4, Warmup = 2, CheckpointEvery = 4 },
        Block = 16, Layers = 1, Heads = 2, Embd = 32, Activation = "hermite:3", EvalBatches = 2,
    };

    private static Trainer Lm(LmRecipe recipe, byte[] train, byte[] val, string dir) => new(new LmTask(recipe, train, val), dir);

    private static string TempDir() => Directory.CreateTempSubdirectory("ortho-train-").FullName;

    private static float[] Losses(string runDir) => File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl"))
        .Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.TryGetProperty("loss", out _)).Select(e => e.GetProperty("loss").GetSingle()).ToArray();

    [Fact]
    public void ResumeContinuesToExactlyTheLossesOfAnUninterruptedRun()
    {
        var (train, val) = Corpus();
        string a = TempDir(), b = TempDir();
        var full = Lm(Tiny(), train, val, a).Run();
        Assert.False(full.Interrupted);

        using var cts = new CancellationTokenSource();
        var first = Lm(Tiny(), train, val, b).Run(new Inline(p => { if (p.Step == 6) cts.Cancel(); }), cts.Token);
        Assert.True(first.Interrupted);
        Assert.Equal(6, first.Steps);
        var second = Lm(Tiny(), train, val, b).Run(start: TrainStart.Resume);
        Assert.False(second.Interrupted);

        Assert.Equal(Losses(a), Losses(b)); // bit-identical, step for step
        Assert.Equal(full.ValidationLoss, second.ValidationLoss);
        Assert.True(File.Exists(Path.Combine(b, "model.safetensors")));
    }

    /// <summary>Seed and DataSeed change the initial weights and the training batches; the validation batches stay the same.</summary>
    [Fact]
    public void SeedsChangeTheInitAndTheBatchesButNotTheValidationBatches()
    {
        var (train, val) = Corpus();
        var a = new LmTask(Tiny(), train, val);
        var b = new LmTask(Tiny() with { Train = Tiny().Train with { Seed = 7, DataSeed = 7 } }, train, val);
        Assert.NotEqual(a.Gpt.StateDict()["transformer.h.0.mlp.c_fc.weight"].ToArray(), b.Gpt.StateDict()["transformer.h.0.mlp.c_fc.weight"].ToArray());

        b.Gpt.LoadStateDict(a.Gpt.StateDict()); // the same weights: only the data can differ now
        Assert.Equal(a.Evaluate(full: true).Full!.Value.Loss, b.Evaluate(full: true).Full!.Value.Loss);
        a.NextBatch();
        b.NextBatch();
        using (Tensor.NoGrad()) Assert.NotEqual(a.Loss().Item(), b.Loss().Item());
    }

    [Fact]
    public void ResumeRefusesACheckpointOfAnotherConfiguration()
    {
        var (train, val) = Corpus();
        string dir = TempDir();
        Lm(Tiny(4), train, val, dir).Run();
        var e = Assert.Throws<InvalidDataException>(() => Lm(Tiny(4) with { Embd = 16 }, train, val, dir).Run(start: TrainStart.Resume));
        Assert.Contains("checkpoint", e.Message);
    }

    [Fact]
    public void NonFiniteLossNamesTheFirstModuleAndKeepsTheLastCheckpoint()
    {
        var (train, val) = Corpus();
        string dir = TempDir();
        var task = new LmTask(Tiny(8), train, val);
        var t = new Trainer(task, dir);
        var ck = Path.Combine(dir, "checkpoint.safetensors");
        // After the checkpoint of step 4, a huge expansion weight (on one input channel: LayerNorm outputs sum to zero)
        // makes the cubic Hermite activation overflow to infinity in step 5.
        var progress = new Inline(p =>
        {
            if (p.Step != 4) return;
            var w = task.Gpt.Transformer.H[0].Mlp.CFc.Weight;
            for (int i = 0; i < w.Size(0); i++) w[i, 0] = 1e14f;
        });
        var e = Assert.Throws<NonFiniteLossException>(() => t.Run(progress));
        Assert.Equal(NonFiniteKind.Loss, e.Kind);
        Assert.Equal(5, e.Step);
        Assert.Equal("transformer.h.0.mlp.act", e.Module);
        Assert.Contains("The loss became", e.Message);
        Assert.Contains("at step 5; first non-finite output: transformer.h.0.mlp.act", e.Message);
        Assert.Contains($"The last checkpoint, of step 4, was left intact: {ck}.", e.Message);
        Assert.Equal(4, Losses(dir).Length); // the step numbers of the message and of metrics.jsonl agree
        Assert.Equal(4, Load(dir).Step); // loads: finite, and of step 4
    }

    /// <summary>An update that overflows (a huge learning rate) is caught after the update, before anything is saved.</summary>
    [Fact]
    public void WeightsThatBecomeNonFiniteAreNeverCheckpointed()
    {
        var (train, val) = Corpus();
        string dir = TempDir();
        var recipe = Tiny(4) with { Train = Tiny(4).Train with { Lr = 3e38f, Warmup = 0, Clip = 0, WeightDecay = 0 } };
        var e = Assert.Throws<NonFiniteLossException>(() => Lm(recipe, train, val, dir).Run());
        Assert.Equal(NonFiniteKind.Weights, e.Kind);
        Assert.Equal(1, e.Step);
        Assert.StartsWith("The weights became non-finite after the update of step 1", e.Message);
        Assert.EndsWith("No checkpoint of this run was written.", e.Message);
        Assert.False(File.Exists(Path.Combine(dir, "checkpoint.safetensors")));
        Assert.False(File.Exists(Path.Combine(dir, "model.safetensors")));
    }

    /// <summary>Optimizer moments that became non-finite stop the run at the checkpoint, which is not written.</summary>
    [Fact]
    public void NonFiniteOptimizerStateIsNeverCheckpointed()
    {
        var (train, val) = Corpus();
        string dir = TempDir();
        Trainer? t = null;
        t = Lm(Tiny(8), train, val, dir);
        var e = Assert.Throws<NonFiniteLossException>(() => t.Run(new Inline(p =>
        {
            if (p.Step == 8) t.Optimizer.State().First(s => s.Name.EndsWith("exp_avg_sq", StringComparison.Ordinal)).Value.Data[0] = float.PositiveInfinity;
        })));
        Assert.Equal(NonFiniteKind.OptimizerState, e.Kind);
        Assert.Equal("optim.0.exp_avg_sq", e.Module);
        Assert.Contains("The last checkpoint, of step 4, was left intact", e.Message);
        Assert.Equal(4, Load(dir).Step);
    }

    private static Checkpoint Load(string dir)
    {
        var task = new LmTask(Tiny(8), Corpus().Train, Corpus().Val);
        return Checkpoint.Load(Path.Combine(dir, "checkpoint.safetensors"), task.Model, task.Train.CreateOptimizer(task.Model));
    }

    private static ImageDataset Separable(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var img = new float[n * 64];
        var lab = new byte[n];
        for (int i = 0; i < n; i++)
        {
            lab[i] = (byte)(i % 2);
            for (int p = 0; p < 64; p++) img[i * 64 + p] = (float)rng.NextDouble() * 0.1f + (lab[i] == 1 && p < 32 ? 1f : 0f);
        }
        return new ImageDataset(img, lab, 1, 8, 8);
    }

    private static ImageRecipe TinyImage(int checkpointEvery = 0) => new()
    {
        Train = ImageRecipe.DefaultTrain with { Batch = 16, Warmup = 2, Lr = 5e-3f, CheckpointEvery = checkpointEvery },
        Epochs = 6,
        Model = new Ortho.Models.ConvNeXtConfig(1, 2, [1, 1], [8, 16], 2, "tropical:3", 8),
    };

    [Fact]
    public void ImageTrainerTrainsAndReportsTestAccuracy()
    {
        var trainer = new Trainer(new ImageTask(TinyImage(), Separable(64, 3), Separable(32, 4)), TempDir());
        var r = trainer.Run();
        Assert.Equal(24, r.Steps);
        Assert.NotNull(r.TestAccuracy);
        Assert.True(r.TestAccuracy >= 0.9, $"accuracy {r.TestAccuracy} on a trivially separable task");
    }

    /// <summary>The image sampler's epoch and shuffle position survive a checkpoint: interrupted mid-epoch, the resumed run matches.</summary>
    [Fact]
    public void ImageResumeContinuesToExactlyTheLossesOfAnUninterruptedRun()
    {
        var (train, test) = (Separable(64, 3), Separable(32, 4));
        string a = TempDir(), b = TempDir();
        var full = new Trainer(new ImageTask(TinyImage(5), train, test), a).Run();
        using var cts = new CancellationTokenSource();
        var first = new Trainer(new ImageTask(TinyImage(5), train, test), b).Run(new Inline(p => { if (p.Step == 7) cts.Cancel(); }), cts.Token);
        Assert.Equal(7, first.Steps); // 4 batches per epoch: stopped inside the second epoch
        var second = new Trainer(new ImageTask(TinyImage(5), train, test), b).Run(start: TrainStart.Resume);
        Assert.Equal(Losses(a), Losses(b));
        Assert.Equal(full.TestAccuracy, second.TestAccuracy);
    }

    /// <summary>Checkpoints and model files keep the config JSON of the first format (an older run must resume).</summary>
    [Fact]
    public void ConfigJsonKeepsTheStoredLayout()
    {
        const string lm = "{\"Steps\":20,\"Batch\":16,\"Block\":128,\"Layers\":4,\"Heads\":4,\"Embd\":128,\"Activation\":\"hermite:3\",\"Lr\":0.001,\"MinLr\":0.0001,"
            + "\"Warmup\":50,\"WeightDecay\":0.1,\"Beta1\":0.9,\"Beta2\":0.95,\"Clip\":1,\"Seed\":1337,\"DataSeed\":1,\"EvalSeed\":2,\"EvalBatches\":0,\"CheckpointEvery\":0}";
        const string image = "{\"recipe\":{\"Epochs\":1,\"Batch\":128,\"Activation\":\"hermite:3\",\"Lr\":0.002,\"MinLr\":0,\"Warmup\":100,\"WeightDecay\":0.05,"
            + "\"Beta1\":0.9,\"Beta2\":0.999,\"Clip\":0,\"Seed\":1337,\"DataSeed\":1,\"CheckpointEvery\":0,\"MaxSteps\":20},"
            + "\"model\":{\"InChans\":1,\"Classes\":10,\"Depths\":[2,2,2],\"Dims\":[32,64,128],\"Stem\":2,\"Activation\":\"hermite:3\",\"ImageSize\":28}}";
        var lmRecipe = new LmRecipe { Train = LmRecipe.DefaultTrain with { Steps = 20 } };
        var imageRecipe = new ImageRecipe { Train = ImageRecipe.DefaultTrain with { Steps = 20 } };
        Assert.Equal(lm, lmRecipe.ToConfigJson());
        Assert.Equal(image, imageRecipe.ToConfigJson());
        // Back from JSON: the same recipe, less what the config leaves out (checkpoint interval, evaluation size).
        Assert.Equal(lmRecipe with { Train = lmRecipe.Train with { CheckpointEvery = 0 }, EvalBatches = 0 }, LmRecipe.FromConfigJson(lm));
        var back = ImageRecipe.FromConfigJson(image);
        Assert.Equal(imageRecipe.Train with { CheckpointEvery = 0 }, back.Train);
        Assert.Equal(image, back.ToConfigJson());
        Assert.IsType<Ortho.Models.Gpt>(ModelConfig.Create(lm));
        Assert.IsType<Ortho.Models.ConvNeXt>(ModelConfig.Create(image));
        Assert.Contains("neither", Assert.Throws<InvalidDataException>(() => ModelConfig.Create("{\"x\":1}")).Message);
    }

    [Fact]
    public void RecipeErrorsNameTheFieldAndValue()
    {
        var e = Assert.Throws<ArgumentException>(() => (LmRecipe.DefaultTrain with { Warmup = -3 }).Validate());
        Assert.Equal("Recipe value 'Warmup' = -3 is out of range (must be >= 0).", e.Message);
        // One validation for both tasks; the caller's names (the CLI's flags) in the message.
        string Message(Action a) => Assert.Throws<ArgumentException>(a).Message;
        Assert.Equal("Recipe value --min-lr = 5 is out of range (must be in [0, --lr = 0.001]: the cosine decays from the peak down to it).",
            Message(() => new LmRecipe { Train = LmRecipe.DefaultTrain with { MinLr = 5 } }.Validate(k => k == "MinLr" ? "--min-lr" : k == "Lr" ? "--lr" : k)));
        Assert.Contains("'MinLr' = -1", Message(() => new ImageRecipe { Train = ImageRecipe.DefaultTrain with { MinLr = -1 } }.Validate()));
        Assert.Contains("'Lr' = Infinity is out of range (must be a finite number > 0)", Message(() => new LmRecipe { Train = LmRecipe.DefaultTrain with { Lr = float.PositiveInfinity } }.Validate()));
        Assert.Contains("'Beta1' = NaN", Message(() => (LmRecipe.DefaultTrain with { Beta1 = float.NaN }).Validate()));
        Assert.Contains("'Beta2' = -1", Message(() => (LmRecipe.DefaultTrain with { Beta2 = -1 }).Validate()));
        Assert.Contains("'WeightDecay' = 1E+30", Message(() => (LmRecipe.DefaultTrain with { WeightDecay = 1e30f }).Validate()));
        Assert.Contains("'Batch' = 65536 is out of range (must be <= ", Message(() => new LmRecipe { Train = LmRecipe.DefaultTrain with { Batch = 65536 }, Block = 65536 }.Validate()));
        Assert.Contains("'Heads' = 3 is out of range (must be a divisor of 'Embd' = 128)", Message(() => new LmRecipe { Heads = 3 }.Validate()));
        Assert.Contains("'EvalEvery' = -1", Message(() => (LmRecipe.DefaultTrain with { EvalEvery = -1 }).Validate()));
        Assert.Contains("'Batch' = 128 is out of range (must be <= 64, the number of training images)", Message(() => new ImageRecipe().Validate(trainImages: 64)));
        Assert.Contains("'Steps' = 0", Assert.Throws<ArgumentException>(() => new LmRecipe { Train = LmRecipe.DefaultTrain with { Steps = 0 } }.Validate()).Message);
        new ImageRecipe { Train = ImageRecipe.DefaultTrain with { Steps = 0 } }.Validate(); // 0: the epochs decide
        Assert.Contains("'Epochs'", Assert.Throws<ArgumentException>(() => new ImageRecipe { Epochs = 0 }.Validate()).Message);
        Assert.Contains("'Beta2' = 1", Assert.Throws<ArgumentException>(() => (ImageRecipe.DefaultTrain with { Beta2 = 1 }).Validate()).Message);
    }

    private sealed class Inline(Action<TrainProgress> a) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => a(value);
    }
}
