using System.Numerics.Tensors;
using Ortho.Data;
using Ortho.Models;

namespace Ortho.Inference;

/// <summary>A language model's loss over a whole token sequence (every token but the first predicted once).</summary>
/// <param name="Tokens">Predicted tokens.</param>
/// <param name="TotalNats">Sum of their cross-entropies, in nats.</param>
/// <param name="Bytes">UTF-8 bytes of text those tokens stand for (equal to <paramref name="Tokens"/> for a byte-level model).</param>
/// <param name="Sequences">How many sequences (context windows) the tokens were cut into.</param>
public sealed record LmEvaluation(long Tokens, double TotalNats, double Bytes, int Sequences)
{
    /// <summary>Mean cross-entropy per token, in nats (the training log's loss unit).</summary>
    public double NatsPerToken => TotalNats / Tokens;

    /// <summary>Cross-entropy per byte of text, in nats: comparable across tokenizers.</summary>
    public double NatsPerByte => TotalNats / Bytes;

    /// <summary>Cross-entropy per byte of text, in bits (the usual unit for byte-level models).</summary>
    public double BitsPerByte => NatsPerByte / Math.Log(2);

    /// <summary>exp(nats per token): the per-token perplexity.</summary>
    public double Perplexity => Math.Exp(NatsPerToken);
}

/// <summary>A classifier's accuracy and confusion matrix on a labelled image set.</summary>
/// <param name="Confusion">Counts [true class, predicted class].</param>
/// <param name="ClassNames">One name per class.</param>
public sealed record ImageEvaluation(int[,] Confusion, IReadOnlyList<string> ClassNames)
{
    /// <summary>Number of images.</summary>
    public int Count => Confusion.Cast<int>().Sum();

    /// <summary>Images classified correctly.</summary>
    public int Correct => Enumerable.Range(0, Confusion.GetLength(0)).Sum(i => Confusion[i, i]);

    /// <summary>Fraction classified correctly.</summary>
    public double Accuracy => (double)Correct / Count;

    /// <summary>Per class: the fraction of its images classified as it (recall); NaN for a class with no images.</summary>
    public double Recall(int cls)
    {
        int n = Enumerable.Range(0, Confusion.GetLength(1)).Sum(j => Confusion[cls, j]);
        return n == 0 ? double.NaN : (double)Confusion[cls, cls] / n;
    }
}

/// <summary>Evaluates trained models on whole data splits, without gradients.</summary>
public static class Evaluation
{
    /// <summary>Fashion-MNIST's class names, label 0 to 9.</summary>
    public static IReadOnlyList<string> FashionMnistClasses { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// The loss of <paramref name="model"/> on all of <paramref name="tokens"/>: cut into non-overlapping windows of the
    /// model's block size (the last one shorter), each token predicted from the tokens before it in its window, so
    /// every token but the first is predicted exactly once.
    /// </summary>
    /// <param name="model">The GPT.</param>
    /// <param name="tokens">The token ids (e.g. the validation split's bytes).</param>
    /// <param name="bytes">Bytes of text the predicted tokens stand for; default: one per token (byte-level models).</param>
    /// <param name="batch">Windows per forward pass.</param>
    /// <param name="progress">Reports the fraction done after each forward pass.</param>
    public static LmEvaluation Lm(Gpt model, ReadOnlySpan<int> tokens, double? bytes = null, int batch = 16, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be at least 1.");
        if (tokens.Length < 2) throw new ArgumentException($"need at least 2 tokens to evaluate, got {tokens.Length}.", nameof(tokens));
        int vocab = model.Config.Vocab;
        foreach (int t in tokens)
            if ((uint)t >= (uint)vocab) throw new ArgumentException($"token id {t} is outside the model's vocabulary [0, {vocab}).", nameof(tokens));
        int block = model.Config.Block;
        long targets = tokens.Length - 1;
        int full = (int)(targets / block), tail = (int)(targets - (long)full * block);
        int windows = full + (tail > 0 ? 1 : 0);
        var x = new int[batch * block];
        var y = new int[batch * block];
        double nats = 0;
        using var noGrad = Tensor.NoGrad();
        for (int w = 0; w < windows;)
        {
            // Batches of full windows, then the shorter last window alone.
            int n = w < full ? Math.Min(batch, full - w) : 1, len = w < full ? block : tail;
            for (int i = 0; i < n; i++)
            {
                tokens.Slice((w + i) * block, len).CopyTo(x.AsSpan(i * len));
                tokens.Slice((w + i) * block + 1, len).CopyTo(y.AsSpan(i * len));
            }
            using (Tensor.Scope())
                nats += (double)model.Loss(x.AsSpan(0, n * len), y.AsSpan(0, n * len), n, len).Item() * n * len;
            w += n;
            progress?.Report((double)w / windows);
        }
        return new LmEvaluation(targets, nats, bytes ?? targets, windows);
    }

    /// <summary>Accuracy and confusion matrix of <paramref name="model"/> on every image of <paramref name="data"/>.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="data">Labelled images of the model's channel count.</param>
    /// <param name="classNames">Names of the classes (default: Fashion-MNIST's when the model has 10 classes, else "0", "1", ...).</param>
    /// <param name="batch">Images per forward pass.</param>
    /// <param name="progress">Reports the fraction done after each forward pass.</param>
    public static ImageEvaluation Images(ConvNeXt model, ImageDataset data, IReadOnlyList<string>? classNames = null, int batch = 500, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be at least 1.");
        int classes = model.Config.Classes;
        classNames ??= classes == FashionMnistClasses.Count ? FashionMnistClasses : Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (classNames.Count != classes) throw new ArgumentException($"{classNames.Count} class names for a model of {classes} classes.", nameof(classNames));
        if (data.Channels != model.Config.InChans)
            throw new ArgumentException($"the images have {data.Channels} channel(s), the model takes {model.Config.InChans}.", nameof(data));
        var confusion = new int[classes, classes];
        var images = new float[batch * data.ImageSize];
        var labels = new int[batch];
        using var noGrad = Tensor.NoGrad();
        for (int start = 0; start < data.Count; start += batch)
        {
            using var scope = Tensor.Scope();
            int n = Math.Min(batch, data.Count - start);
            data.CopyRange(start, n, images, labels);
            var logits = model.Forward(Tensor.FromArray(images.AsSpan(0, n * data.ImageSize), n, data.Channels, data.Height, data.Width)).Data;
            for (int i = 0; i < n; i++)
            {
                if (labels[i] >= classes) throw new ArgumentException($"image {start + i} has label {labels[i]}, but the model has {classes} classes.", nameof(data));
                confusion[labels[i], TensorPrimitives.IndexOfMax(logits.Slice(i * classes, classes))]++;
            }
            progress?.Report((double)(start + n) / data.Count);
        }
        return new ImageEvaluation(confusion, classNames);
    }
}
