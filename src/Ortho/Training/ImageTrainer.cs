using System.Text.Json;
using Ortho.Data;
using Ortho.Models;
using Ortho.NN;
using Ortho.Optim;

namespace Ortho.Training;

/// <summary>Trains the Fashion-MNIST ConvNeXt with the <see cref="ImageRecipe"/>; test accuracy at the end.</summary>
public sealed class ImageTrainer : Trainer
{
    private readonly ImageRecipe _r;
    private readonly ImageDataset _test;
    private readonly ImageBatchSampler _sampler;
    private readonly WarmupCosineSchedule _schedule;
    private readonly float[] _images;
    private readonly int[] _labels;
    private readonly AdamW _opt;
    private readonly ImageDataset _train;

    /// <summary>Creates the model, optimizer and sampler from the recipe.</summary>
    public ImageTrainer(ImageRecipe recipe, ImageDataset train, ImageDataset test, string runDirectory, ConvNeXtConfig? model = null)
        : base(runDirectory)
    {
        recipe.Validate();
        _r = recipe;
        _train = train;
        _test = test;
        var cfg = (model ?? ConvNeXtConfig.FashionMnist()) with { Activation = recipe.Activation, ImageSize = train.Height, InChans = train.Channels };
        Net = new ConvNeXt(cfg, new Rng(recipe.Seed));
        _opt = new AdamW([new ParamGroup(Net.Parameters().Where(p => p.Rank >= 2), recipe.WeightDecay), new ParamGroup(Net.Parameters().Where(p => p.Rank < 2), 0f)],
            recipe.Lr, recipe.Beta1, recipe.Beta2, 1e-8f, recipe.WeightDecay);
        _sampler = new ImageBatchSampler(train, recipe.Batch, new Rng(recipe.DataSeed));
        int steps = (int)(recipe.Epochs * train.Count / recipe.Batch);
        TotalSteps = Math.Max(1, recipe.MaxSteps > 0 ? Math.Min(steps, recipe.MaxSteps) : steps);
        _schedule = new WarmupCosineSchedule(recipe.Lr, recipe.MinLr, recipe.Warmup, TotalSteps);
        _images = new float[recipe.Batch * train.ImageSize];
        _labels = new int[recipe.Batch];
        ConfigJson = JsonSerializer.Serialize(new { recipe = recipe with { CheckpointEvery = 0 }, model = cfg });
    }

    /// <summary>The model.</summary>
    public ConvNeXt Net { get; }

    /// <inheritdoc/>
    public override Module Model => Net;

    /// <inheritdoc/>
    protected override Optimizer Optimizer => _opt;

    /// <inheritdoc/>
    public override int TotalSteps { get; }

    /// <inheritdoc/>
    protected override int ItemsPerStep => _r.Batch;

    /// <inheritdoc/>
    protected override int CheckpointEvery => _r.CheckpointEvery;

    /// <inheritdoc/>
    protected override float Clip => _r.Clip;

    /// <inheritdoc/>
    protected override string ConfigJson { get; }

    /// <summary>The sampler's (epoch, position, shuffle offset) as JSON, so a resumed run replays the same shuffles.</summary>
    protected override string SamplerState
    {
        get => JsonSerializer.Serialize(_sampler.GetState());
        set => _sampler.SetState(JsonSerializer.Deserialize<ImageSamplerState>(value));
    }

    /// <inheritdoc/>
    protected override float LearningRate(int step) => _schedule.At(step);

    /// <inheritdoc/>
    protected override Tensor NextLoss()
    {
        int n = _sampler.Next(_images, _labels);
        var x = Tensor.FromArray(_images.AsSpan(0, n * _train.ImageSize), n, _train.Channels, _train.Height, _train.Width);
        return Functional.CrossEntropy(Net.Forward(x), _labels.AsSpan(0, n));
    }

    /// <inheritdoc/>
    protected override string? DiagnoseNonFinite()
    {
        var x = Tensor.FromArray(_images, _r.Batch, _train.Channels, _train.Height, _train.Width);
        return Net.FirstNonFiniteModule(x);
    }

    /// <inheritdoc/>
    protected override (double? Loss, double? Accuracy) Evaluate() => (null, TestAccuracy());

    /// <summary>Fraction of test images classified correctly (batches of 500, no gradient).</summary>
    public double TestAccuracy()
    {
        const int chunk = 500;
        var imgs = new float[chunk * _test.ImageSize];
        var labels = new int[chunk];
        int correct = 0;
        using var _ = Tensor.NoGrad();
        for (int start = 0; start < _test.Count; start += chunk)
        {
            using var scope = Tensor.Scope();
            int n = Math.Min(chunk, _test.Count - start);
            _test.CopyRange(start, n, imgs, labels);
            var logits = Net.Forward(Tensor.FromArray(imgs.AsSpan(0, n * _test.ImageSize), n, _test.Channels, _test.Height, _test.Width));
            var l = logits.Data;
            int classes = logits.Size(1);
            for (int i = 0; i < n; i++)
                if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(l.Slice(i * classes, classes)) == labels[i]) correct++;
        }
        return (double)correct / _test.Count;
    }
}
