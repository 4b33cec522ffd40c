using System.Text.Json;
using Ortho.Data;
using Ortho.Models;
using Ortho.NN;
using Ortho.Optim;

namespace Ortho.Training;

/// <summary>Trains the byte-level GPT on a corpus with the <see cref="LmRecipe"/>; validation loss at the end.</summary>
public sealed class LmTrainer : Trainer
{
    private readonly LmRecipe _r;
    private readonly byte[] _validation;
    private readonly LmBatchSampler _sampler;
    private readonly WarmupCosineSchedule _schedule;
    private readonly int[] _x, _y;
    private readonly AdamW _opt;

    /// <summary>Creates the model, optimizer and sampler from the recipe.</summary>
    public LmTrainer(LmRecipe recipe, byte[] train, byte[] validation, string runDirectory) : base(runDirectory)
    {
        recipe.Validate();
        _r = recipe;
        if (train.Length <= recipe.Block + 1 || validation.Length <= recipe.Block + 1)
            throw new ArgumentException($"LM data too short for block {recipe.Block}: train {train.Length} bytes, validation {validation.Length} bytes.");
        _validation = validation;
        Gpt = new Gpt(new GptConfig(256, recipe.Block, recipe.Layers, recipe.Heads, recipe.Embd, recipe.Activation), new Rng(recipe.Seed));
        _opt = AdamW.ForModel(Gpt, recipe.Lr, recipe.WeightDecay, recipe.Beta1, recipe.Beta2);
        _sampler = new LmBatchSampler(train, recipe.Batch, recipe.Block, new Rng(recipe.DataSeed));
        _schedule = new WarmupCosineSchedule(recipe.Lr, recipe.MinLr, recipe.Warmup, recipe.Steps);
        _x = new int[recipe.Batch * recipe.Block];
        _y = new int[recipe.Batch * recipe.Block];
        ConfigJson = JsonSerializer.Serialize(recipe with { CheckpointEvery = 0, EvalBatches = 0 });
    }

    /// <summary>The model.</summary>
    public Gpt Gpt { get; }

    /// <inheritdoc/>
    public override Module Model => Gpt;

    /// <inheritdoc/>
    protected override Optimizer Optimizer => _opt;

    /// <inheritdoc/>
    public override int TotalSteps => _r.Steps;

    /// <inheritdoc/>
    protected override int ItemsPerStep => _r.Batch * _r.Block;

    /// <inheritdoc/>
    protected override int CheckpointEvery => _r.CheckpointEvery;

    /// <inheritdoc/>
    protected override float Clip => _r.Clip;

    /// <inheritdoc/>
    protected override string ConfigJson { get; }

    /// <inheritdoc/>
    protected override string SamplerState
    {
        get => _sampler.Rng.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
        set => _sampler.Rng.Offset = ulong.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    protected override float LearningRate(int step) => _schedule.At(step);

    /// <inheritdoc/>
    protected override Tensor NextLoss()
    {
        _sampler.Next(_x, _y);
        return Gpt.Loss(_x, _y, _r.Batch, _r.Block);
    }

    /// <inheritdoc/>
    protected override string? DiagnoseNonFinite() => Gpt.FirstNonFiniteModule(_x, _r.Batch, _r.Block);

    /// <inheritdoc/>
    protected override (double? Loss, double? Accuracy) Evaluate() => (ValidationLoss(_r.EvalBatches), null);

    /// <summary>Mean loss over <paramref name="batches"/> validation batches drawn from the fixed evaluation seed.</summary>
    public double ValidationLoss(int batches)
    {
        var s = new LmBatchSampler(_validation, _r.Batch, _r.Block, new Rng(_r.EvalSeed));
        var x = new int[_x.Length];
        var y = new int[_y.Length];
        double sum = 0;
        using var _ = Tensor.NoGrad();
        for (int i = 0; i < batches; i++)
        {
            using var scope = Tensor.Scope();
            s.Next(x, y);
            sum += Gpt.Loss(x, y, _r.Batch, _r.Block).Item();
        }
        return sum / batches;
    }
}
