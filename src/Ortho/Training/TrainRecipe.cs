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
    /// <summary>
    /// Evaluate every this many steps and record it in metrics.jsonl (null: automatically, 5 evenly spaced evaluations,
    /// the last one the final evaluation; 0: only the final evaluation). Evaluations do not change the trained weights.
    /// </summary>
    public int? EvalEvery { get; init; }

    /// <summary>The evaluation interval of a run of <paramref name="totalSteps"/> steps: <see cref="EvalEvery"/>, or
    /// one fifth of the run (rounded up) when it is null; 0 means the final evaluation only.</summary>
    public int EvalInterval(int totalSteps) => EvalEvery ?? Math.Max(1, (totalSteps + 4) / 5);

    /// <summary>
    /// Checks every number before anything is loaded or written; the message names the field (through
    /// <paramref name="name"/>: the CLI passes its flags, e.g. <c>--min-lr</c>), its value and the allowed range.
    /// </summary>
    /// <param name="name">Display name of a field (default: <c>'Field'</c>).</param>
    /// <param name="stepsMayBeZero">Whether 0 steps is allowed (the image task: its epochs decide).</param>
    public void Validate(Func<string, string>? name = null, bool stepsMayBeZero = true)
    {
        var c = new RecipeCheck(name);
        if (stepsMayBeZero) c.Require(Steps >= 0, nameof(Steps), Steps, ">= 0");
        else c.Require(Steps > 0, nameof(Steps), Steps, "> 0");
        c.Require(Batch > 0, nameof(Batch), Batch, "> 0");
        c.Require(float.IsFinite(Lr) && Lr > 0, nameof(Lr), Lr, "a finite number > 0");
        c.Require(float.IsFinite(MinLr) && MinLr >= 0 && MinLr <= Lr, nameof(MinLr), MinLr, $"in [0, {c.Name(nameof(Lr))} = {RecipeCheck.Text(Lr)}]: the cosine decays from the peak down to it");
        c.Require(Warmup >= 0, nameof(Warmup), Warmup, ">= 0");
        c.Require(float.IsFinite(WeightDecay) && WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "a finite number >= 0");
        c.Require((double)Lr * WeightDecay < 1, nameof(WeightDecay), WeightDecay,
            $"< 1 / {c.Name(nameof(Lr))} = {RecipeCheck.Text(1 / (double)Lr)}: each step multiplies the weights by 1 - lr x weight decay");
        c.Require(Beta1 is >= 0 and < 1, nameof(Beta1), Beta1, "in [0, 1)");
        c.Require(Beta2 is >= 0 and < 1, nameof(Beta2), Beta2, "in [0, 1)");
        c.Require(float.IsFinite(Clip) && Clip >= 0, nameof(Clip), Clip, "a finite number >= 0 (0: off)");
        c.Require(CheckpointEvery >= 0, nameof(CheckpointEvery), CheckpointEvery, ">= 0 (0: at the end and on interrupt only)");
        if (EvalEvery is int e) c.Require(e >= 0, nameof(EvalEvery), e, ">= 0 (0: the final evaluation only)");
    }

    /// <summary>AdamW with the paper's groups (weight decay on tensors of rank >= 2 only) over <paramref name="model"/>.</summary>
    public AdamW CreateOptimizer(Module model) => AdamW.ForModel(model, Lr, WeightDecay, Beta1, Beta2);

    /// <summary>The learning-rate schedule of a run of <paramref name="totalSteps"/> steps.</summary>
    public WarmupCosineSchedule Schedule(int totalSteps) => new(Lr, MinLr, Warmup, totalSteps);
}
