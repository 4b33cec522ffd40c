using System.Globalization;
using System.Text.Json;
using Ortho.IO;
using Ortho.NN;
using Ortho.Optim;

namespace Ortho.Training;

/// <summary>
/// A training checkpoint in one safetensors file, written atomically: the model under "model." (PyTorch keys), the
/// optimizer state under "optim.", and metadata: format, step, optimizer step count, the run's config (JSON) and the
/// data sampler's state. Resuming from it continues to exactly the losses of an uninterrupted run. Neither a save nor
/// a load lets NaN or infinite values through.
/// </summary>
public sealed record Checkpoint(int Step, int OptimizerSteps, string SamplerState, string ConfigJson, IReadOnlyDictionary<string, string> Extra)
{
    /// <summary>The format tag written into the metadata.</summary>
    public const string Format = "ortho-checkpoint-1";

    /// <summary>Writes model, optimizer and metadata to <paramref name="path"/> atomically.</summary>
    /// <exception cref="InvalidDataException">A weight or optimizer state holds NaN or infinity (nothing is written).</exception>
    public static void Save(string path, Module model, Optimizer optimizer, int step, string samplerState, string configJson,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        if (FirstNonFinite(model, optimizer) is { } bad)
            throw new InvalidDataException($"{path}: not written: tensor '{bad}' holds NaN or infinite values.");
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

    /// <summary>The first model parameter or optimizer state tensor (checkpoint key) holding NaN or infinity, or null.</summary>
    public static string? FirstNonFinite(Module model, Optimizer optimizer) =>
        model.NamedParameters().Where(p => !NonFinite.AllFinite(p.Parameter.Data)).Select(p => "model." + p.Name).FirstOrDefault()
        ?? optimizer.State().Where(s => !NonFinite.AllFinite(s.Value.Data)).Select(s => "optim." + s.Name).FirstOrDefault();

    /// <summary>
    /// Reads a checkpoint, checks it whole, then restores model and optimizer and returns the rest. The file is refused
    /// (nothing restored) when its format tag, a metadata value, a tensor name, dtype or shape, or a value (NaN,
    /// infinity, a step counter out of range) is not what this model and optimizer would have written; the message
    /// names the file and the key.
    /// </summary>
    public static Checkpoint Load(string path, Module model, Optimizer optimizer)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint {path} does not exist.", path);
        var file = SafeTensorsFile.Read(path);
        var md = file.Metadata;
        if (!md.TryGetValue("format", out var fmt) || fmt != Format)
            throw new InvalidDataException($"{path}: not an Ortho checkpoint (metadata 'format' is '{fmt}', expected '{Format}').");
        int step = ParseCount(md, "step", path), optimizerSteps = ParseCount(md, "optimizer_steps", path);
        string sampler = Get(md, "sampler", path), config = Get(md, "config", path);

        var unknown = file.Names.FirstOrDefault(n => !n.StartsWith("model.", StringComparison.Ordinal) && !n.StartsWith("optim.", StringComparison.Ordinal));
        if (unknown != null) throw new InvalidDataException($"{path}: unknown tensor '{unknown}' (a checkpoint holds only 'model.*' and 'optim.*' tensors).");
        var ownState = optimizer.State().Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var extraState = file.Names.FirstOrDefault(n => n.StartsWith("optim.", StringComparison.Ordinal) && !ownState.Contains(n["optim.".Length..]));
        if (extraState != null) throw new InvalidDataException($"{path}: unknown optimizer tensor '{extraState}'; this optimizer's state is {string.Join(", ", ownState.Take(4))}{(ownState.Count > 4 ? ", ..." : "")}.");

        var weights = StateDictFile.ToTensors(file, "model.");
        var state = StateDictFile.ToTensors(file, "optim.");
        foreach (var (name, t) in weights.Select(kv => ("model." + kv.Key, kv.Value)).Concat(state.Select(kv => ("optim." + kv.Key, kv.Value))))
            if (!NonFinite.AllFinite(t.Data))
                throw new InvalidDataException($"{path}: tensor '{name}' holds NaN or infinite values; the run it came from had diverged, so it cannot be resumed or used.");
        foreach (var (name, t) in state)
            if (name == "step" || name.EndsWith(".step", StringComparison.Ordinal))
                foreach (var v in t.Data)
                    if (v < 0 || v > optimizerSteps || v != MathF.Floor(v))
                        throw new InvalidDataException($"{path}: tensor 'optim.{name}' holds step count {v}, outside [0, optimizer_steps = {optimizerSteps}].");
        try
        {
            model.LoadStateDict(weights);
            optimizer.LoadState(optimizerSteps, state);
        }
        catch (Exception e) when (e is StateDictException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: checkpoint does not match this model/optimizer: {e.Message}", e);
        }
        var extra = md.Where(kv => kv.Key.StartsWith("extra.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["extra.".Length..], kv => kv.Value);
        return new Checkpoint(step, optimizerSteps, sampler, config, extra);
    }

    /// <summary>Reads only the metadata's config JSON (to rebuild the model before loading).</summary>
    public static string ReadConfig(string path) => Get(SafeTensorsFile.Read(path).Metadata, "config", path);

    private static string Get(IReadOnlyDictionary<string, string> md, string key, string path) =>
        md.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{path}: checkpoint metadata lacks '{key}'.");

    private static int ParseCount(IReadOnlyDictionary<string, string> md, string key, string path) =>
        int.TryParse(Get(md, key, path), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
            : throw new InvalidDataException($"{path}: checkpoint metadata '{key}' = '{md[key]}' is not a count (an integer >= 0).");

    /// <summary>JSON options used for configs.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };
}
