using System.Globalization;
using System.Text.Json;
using Ortho.Activations;
using Ortho.IO;
using Ortho.IO.HuggingFace;
using Ortho.Models;
using Ortho.NN;
using Ortho.Training;

namespace Ortho.Inference;

/// <summary>
/// A trained model read back from disk: a run directory of <c>ortho train</c> (its <c>model.safetensors</c>, else its
/// <c>checkpoint.safetensors</c>), one of those files, or a GPT model file such as <c>ortho import gpt2</c> writes. The
/// model is rebuilt from the file's <c>config</c> metadata and its weights loaded (strict keys), in evaluation mode.
/// </summary>
public sealed class TrainedModel
{
    /// <summary>The model file of a finished run.</summary>
    public const string ModelFileName = "model.safetensors";

    /// <summary>The checkpoint of a run (finished or not).</summary>
    public const string CheckpointFileName = "checkpoint.safetensors";

    /// <summary>The metrics log of a run.</summary>
    public const string MetricsFileName = "metrics.jsonl";

    private TrainedModel(Module model, string file, string? runDirectory, string configJson, int? step, LmRecipe? lm, ImageRecipe? image)
    {
        Model = model;
        File = file;
        RunDirectory = runDirectory;
        ConfigJson = configJson;
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

    /// <summary>The <c>config</c> metadata (JSON) the model was rebuilt from.</summary>
    public string ConfigJson { get; }

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

    /// <summary>Every learnable activation module of <paramref name="model"/> with its dotted name, in model order.</summary>
    public static IReadOnlyList<(string Name, LearnableActivation Activation)> LearnableActivationsOf(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.NamedModules().Where(m => m.Module is LearnableActivation).Select(m => (m.Name, (LearnableActivation)m.Module)).ToList();
    }

    /// <summary>
    /// Loads a run directory or a model file. A directory must hold <see cref="ModelFileName"/> or
    /// <see cref="CheckpointFileName"/> (the model file wins: it is the finished run).
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing to load at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file has no model configuration, or weights that do not fit it.</exception>
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

        var st = SafeTensorsFile.Read(file);
        if (!st.Metadata.TryGetValue("config", out var config))
            throw new InvalidDataException($"{file}: no 'config' metadata; expected a file written by 'ortho train' or 'ortho import'.");
        bool checkpoint = st.Metadata.TryGetValue("format", out var format) && format == Checkpoint.Format;
        Module model;
        LmRecipe? lm = null;
        ImageRecipe? image = null;
        try
        {
            if (GptModelFile.TryParseConfig(config, out var gpt)) model = new Gpt(gpt, new Rng(0));
            else
            {
                model = ModelConfig.Create(config);
                using var doc = JsonDocument.Parse(config);
                if (LmRecipe.IsConfig(doc.RootElement)) lm = LmRecipe.FromConfigJson(config);
                else image = ImageRecipe.FromConfigJson(config);
            }
            model.LoadStateDict(StateDictFile.ToTensors(st, checkpoint ? "model." : ""));
        }
        catch (Exception e) when (e is StateDictException or ArgumentException or JsonException)
        {
            throw new InvalidDataException($"{file}: {e.Message}", e);
        }
        model.Eval();
        int? step = lm?.Train.Steps;
        if (checkpoint && st.Metadata.TryGetValue("step", out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)) step = v;
        string dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
        string name = Path.GetFileName(file);
        bool inRun = name is ModelFileName or CheckpointFileName || System.IO.File.Exists(Path.Combine(dir, MetricsFileName));
        return new TrainedModel(model, file, inRun ? dir : null, config, step, lm, image);
    }
}
