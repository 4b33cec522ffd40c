using Ortho.Data;
using Ortho.Models;
using Ortho.NN;

namespace Ortho.Inference;

/// <summary>The held-out data a trained model is evaluated on: the Brown validation split for a GPT, Fashion-MNIST's test images for a ConvNeXt.</summary>
public static class EvaluationData
{
    /// <summary>
    /// The Brown corpus's validation split in the tokens of <paramref name="model"/> (bytes for a byte-level model,
    /// GPT-2's BPE for an imported GPT-2, cached beside the corpus) and its length in UTF-8 bytes.
    /// </summary>
    /// <param name="model">The GPT.</param>
    /// <param name="brownDirectory">The directory of the corpus files.</param>
    public static (int[] Tokens, long Bytes) BrownValidation(Gpt model, string brownDirectory)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (_, validation) = BrownCorpus.Load(brownDirectory);
        var tokenizer = Tokenizers.For(model.Config);
        int[] tokens = tokenizer is ByteTokenizer
            ? Array.ConvertAll(validation, b => (int)b)
            : TokenizedCorpus.Brown(tokenizer, brownDirectory).Validation;
        return (tokens, validation.LongLength);
    }

    /// <summary>
    /// <paramref name="batches"/> forward passes of <paramref name="model"/> on its held-out data, for
    /// <see cref="ActivationInputs.Record"/>: for a GPT, batches of 8 windows of its block size spread evenly over the
    /// Brown validation split; for a ConvNeXt, the first batches of 64 Fashion-MNIST test images.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="dataDirectory">The data root holding <c>brown/</c> and <c>fashion-mnist/</c>.</param>
    /// <param name="batches">How many batches.</param>
    public static IReadOnlyList<Func<Tensor>> Batches(TrainedModel model, string dataDirectory, int batches)
    {
        ArgumentNullException.ThrowIfNull(model);
        try { return Batches(model.Model, dataDirectory, batches); }
        catch (ArgumentException e) when (e.ParamName == nameof(model)) { throw new ArgumentException($"{model.File}: {e.Message}", e); }
    }

    /// <summary>
    /// <paramref name="batches"/> forward passes of <paramref name="model"/> (a GPT or a ConvNeXt) on held-out data or,
    /// with <paramref name="training"/>, on the training split: for a GPT, batches of 8 windows of its block size spread
    /// evenly over the split's tokens; for a ConvNeXt, the split's first batches of 64 images.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="dataDirectory">The data root holding <c>brown/</c> and <c>fashion-mnist/</c>.</param>
    /// <param name="batches">How many batches.</param>
    /// <param name="training">Take the batches from the training split (e.g. to calibrate a model that is then evaluated on the held-out one).</param>
    public static IReadOnlyList<Func<Tensor>> Batches(Module model, string dataDirectory, int batches, bool training = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batches < 1) throw new ArgumentOutOfRangeException(nameof(batches), batches, "at least one batch.");
        if (model is Gpt gpt)
        {
            const int windows = 8;
            string brown = Path.Combine(dataDirectory, "brown");
            var tokens = training ? TrainingTokens(gpt, brown) : BrownValidation(gpt, brown).Tokens;
            int block = Math.Min(gpt.Config.Block, tokens.Length);
            int count = batches * windows;
            long stride = Math.Max(1, (tokens.Length - block) / Math.Max(1, count - 1));
            var list = new List<Func<Tensor>>();
            for (int b = 0; b < batches; b++)
            {
                var x = new int[windows * block];
                for (int w = 0; w < windows; w++)
                {
                    long start = Math.Min((b * windows + w) * stride, tokens.Length - block);
                    tokens.AsSpan((int)start, block).CopyTo(x.AsSpan(w * block));
                }
                list.Add(() => gpt.Forward(x, windows, block));
            }
            return list;
        }
        if (model is ConvNeXt net)
        {
            const int size = 64;
            var data = FashionMnist.Load(Path.Combine(dataDirectory, "fashion-mnist"));
            var split = training ? data.Train : data.Test;
            var list = new List<Func<Tensor>>();
            for (int start = 0, b = 0; b < batches && start < split.Count; b++, start += size)
            {
                int n = Math.Min(size, split.Count - start);
                var images = new float[n * split.ImageSize];
                split.CopyRange(start, n, images, new int[n]);
                list.Add(() => net.Forward(Tensor.FromArray(images, n, split.Channels, split.Height, split.Width)));
            }
            return list;
        }
        throw new ArgumentException($"no data batches for a {model.GetType().Name}.", nameof(model));
    }

    // The Brown corpus's training split in the model's tokens.
    private static int[] TrainingTokens(Gpt model, string brownDirectory)
    {
        var tokenizer = Tokenizers.For(model.Config);
        return tokenizer is ByteTokenizer
            ? Array.ConvertAll(BrownCorpus.Load(brownDirectory).Train, b => (int)b)
            : TokenizedCorpus.Brown(tokenizer, brownDirectory).Train;
    }
}
