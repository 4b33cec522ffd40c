using System.Globalization;
using System.Text.Json;
using Ortho.IO;
using Ortho.NN;
using Ortho.Optim;

namespace Ortho.Training;

/// <summary>
/// A training checkpoint in one safetensors file, written atomically: the model under "model." (PyTorch keys), the
/// optimizer state under "optim.", and metadata: format, step, optimizer step count, the run's config (JSON) and the
/// data sampler's RNG offset. Resuming from it continues to exactly the losses of an uninterrupted run.
/// </summary>
public sealed record Checkpoint(int Step, int OptimizerSteps, string SamplerState, string ConfigJson, IReadOnlyDictionary<string, string> Extra)
{
    /// <summary>The format tag written into the metadata.</summary>
    public const string Format = "ortho-checkpoint-1";

    /// <summary>Writes model, optimizer and metadata to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, Module model, Optimizer optimizer, int step, string samplerState, string configJson,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        var w = new SafeTensorsWriter();
        StateDictFile.AddModel(w, model, "model.");
        foreach (var (name, t) in optimizer.State()) w.Add("optim." + name, t.Data, t.Shape);
        w.SetMetadata("format", Format);
        w.SetMetadata("step", step.ToString(CultureInfo.InvariantCulture));
        w.SetMetadata("optimizer_steps", optimizer.StepCount.ToString(CultureInfo.InvariantCulture));
        w.SetMetadata("sampler", samplerState);
        w.SetMetadata("config", configJson);
        if (extra != null) foreach (var kv in extra) w.SetMetadata("extra." + kv.Key, kv.Value);
        w.Save(path);
    }

    /// <summary>Reads a checkpoint, restores model and optimizer, and returns the rest; errors name the file and the problem.</summary>
    public static Checkpoint Load(string path, Module model, Optimizer optimizer)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint {path} does not exist.", path);
        var file = SafeTensorsFile.Read(path);
        var md = file.Metadata;
        if (!md.TryGetValue("format", out var fmt) || fmt != Format)
            throw new InvalidDataException($"{path}: not an Ortho checkpoint (metadata 'format' is '{fmt}', expected '{Format}').");
        try
        {
            model.LoadStateDict(StateDictFile.ToTensors(file, "model."));
            optimizer.LoadState(ParseInt(md, "optimizer_steps", path), StateDictFile.ToTensors(file, "optim."));
        }
        catch (Exception e) when (e is StateDictException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: checkpoint does not match this model/optimizer: {e.Message}", e);
        }
        var extra = md.Where(kv => kv.Key.StartsWith("extra.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["extra.".Length..], kv => kv.Value);
        return new Checkpoint(ParseInt(md, "step", path), ParseInt(md, "optimizer_steps", path),
            Get(md, "sampler", path), Get(md, "config", path), extra);
    }

    /// <summary>Reads only the metadata's config JSON (to rebuild the model before loading).</summary>
    public static string ReadConfig(string path) => Get(SafeTensorsFile.Read(path).Metadata, "config", path);

    private static string Get(IReadOnlyDictionary<string, string> md, string key, string path) =>
        md.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{path}: checkpoint metadata lacks '{key}'.");

    private static int ParseInt(IReadOnlyDictionary<string, string> md, string key, string path) =>
        int.TryParse(Get(md, key, path), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
            : throw new InvalidDataException($"{path}: checkpoint metadata '{key}' is not an integer.");

    /// <summary>JSON options used for configs.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };
}
