using Ortho.Data;
using Ortho.Models;
using Ortho.NN;
using Ortho.Training;

namespace Ortho.Cli.Bench;

/// <summary>
/// The model sizes <c>ortho bench train --preset</c> measures, from the default recipes' models up to GPT-2 124M and
/// ConvNeXt-T. Each is trained as the trainer trains: its recipe's AdamW, clip and guarded <see cref="TrainStep"/>, on
/// synthetic batches of its shapes (random token ids or images).
/// </summary>
internal static class TrainPresets
{
    /// <summary>One size: its task ("lm" or "image"), name, what it is, and the batch it runs at unless told otherwise.</summary>
    internal sealed record Preset(string Task, string Name, string Description, int Batch);

    /// <summary>Every preset, smallest first within a task.</summary>
    public static IReadOnlyList<Preset> All { get; } =
    [
        new("lm", "default", "the default LM recipe's byte-level GPT: 4 layers x 128 dims, 4 heads, block 128", 16),
        new("lm", "small", "byte-level GPT, 6 layers x 384 dims, 6 heads, block 256", 8),
        new("lm", "gpt2", "GPT-2 124M: 12 layers x 768 dims, 12 heads, block 1024, vocabulary 50257", 1),
        new("image", "default", "the default image recipe's Fashion-MNIST ConvNeXt: dims 32/64/128, depths 2/2/2, 28x28x1", 128),
        new("image", "small", "ConvNeXt with ConvNeXt-atto's widths (dims 40/80/160/320, depths 2/2/6/2) at 128x128x3, 100 classes", 16),
        new("image", "convnext-t", "ConvNeXt-T: dims 96/192/384/768, depths 3/3/9/3, 224x224x3, 1000 classes", 8),
    ];

    /// <summary>The preset <paramref name="name"/> of <paramref name="task"/>; the error lists the task's presets.</summary>
    public static Preset Find(string task, string name) =>
        All.FirstOrDefault(p => p.Task == task && p.Name == name)
        ?? throw new ArgumentException($"--preset: '{name}' is not a {task} preset; choose from {string.Join(", ", All.Where(p => p.Task == task).Select(p => p.Name))}.");

    /// <summary>The GPT of an LM preset with <paramref name="activation"/>; <paramref name="block"/> &gt; 0 replaces its block size.</summary>
    public static GptConfig LmModel(Preset p, string activation, int block)
    {
        var c = p.Name switch
        {
            "default" => GptConfig.DefaultLm(activation),
            "small" => new GptConfig(ByteTokenizer.VocabSize, 256, 6, 6, 384, activation),
            "gpt2" => GptConfig.Gpt2Small(activation),
            _ => throw new InvalidOperationException(p.Name),
        };
        return block > 0 ? c with { Block = block } : c;
    }

    /// <summary>The ConvNeXt of an image preset with <paramref name="activation"/>.</summary>
    public static ConvNeXtConfig ImageModel(Preset p, string activation) => p.Name switch
    {
        "default" => ConvNeXtConfig.FashionMnist(activation),
        "small" => new ConvNeXtConfig(3, 100, [2, 2, 6, 2], [40, 80, 160, 320], 4, activation, 128),
        "convnext-t" => ConvNeXtConfig.Tiny(activation),
        _ => throw new InvalidOperationException(p.Name),
    };

    /// <summary>
    /// A preset ready to step: the model, the recipe's AdamW and clip, and a fresh synthetic batch per step.
    /// <paramref name="batch"/> and <paramref name="block"/> (LM only) replace the preset's when &gt; 0.
    /// </summary>
    public static TrainCase Build(Preset p, string activation, int batch, int block)
    {
        if (batch <= 0) batch = p.Batch;
        return p.Task == "lm" ? Lm(LmModel(p, activation, block), batch) : Image(ImageModel(p, activation), batch);
    }

    /// <summary>The LM recipe's optimizer and clip on <paramref name="config"/>, with random token ids (a new batch each step).</summary>
    private static TrainCase Lm(GptConfig config, int batch)
    {
        var train = LmRecipe.DefaultTrain with { Batch = batch };
        var model = new Gpt(config, new Rng(train.Seed));
        int tokens = batch * config.Block;
        if ((long)tokens * Math.Max(config.Vocab, 4 * config.Embd) > Array.MaxLength)
            throw new ArgumentException($"--batch {batch} x --block {config.Block}: the step's logits ({tokens:N0} tokens x {config.Vocab:N0}) do not fit in one array.");
        var x = new int[tokens];
        var y = new int[tokens];
        var rng = new Rng(train.DataSeed);
        void Next()
        {
            for (int i = 0; i < tokens; i++) x[i] = rng.NextInt(config.Vocab);
            for (int i = 0; i < tokens; i++) y[i] = rng.NextInt(config.Vocab);
        }
        return new TrainCase(model, new TrainStep(model, train.CreateOptimizer(model), train.Clip), train.Lr, Next,
            () => model.Loss(x, y, batch, config.Block), batch, config.Block, tokens, "tokens");
    }

    /// <summary>The image recipe's task (optimizer, no clip, sampler) on <paramref name="batch"/> random images of the model's size.</summary>
    private static TrainCase Image(ConvNeXtConfig config, int batch)
    {
        var recipe = new ImageRecipe { Model = config, Train = ImageRecipe.DefaultTrain with { Batch = batch } };
        int size = config.ImageSize, chans = config.InChans;
        var rng = new Rng(1);
        var images = new float[(long)batch * chans * size * size];
        rng.FillNormal(images);
        var labels = new byte[batch];
        for (int i = 0; i < batch; i++) labels[i] = (byte)rng.NextInt(Math.Min(config.Classes, 256));
        var data = new ImageDataset(images, labels, chans, size, size);
        var task = new ImageTask(recipe, data, data);
        return new TrainCase(task.Model, TrainStep.ForTask(task), task.Train.Lr, task.NextBatch, task.Loss, batch, size, batch, "images");
    }
}

/// <summary>One model ready to train on synthetic batches: draw the next batch, then run the guarded step.</summary>
internal sealed class TrainCase(Module model, TrainStep step, float lr, Action nextBatch, Func<Tensor> loss, int batch, int size, int items, string itemName)
{
    private int _n;

    /// <summary>The model.</summary>
    public Module Model { get; } = model;

    /// <summary>Sequences or images per step.</summary>
    public int Batch { get; } = batch;

    /// <summary>Tokens per sequence (LM) or the image's edge in pixels.</summary>
    public int Size { get; } = size;

    /// <summary>Tokens or images per step.</summary>
    public int Items { get; } = items;

    /// <summary>"tokens" or "images".</summary>
    public string ItemName { get; } = itemName;

    /// <summary>Parameter elements.</summary>
    public long Parameters { get; } = model.Parameters().Sum(p => (long)p.Length);

    /// <summary>Draws a batch and runs the step at the recipe's peak learning rate.</summary>
    public void Step()
    {
        nextBatch();
        step.Run(++_n, lr, loss);
    }
}
