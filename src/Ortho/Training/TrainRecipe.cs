using System.Globalization;
using Ortho.NN;
using Ortho.Optim;

namespace Ortho.Training;

/// <summary>
/// The part of a recipe every task shares: how long and on how big batches to train, AdamW with its warmup-cosine
/// schedule, gradient clipping, the seeds and the checkpoint interval. Start from a task's defaults
/// (<see cref="LmRecipe.DefaultTrain"/>, <see cref="ImageRecipe.DefaultTrain"/>) and override with <c>with</c>.
/// </summary>
public sealed record TrainRecipe
{
    /// <summary>Training steps; 0 lets the task decide (the image task: its epochs). The LM task needs a positive count.</summary>
    public int Steps { get; init; }
    /// <summary>Examples (sequences or images) per batch.</summary>
    public int Batch { get; init; }
    /// <summary>Peak learning rate.</summary>
    public float Lr { get; init; }
    /// <summary>Final learning rate of the cosine.</summary>
    public float MinLr { get; init; }
    /// <summary>Linear warmup steps.</summary>
    public int Warmup { get; init; }
    /// <summary>AdamW weight decay (tensors of rank >= 2 only).</summary>
    public float WeightDecay { get; init; }
    /// <summary>AdamW beta1.</summary>
    public float Beta1 { get; init; } = 0.9f;
    /// <summary>AdamW beta2.</summary>
    public float Beta2 { get; init; } = 0.999f;
    /// <summary>Global gradient-norm clip (0 disables).</summary>
    public float Clip { get; init; }
    /// <summary>Seed of the model initialization.</summary>
    public ulong Seed { get; init; }
    /// <summary>Seed of the training batches (sampling or shuffles).</summary>
    public ulong DataSeed { get; init; }
    /// <summary>Write a checkpoint every this many steps (0: only at the end and on interrupt).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Checks every number; the message names the field, its value and the allowed range.</summary>
    public void Validate()
    {
        Check(Steps >= 0, nameof(Steps), Steps, ">= 0"); Check(Batch > 0, nameof(Batch), Batch, "> 0");
        Check(Lr > 0, nameof(Lr), Lr, "> 0"); Check(MinLr >= 0, nameof(MinLr), MinLr, ">= 0");
        Check(Warmup >= 0, nameof(Warmup), Warmup, ">= 0"); Check(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, ">= 0");
        Check(Beta1 is >= 0 and < 1, nameof(Beta1), Beta1, "in [0, 1)"); Check(Beta2 is >= 0 and < 1, nameof(Beta2), Beta2, "in [0, 1)");
        Check(Clip >= 0, nameof(Clip), Clip, ">= 0"); Check(CheckpointEvery >= 0, nameof(CheckpointEvery), CheckpointEvery, ">= 0");
    }

    /// <summary>AdamW with the paper's groups (weight decay on tensors of rank >= 2 only) over <paramref name="model"/>.</summary>
    public AdamW CreateOptimizer(Module model) => AdamW.ForModel(model, Lr, WeightDecay, Beta1, Beta2);

    /// <summary>The learning-rate schedule of a run of <paramref name="totalSteps"/> steps.</summary>
    public WarmupCosineSchedule Schedule(int totalSteps) => new(Lr, MinLr, Warmup, totalSteps);

    /// <summary>Throws "Recipe value 'Field' = value is out of range (must be rule)." unless <paramref name="ok"/>.</summary>
    internal static void Check(bool ok, string field, IFormattable value, string rule)
    {
        if (!ok) throw new ArgumentException($"Recipe value '{field}' = {value.ToString(null, CultureInfo.InvariantCulture)} is out of range (must be {rule}).");
    }
}
