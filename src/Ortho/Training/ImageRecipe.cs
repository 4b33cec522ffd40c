using System.Text.Json;
using System.Text.Json.Serialization;
using Ortho.Models;

namespace Ortho.Training;

/// <summary>
/// The default image recipe (the PyTorch peer's scripts/peer/train_convnext.py): the Fashion-MNIST ConvNeXt (dims 32/64/128, depths 2/2/2) trained for one epoch of
/// batches of 128 with AdamW (lr 2e-3 to 0, 100 warmup steps, weight decay 0.05, betas 0.9/0.999, no clip).
/// </summary>
public sealed record ImageRecipe
{
    /// <summary>The image task's optimization defaults (<see cref="TrainRecipe.Steps"/> 0: <see cref="Epochs"/> decide).</summary>
    public static TrainRecipe DefaultTrain { get; } = new()
    {
        Steps = 0, Batch = 128, Lr = 2e-3f, MinLr = 0f, Warmup = 100, WeightDecay = 0.05f, Beta1 = 0.9f, Beta2 = 0.999f, Clip = 0f,
        Seed = 1337, DataSeed = 1, CheckpointEvery = 100,
    };

    /// <summary>Steps (the run's and the schedule's length; 0: <see cref="Epochs"/> decide), batch, optimizer, schedule, clip, seeds and checkpoint interval.</summary>
    public TrainRecipe Train { get; init; } = DefaultTrain;
    /// <summary>Epochs over the training images (fractions allowed); used when <see cref="TrainRecipe.Steps"/> is 0.</summary>
    public double Epochs { get; init; } = 1;
    /// <summary>The model; its input channels and image size are taken from the data.</summary>
    public ConvNeXtConfig Model { get; init; } = ConvNeXtConfig.FashionMnist("hermite:3");

    /// <summary>A freshly initialized model (seeded by <see cref="TrainRecipe.Seed"/>).</summary>
    public ConvNeXt BuildModel() => new(Model, new Rng(Train.Seed));

    /// <summary>The steps of a run over <paramref name="trainImages"/> images: <see cref="TrainRecipe.Steps"/> when it is
    /// set, else the epochs' full batches (at least one).</summary>
    public int TotalSteps(int trainImages)
    {
        if (Train.Steps > 0) return Train.Steps;
        double steps = Math.Floor(Epochs * trainImages / Train.Batch);
        return steps > int.MaxValue ? throw new ArgumentException($"Recipe value 'Epochs' = {Epochs} gives {steps:N0} steps, more than {int.MaxValue:N0}.")
            : Math.Max(1, (int)steps);
    }

    /// <summary>
    /// Checks every number before any data is loaded (and, given <paramref name="trainImages"/>, the step count the
    /// epochs give): the shared part (<see cref="TrainRecipe.Validate"/>), the epochs, the model and that a batch's
    /// largest activation fits in one array. The message names the field through <paramref name="name"/> (the CLI
    /// passes its flags), its value and the allowed range.
    /// </summary>
    public void Validate(Func<string, string>? name = null, int? trainImages = null)
    {
        Train.Validate(name, stepsMayBeZero: true);
        var c = new RecipeCheck(name);
        c.Require(double.IsFinite(Epochs) && Epochs > 0, nameof(Epochs), Epochs, "a finite number > 0");
        Model.Validate();
        // The largest activation: the first stage's MLP hidden layer, 4 x Dims[0] values per pixel of the stem's output.
        long perImage = 4L * Model.Dims[0] * (Model.ImageSize / Model.Stem) * (Model.ImageSize / Model.Stem);
        long maxBatch = Math.Max(1, Array.MaxLength / Math.Max(1, perImage));
        c.Require(Train.Batch <= maxBatch, nameof(TrainRecipe.Batch), Train.Batch, $"<= {maxBatch:N0}: a batch's largest activation ({perImage:N0} values per image) must fit in one array");
        if (trainImages is int images)
            c.Require(Train.Batch <= images, nameof(TrainRecipe.Batch), Train.Batch, $"<= {images:N0}, the number of training images");
        if (trainImages is int n && Train.Steps == 0)
            c.Require(Epochs * n / Train.Batch <= int.MaxValue, nameof(Epochs), Epochs, $"at most {(double)int.MaxValue * Train.Batch / n:G4}: {n:N0} images in batches of {Train.Batch} per epoch, at most {int.MaxValue:N0} steps");
    }

    /// <summary>
    /// The run's identity as stored in checkpoints and model files, in the layout of the first checkpoint format:
    /// {"recipe": the flat recipe with the activation and the step limit (checkpoint interval zeroed), "model": the
    /// ConvNeXt config}. Resume compares it as a string.
    /// </summary>
    public string ToConfigJson() => JsonSerializer.Serialize(new StoredConfig(
        new StoredRecipe(Epochs, Train.Batch, Model.Activation, Train.Lr, Train.MinLr, Train.Warmup, Train.WeightDecay, Train.Beta1, Train.Beta2,
            Train.Clip, Train.Seed, Train.DataSeed, 0, Train.Steps), Model));

    /// <summary>The recipe back from <see cref="ToConfigJson"/> (the checkpoint interval comes back as zero).</summary>
    public static ImageRecipe FromConfigJson(string json)
    {
        var s = JsonSerializer.Deserialize<StoredConfig>(json);
        if (s?.Recipe is not { } r || s.Model is null) throw new InvalidDataException("image config lacks 'recipe' or 'model'");
        return new ImageRecipe
        {
            Train = new TrainRecipe
            {
                Steps = r.MaxSteps, Batch = r.Batch, Lr = r.Lr, MinLr = r.MinLr, Warmup = r.Warmup, WeightDecay = r.WeightDecay, Beta1 = r.Beta1,
                Beta2 = r.Beta2, Clip = r.Clip, Seed = r.Seed, DataSeed = r.DataSeed, CheckpointEvery = r.CheckpointEvery,
            },
            Epochs = r.Epochs,
            Model = s.Model,
        };
    }

    /// <summary>Whether <paramref name="root"/> is an image config (it has a recipe and a model).</summary>
    internal static bool IsConfig(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("recipe", out _) && root.TryGetProperty("model", out _);

    /// <summary>The stored layout, field for field and in this order.</summary>
    private sealed record StoredConfig([property: JsonPropertyName("recipe")] StoredRecipe? Recipe, [property: JsonPropertyName("model")] ConvNeXtConfig? Model);

    private sealed record StoredRecipe(double Epochs, int Batch, string Activation, float Lr, float MinLr, int Warmup, float WeightDecay, float Beta1,
        float Beta2, float Clip, ulong Seed, ulong DataSeed, int CheckpointEvery, int MaxSteps);
}
