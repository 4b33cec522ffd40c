namespace Ortho.Training;

/// <summary>The default language-model recipe (the PyTorch peer's scripts/peer/train_gpt.py); every number can be overridden.</summary>
public sealed record LmRecipe
{
    /// <summary>Training steps.</summary>
    public int Steps { get; init; } = 600;
    /// <summary>Sequences per batch.</summary>
    public int Batch { get; init; } = 16;
    /// <summary>Tokens per sequence (and the model's block size).</summary>
    public int Block { get; init; } = 128;
    /// <summary>Transformer blocks.</summary>
    public int Layers { get; init; } = 4;
    /// <summary>Attention heads.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Embedding width.</summary>
    public int Embd { get; init; } = 128;
    /// <summary>MLP activation (activation-spec format).</summary>
    public string Activation { get; init; } = "hermite:3";
    /// <summary>Peak learning rate.</summary>
    public float Lr { get; init; } = 1e-3f;
    /// <summary>Final learning rate of the cosine.</summary>
    public float MinLr { get; init; } = 1e-4f;
    /// <summary>Linear warmup steps.</summary>
    public int Warmup { get; init; } = 50;
    /// <summary>AdamW weight decay (rank >= 2 tensors only).</summary>
    public float WeightDecay { get; init; } = 0.1f;
    /// <summary>AdamW beta1.</summary>
    public float Beta1 { get; init; } = 0.9f;
    /// <summary>AdamW beta2.</summary>
    public float Beta2 { get; init; } = 0.95f;
    /// <summary>Global gradient-norm clip (0 disables).</summary>
    public float Clip { get; init; } = 1f;
    /// <summary>Seed of the model initialization.</summary>
    public ulong Seed { get; init; } = 1337;
    /// <summary>Seed of the training batch sampler.</summary>
    public ulong DataSeed { get; init; } = 1;
    /// <summary>Seed of the fixed validation batches.</summary>
    public ulong EvalSeed { get; init; } = 2;
    /// <summary>Validation batches averaged for the validation loss.</summary>
    public int EvalBatches { get; init; } = 64;
    /// <summary>Write a checkpoint every this many steps (0: only at the end and on interrupt).</summary>
    public int CheckpointEvery { get; init; } = 100;

    /// <summary>Checks every number; the message names the field.</summary>
    public void Validate()
    {
        Check(Steps > 0, nameof(Steps)); Check(Batch > 0, nameof(Batch)); Check(Block > 1, nameof(Block));
        Check(Lr > 0, nameof(Lr)); Check(MinLr >= 0, nameof(MinLr)); Check(Warmup >= 0, nameof(Warmup));
        Check(WeightDecay >= 0, nameof(WeightDecay)); Check(Clip >= 0, nameof(Clip)); Check(EvalBatches > 0, nameof(EvalBatches));
        Check(CheckpointEvery >= 0, nameof(CheckpointEvery));
    }

    internal static void Check(bool ok, string field)
    {
        if (!ok) throw new ArgumentException($"Recipe value '{field}' is out of range.");
    }
}

/// <summary>The default image recipe (the PyTorch peer's scripts/peer/train_convnext.py): Fashion-MNIST ConvNeXt.</summary>
public sealed record ImageRecipe
{
    /// <summary>Epochs over the 60,000 training images (fractions allowed).</summary>
    public double Epochs { get; init; } = 1;
    /// <summary>Images per batch.</summary>
    public int Batch { get; init; } = 128;
    /// <summary>Activation (activation-spec format).</summary>
    public string Activation { get; init; } = "hermite:3";
    /// <summary>Peak learning rate.</summary>
    public float Lr { get; init; } = 2e-3f;
    /// <summary>Final learning rate.</summary>
    public float MinLr { get; init; } = 0f;
    /// <summary>Linear warmup steps.</summary>
    public int Warmup { get; init; } = 100;
    /// <summary>AdamW weight decay (rank >= 2 tensors only).</summary>
    public float WeightDecay { get; init; } = 0.05f;
    /// <summary>AdamW beta1.</summary>
    public float Beta1 { get; init; } = 0.9f;
    /// <summary>AdamW beta2.</summary>
    public float Beta2 { get; init; } = 0.999f;
    /// <summary>Global gradient-norm clip (0 disables, the recipe's default).</summary>
    public float Clip { get; init; }
    /// <summary>Seed of the model initialization.</summary>
    public ulong Seed { get; init; } = 1337;
    /// <summary>Seed of the epoch shuffles.</summary>
    public ulong DataSeed { get; init; } = 1;
    /// <summary>Write a checkpoint every this many steps (0: only at the end and on interrupt).</summary>
    public int CheckpointEvery { get; init; } = 100;
    /// <summary>Stop after this many steps (0: as many as <see cref="Epochs"/> give).</summary>
    public int MaxSteps { get; init; }

    /// <summary>Checks every number; the message names the field.</summary>
    public void Validate()
    {
        LmRecipe.Check(Epochs > 0, nameof(Epochs)); LmRecipe.Check(Batch > 0, nameof(Batch)); LmRecipe.Check(Lr > 0, nameof(Lr));
        LmRecipe.Check(Warmup >= 0, nameof(Warmup)); LmRecipe.Check(WeightDecay >= 0, nameof(WeightDecay));
        LmRecipe.Check(CheckpointEvery >= 0, nameof(CheckpointEvery)); LmRecipe.Check(MaxSteps >= 0, nameof(MaxSteps));
    }
}
