using System.Text.Json;
using Ortho.Data;
using Ortho.Models;
using Ortho.NN;

namespace Ortho.Training;

/// <summary>The ConvNeXt on an image data set with the <see cref="ImageRecipe"/>: shuffled epochs, test loss and accuracy.</summary>
public sealed class ImageTask : ITrainingTask
{
    private readonly ImageDataset _train, _test;
    private readonly ImageBatchSampler _sampler;
    private readonly float[] _images;
    private readonly int[] _labels;
    private int _n;

    /// <summary>Builds the model (input channels and image size from <paramref name="train"/>) and the sampler from the recipe.</summary>
    public ImageTask(ImageRecipe recipe, ImageDataset train, ImageDataset test)
    {
        if (train.Count == 0 || test.Count == 0) throw new ArgumentException($"Image data: {train.Count} training and {test.Count} test images; both must be > 0.");
        Recipe = recipe with { Model = recipe.Model with { ImageSize = train.Height, InChans = train.Channels } };
        Recipe.Validate(trainImages: train.Count);
        _train = train;
        _test = test;
        Net = Recipe.BuildModel();
        _sampler = new ImageBatchSampler(train, recipe.Train.Batch, new Rng(recipe.Train.DataSeed));
        TotalSteps = Recipe.TotalSteps(train.Count);
        _images = new float[recipe.Train.Batch * train.ImageSize];
        _labels = new int[recipe.Train.Batch];
        ConfigJson = Recipe.ToConfigJson();
    }

    /// <summary>The recipe, its model fitted to the data's channels and image size.</summary>
    public ImageRecipe Recipe { get; }

    /// <summary>The model.</summary>
    public ConvNeXt Net { get; }

    /// <inheritdoc/>
    public TrainRecipe Train => Recipe.Train;

    /// <inheritdoc/>
    public Module Model => Net;

    /// <inheritdoc/>
    public int TotalSteps { get; }

    /// <inheritdoc/>
    public int ItemsPerStep => Recipe.Train.Batch;

    /// <inheritdoc/>
    public string ConfigJson { get; }

    /// <summary>The sampler's (epoch, position, shuffle offset) as JSON, so a resumed run replays the same shuffles.</summary>
    public string SamplerState
    {
        get => JsonSerializer.Serialize(_sampler.GetState());
        set => _sampler.SetState(JsonSerializer.Deserialize<ImageSamplerState>(value));
    }

    /// <inheritdoc/>
    public void NextBatch() => _n = _sampler.Next(_images, _labels);

    /// <inheritdoc/>
    public Tensor Loss() => Functional.CrossEntropy(Net.Forward(Batch()), _labels.AsSpan(0, _n));

    private Tensor Batch() => Tensor.FromArray(_images.AsSpan(0, _n * _train.ImageSize), _n, _train.Channels, _train.Height, _train.Width);

    /// <summary>
    /// Mean cross-entropy and accuracy on the test images in their stored order (batches of 500); the subset is the
    /// first quarter of them (rounded up).
    /// </summary>
    public EvalResult Evaluate(bool full, CancellationToken cancel = default)
    {
        const int chunk = 500;
        int all = _test.Count, subset = (all + 3) / 4;
        var imgs = new float[chunk * _test.ImageSize];
        var labels = new int[chunk];
        double loss = 0;
        int correct = 0;
        Evaluation? first = null;
        using var _ = Tensor.NoGrad();
        for (int start = 0; start < (full ? all : subset);)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = Tensor.Scope();
            // Chunks end at the subset's end, so its numbers come out of the same pass.
            int n = Math.Min(chunk, (start < subset ? subset : all) - start);
            _test.CopyRange(start, n, imgs, labels);
            var logits = Net.Forward(Tensor.FromArray(imgs.AsSpan(0, n * _test.ImageSize), n, _test.Channels, _test.Height, _test.Width));
            loss += Functional.CrossEntropy(logits, labels.AsSpan(0, n)).Item() * (double)n;
            var l = logits.Data;
            int classes = logits.Size(1);
            for (int i = 0; i < n; i++)
                if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(l.Slice(i * classes, classes)) == labels[i]) correct++;
            start += n;
            if (start == subset) first = new Evaluation(loss / subset, (double)correct / subset, subset);
        }
        return new EvalResult(first!.Value, full ? new Evaluation(loss / all, (double)correct / all, all) : null);
    }

    /// <summary>Fraction of all test images classified correctly.</summary>
    public double TestAccuracy() => Evaluate(true).Full!.Value.Accuracy!.Value;
}
