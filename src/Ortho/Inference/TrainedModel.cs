using System.Globalization;
using System.Text.Json;
using Ortho.Activations;
using Ortho.IO;
using Ortho.Models;
using Ortho.NN;
using Ortho.Training;

namespace Ortho.Inference;

/// <summary>
/// A trained model read back from disk with what is known about its run: a run directory of <c>ortho train</c> (its
/// <c>model.safetensors</c>, else its <c>checkpoint.safetensors</c>), or any model file <see cref="ModelFile.Load"/>
/// reads (Ortho, PyTorch, torchortho, Hugging Face GPT-2). Weights loaded with strict keys, in evaluation mode.
/// </summary>
public sealed class TrainedModel
{
    /// <summary>The model file of a finished run.</summary>
    public const string ModelFileName = "model.safetensors";

    /// <summary>The checkpoint of a run (finished or not).</summary>
    public const string CheckpointFileName = "checkpoint.safetensors";

    /// <summary>The metrics log of a run.</summary>
    public const string MetricsFileName = "metrics.jsonl";

    private TrainedModel(Module model, string file, string? runDirectory, string? configJson, string description, int? step, LmRecipe? lm, ImageRecipe? image,
        IReadOnlyList<string> unknown)
    {
        Unknown = unknown;
        Model = model;
        File = file;
        RunDirectory = runDirectory;
        ConfigJson = configJson;
        Description = description;
        Step = step;
        LmRecipe = lm;
        ImageRecipe = image;
        Name = runDirectory != null ? new DirectoryInfo(runDirectory).Name : Path.GetFileNameWithoutExtension(file);
    }

    /// <summary>The model, weights loaded, in evaluation mode.</summary>
    public Module Model { get; }

    /// <summary>The model as a GPT, or null.</summary>
    public Gpt? Gpt => Model as Gpt;

    /// <summary>The model as a ConvNeXt, or null.</summary>
    public ConvNeXt? ConvNeXt => Model as ConvNeXt;

    /// <summary>The safetensors file the weights came from.</summary>
    public string File { get; }

    /// <summary>The run directory (the file's directory when it holds a metrics log or is a run's model or checkpoint), or null.</summary>
    public string? RunDirectory { get; }

    /// <summary>A short name for legends and tables: the run directory's name, else the file name without extension.</summary>
    public string Name { get; }

    /// <summary>The Ortho <c>config</c> metadata (JSON) the model was rebuilt from; null for a file without one (PyTorch, Hugging Face).</summary>
    public string? ConfigJson { get; }

    /// <summary>The architecture in one line (<see cref="ModelFile.Describe"/>).</summary>
    public string Description { get; }

    /// <summary>What the file does not store and was assumed when loading (e.g. "heads" of a PyTorch GPT; see <see cref="ModelFile.Unknown"/>); empty when everything is known.</summary>
    public IReadOnlyList<string> Unknown { get; }

    /// <summary>The training step the weights are from (a checkpoint's step, or the recipe's steps for a run's model file), when known.</summary>
    public int? Step { get; }

    /// <summary>The LM recipe of an <c>ortho train lm</c> run, or null.</summary>
    public LmRecipe? LmRecipe { get; }

    /// <summary>The image recipe of an <c>ortho train image</c> run, or null.</summary>
    public ImageRecipe? ImageRecipe { get; }

    /// <summary>The run's metrics log, when the run directory has one.</summary>
    public string? MetricsPath => RunDirectory is { } d && System.IO.File.Exists(Path.Combine(d, MetricsFileName)) ? Path.Combine(d, MetricsFileName) : null;

    /// <summary>Every learnable activation module with its dotted name, in model order.</summary>
    public IReadOnlyList<(string Name, LearnableActivation Activation)> LearnableActivations() => LearnableActivationsOf(Model);

    /// <summary>Every learnable activation module of <paramref name="model"/> with its dotted name ("activation" for the root), in model order.</summary>
    public static IReadOnlyList<(string Name, LearnableActivation Activation)> LearnableActivationsOf(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        // A bare activation (e.g. a file of 'ortho fit --out') is the root module: name it "activation".
        return model.NamedModules().Where(m => m.Module is LearnableActivation)
            .Select(m => (m.Name.Length == 0 ? "activation" : m.Name, (LearnableActivation)m.Module)).ToList();
    }

    /// <summary>
    /// Loads a run directory or a model file. A directory must hold <see cref="ModelFileName"/> or
    /// <see cref="CheckpointFileName"/> (the model file wins: it is the finished run); a file is read by
    /// <see cref="ModelFile.Load"/>, so PyTorch- and torchortho-written state dicts and Hugging Face GPT-2 checkpoints
    /// load too.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing to load at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file holds no supported model, or weights that do not fit it.</exception>
    public static TrainedModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string file = path;
        if (Directory.Exists(path))
        {
            file = Path.Combine(path, ModelFileName);
            if (!System.IO.File.Exists(file)) file = Path.Combine(path, CheckpointFileName);
            if (!System.IO.File.Exists(file))
                throw new FileNotFoundException($"{path}: no {ModelFileName} or {CheckpointFileName}; give a run directory of 'ortho train' or a model file.", file);
        }
        else if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or run directory.", path);

        var loaded = ModelFile.Load(file);
        var model = loaded.Model;
        model.Eval();
        var metadata = loaded.Metadata;
        string? config = loaded.Source is ModelFileSource.Ortho or ModelFileSource.OrthoCheckpoint ? metadata.GetValueOrDefault("config") : null;
        LmRecipe? lm = null;
        ImageRecipe? image = null;
        if (config != null)
        {
            using var doc = JsonDocument.Parse(config);
            if (LmRecipe.IsConfig(doc.RootElement)) lm = LmRecipe.FromConfigJson(config);
            else if (ImageRecipe.IsConfig(doc.RootElement)) image = ImageRecipe.FromConfigJson(config);
        }
        int? step = lm?.Train.Steps;
        if (loaded.Source == ModelFileSource.OrthoCheckpoint && metadata.TryGetValue("step", out var s)
            && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)) step = v;
        string dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
        bool inRun = Path.GetFileName(file) is ModelFileName or CheckpointFileName || System.IO.File.Exists(Path.Combine(dir, MetricsFileName));
        return new TrainedModel(model, file, inRun ? dir : null, config, loaded.Describe(), step, lm, image, loaded.Unknown);
    }
}
