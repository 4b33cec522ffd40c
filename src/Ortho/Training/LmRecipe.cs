using System.Text.Json;
using System.Text.Json.Serialization;
using Ortho.Data;
using Ortho.Models;

namespace Ortho.Training;

/// <summary>
/// The default language-model recipe (the PyTorch peer's scripts/peer/train_gpt.py): a byte-level GPT (block 128, 4 layers, 4 heads, 128 dims) trained for 600
/// steps of 16 sequences with AdamW (lr 1e-3 to 1e-4, 50 warmup steps, weight decay 0.1, betas 0.9/0.95, clip 1);
/// every number can be overridden.
/// </summary>
public sealed record LmRecipe
{
    /// <summary>The LM task's optimization defaults.</summary>
    public static TrainRecipe DefaultTrain { get; } = new()
    {
        Steps = 600, Batch = 16, Lr = 1e-3f, MinLr = 1e-4f, Warmup = 50, WeightDecay = 0.1f, Beta1 = 0.9f, Beta2 = 0.95f, Clip = 1f,
        Seed = 1337, DataSeed = 1, CheckpointEvery = 100,
    };

    /// <summary>Steps, batch, optimizer, schedule, clip, seeds and checkpoint interval.</summary>
    public TrainRecipe Train { get; init; } = DefaultTrain;
    /// <summary>
    /// The vocabulary, which also names the tokenizer: 256 bytes (the default), or GPT-2's 50,257 BPE tokens (a GPT-2
    /// imported from Hugging Face and fine-tuned with <c>--init-from</c>).
    /// </summary>
    public int Vocab { get; init; } = ByteTokenizer.VocabSize;
    /// <summary>Tokens per sequence (and the model's block size).</summary>
    public int Block { get; init; } = 128;
    /// <summary>Transformer blocks.</summary>
    public int Layers { get; init; } = 4;
    /// <summary>Attention heads.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Embedding width.</summary>
    public int Embd { get; init; } = 128;
    /// <summary>MLP activation (activation-spec format).</summary>
    public string Activation { get; init; } = "hermite:3";
    /// <summary>Seed of the fixed validation batches.</summary>
    public ulong EvalSeed { get; init; } = 2;
    /// <summary>Validation batches averaged for the validation loss.</summary>
    public int EvalBatches { get; init; } = 64;

    /// <summary>The model: a GPT over the vocabulary (the 256 byte values by default).</summary>
    public GptConfig Model => new(Vocab, Block, Layers, Heads, Embd, Activation);

    /// <summary>A freshly initialized model (seeded by <see cref="TrainRecipe.Seed"/>).</summary>
    public Gpt BuildModel() => new(Model, new Rng(Train.Seed));

    /// <summary>
    /// Checks every number before any data is loaded: the shared part (<see cref="TrainRecipe.Validate"/>, with a
    /// positive step count), the model's sizes, and that a step's tensors fit in memory's largest array. The message
    /// names the field through <paramref name="name"/> (the CLI passes its flags), its value and the allowed range.
    /// </summary>
    public void Validate(Func<string, string>? name = null)
    {
        Train.Validate(name, stepsMayBeZero: false);
        ValidateModel(name);
        var c = new RecipeCheck(name);
        c.Require(EvalBatches > 0, nameof(EvalBatches), EvalBatches, "> 0");
        // Per token, the logits (vocabulary) or the MLP's hidden layer (4 Embd): a step's must fit in one array.
        long widest = Math.Max(Vocab, 4L * Embd);
        long maxTokens = Array.MaxLength / widest;
        c.Require((long)Train.Batch * Block <= maxTokens, nameof(TrainRecipe.Batch), Train.Batch,
            $"<= {maxTokens / Block:N0} with {c.Name(nameof(Block))} = {Block}: a step's {(long)Train.Batch * Block:N0} tokens x {widest:N0} values each must fit in one array");
    }

    /// <summary>Checks the model's part of the recipe (block, layers, heads, width, activation): what a stored config needs to rebuild the model.</summary>
    public void ValidateModel(Func<string, string>? name = null)
    {
        var c = new RecipeCheck(name);
        c.Require(Vocab is ByteTokenizer.VocabSize or Gpt2Vocab, nameof(Vocab), Vocab, $"{ByteTokenizer.VocabSize} (bytes) or {Gpt2Vocab} (GPT-2's BPE): the tokenizers Ortho knows");
        c.Require(Block > 1, nameof(Block), Block, "> 1");
        c.Require(Layers > 0, nameof(Layers), Layers, "> 0");
        c.Require(Embd > 0, nameof(Embd), Embd, "> 0");
        c.Require(Heads > 0 && Embd % Heads == 0, nameof(Heads), Heads, $"a divisor of {c.Name(nameof(Embd))} = {Embd}");
        // The largest weight, 4 Embd x Embd, must fit in one array.
        long maxEmbd = (long)Math.Sqrt(Array.MaxLength / 4.0);
        c.Require(Embd <= maxEmbd, nameof(Embd), Embd, $"<= {maxEmbd:N0}: a 4 x Embd x Embd weight must fit in one array");
        Ortho.Activations.ActivationSpec.Parse(Activation);
    }

    private const int Gpt2Vocab = Gpt2Tokenizer.EndOfTextId + 1;

    /// <summary>
    /// The run's identity as stored in checkpoints and model files: the flat JSON object of the first checkpoint format
    /// (interval and evaluation size zeroed: they do not change the trained weights; the vocabulary only when it is not
    /// bytes', so byte-level configs stay as they were). Resume compares it as a string.
    /// </summary>
    public string ToConfigJson() => JsonSerializer.Serialize(new StoredConfig(Train.Steps, Train.Batch, Block, Layers, Heads, Embd, Activation,
        Train.Lr, Train.MinLr, Train.Warmup, Train.WeightDecay, Train.Beta1, Train.Beta2, Train.Clip, Train.Seed, Train.DataSeed, EvalSeed, 0, 0,
        Vocab == ByteTokenizer.VocabSize ? 0 : Vocab));

    /// <summary>The recipe back from <see cref="ToConfigJson"/> (the zeroed fields come back as zero).</summary>
    public static LmRecipe FromConfigJson(string json)
    {
        var s = JsonSerializer.Deserialize<StoredConfig>(json) ?? throw new InvalidDataException("empty LM config");
        return new LmRecipe
        {
            Train = new TrainRecipe
            {
                Steps = s.Steps, Batch = s.Batch, Lr = s.Lr, MinLr = s.MinLr, Warmup = s.Warmup, WeightDecay = s.WeightDecay, Beta1 = s.Beta1,
                Beta2 = s.Beta2, Clip = s.Clip, Seed = s.Seed, DataSeed = s.DataSeed, CheckpointEvery = s.CheckpointEvery,
            },
            Vocab = s.Vocab == 0 ? ByteTokenizer.VocabSize : s.Vocab, Block = s.Block, Layers = s.Layers, Heads = s.Heads, Embd = s.Embd, Activation = s.Activation, EvalSeed = s.EvalSeed, EvalBatches = s.EvalBatches,
        };
    }

    /// <summary>Whether <paramref name="root"/> is an LM config (it names the transformer's layers).</summary>
    internal static bool IsConfig(JsonElement root) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(nameof(Layers), out _);

    /// <summary>The stored layout, field for field and in this order (Vocab 0, left out: bytes).</summary>
    private sealed record StoredConfig(int Steps, int Batch, int Block, int Layers, int Heads, int Embd, string Activation, float Lr, float MinLr,
        int Warmup, float WeightDecay, float Beta1, float Beta2, float Clip, ulong Seed, ulong DataSeed, ulong EvalSeed, int EvalBatches, int CheckpointEvery,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Vocab = 0);
}
