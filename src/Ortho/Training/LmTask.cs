using System.Globalization;
using Ortho.Data;
using Ortho.Models;
using Ortho.NN;

namespace Ortho.Training;

/// <summary>A GPT on a corpus with the <see cref="LmRecipe"/> (bytes, or any tokenizer's ids): random windows, validation loss at the end.</summary>
public sealed class LmTask : ITrainingTask
{
    private readonly int[] _validation;
    private readonly LmBatchSampler _sampler;
    private readonly int[] _x, _y;

    /// <summary>Builds the model and the sampler from the recipe, over bytes (a byte-level recipe).</summary>
    public LmTask(LmRecipe recipe, byte[] train, byte[] validation)
        : this(recipe, Array.ConvertAll(train ?? throw new ArgumentNullException(nameof(train)), b => (int)b),
            Array.ConvertAll(validation ?? throw new ArgumentNullException(nameof(validation)), b => (int)b))
    {
    }

    /// <summary>Builds the model and the sampler from the recipe, over token ids of the recipe's vocabulary.</summary>
    /// <exception cref="ArgumentException">The data is too short for a window, or holds an id outside the vocabulary.</exception>
    public LmTask(LmRecipe recipe, int[] train, int[] validation)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        recipe.Validate();
        if (train.Length <= recipe.Block + 1 || validation.Length <= recipe.Block + 1)
            throw new ArgumentException($"LM data too short for block {recipe.Block}: train {train.Length} tokens, validation {validation.Length} tokens.");
        foreach (var (split, ids) in new[] { ("train", train), ("validation", validation) })
            if (System.Numerics.Tensors.TensorPrimitives.Max<int>(ids) >= recipe.Vocab || System.Numerics.Tensors.TensorPrimitives.Min<int>(ids) < 0)
                throw new ArgumentException($"LM {split} data holds token ids outside the model's vocabulary [0, {recipe.Vocab}).");
        Recipe = recipe;
        _validation = validation;
        Gpt = recipe.BuildModel();
        _sampler = new LmBatchSampler(train, recipe.Train.Batch, recipe.Block, new Rng(recipe.Train.DataSeed));
        _x = new int[recipe.Train.Batch * recipe.Block];
        _y = new int[_x.Length];
        ConfigJson = recipe.ToConfigJson();
    }

    /// <summary>The recipe.</summary>
    public LmRecipe Recipe { get; }

    /// <summary>The model.</summary>
    public Gpt Gpt { get; }

    /// <inheritdoc/>
    public TrainRecipe Train => Recipe.Train;

    /// <inheritdoc/>
    public Module Model => Gpt;

    /// <inheritdoc/>
    public int TotalSteps => Recipe.Train.Steps;

    /// <inheritdoc/>
    public int ItemsPerStep => _x.Length;

    /// <inheritdoc/>
    public string ConfigJson { get; }

    /// <summary>The sampler's RNG offset.</summary>
    public string SamplerState
    {
        get => _sampler.Rng.Offset.ToString(CultureInfo.InvariantCulture);
        set => _sampler.Rng.Offset = ulong.Parse(value, CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public void NextBatch() => _sampler.Next(_x, _y);

    /// <inheritdoc/>
    public Tensor Loss() => Gpt.Loss(_x, _y, Recipe.Train.Batch, Recipe.Block);

    /// <summary>
    /// The validation loss over the fixed validation batches (<see cref="LmRecipe.EvalBatches"/> batches drawn with
    /// <see cref="LmRecipe.EvalSeed"/>); the subset is the first quarter of those batches (rounded up).
    /// </summary>
    public EvalResult Evaluate(bool full, CancellationToken cancel = default)
    {
        int all = Recipe.EvalBatches, subset = (all + 3) / 4;
        var s = new LmBatchSampler(_validation, Recipe.Train.Batch, Recipe.Block, new Rng(Recipe.EvalSeed));
        var x = new int[_x.Length];
        var y = new int[_y.Length];
        double sum = 0, subsetSum = 0;
        using var _ = Tensor.NoGrad();
        for (int i = 0; i < (full ? all : subset); i++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = Tensor.Scope();
            s.Next(x, y);
            sum += Gpt.Loss(x, y, Recipe.Train.Batch, Recipe.Block).Item();
            if (i + 1 == subset) subsetSum = sum;
        }
        int batch = Recipe.Train.Batch;
        return new EvalResult(new Evaluation(subsetSum / subset, null, subset * batch), full ? new Evaluation(sum / all, null, all * batch) : null);
    }
}
