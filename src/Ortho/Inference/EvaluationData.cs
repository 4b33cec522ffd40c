using Ortho.Data;
using Ortho.Models;

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
        if (batches < 1) throw new ArgumentOutOfRangeException(nameof(batches), batches, "at least one batch.");
        if (model.Gpt is { } gpt)
        {
            const int windows = 8;
            var (tokens, _) = BrownValidation(gpt, Path.Combine(dataDirectory, "brown"));
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
        if (model.ConvNeXt is { } net)
        {
            const int size = 64;
            var test = FashionMnist.Load(Path.Combine(dataDirectory, "fashion-mnist")).Test;
            var list = new List<Func<Tensor>>();
            for (int start = 0, b = 0; b < batches && start < test.Count; b++, start += size)
            {
                int n = Math.Min(size, test.Count - start);
                var images = new float[n * test.ImageSize];
                test.CopyRange(start, n, images, new int[n]);
                list.Add(() => net.Forward(Tensor.FromArray(images, n, test.Channels, test.Height, test.Width)));
            }
            return list;
        }
        throw new ArgumentException($"{model.File}: no held-out data for a {model.Model.GetType().Name}.");
    }
}
