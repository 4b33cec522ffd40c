using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Ortho.Models;

namespace Ortho.IO.HuggingFace;

/// <summary>
/// An Ortho model file holding a GPT of any size and vocabulary (e.g. an imported GPT-2): the state dict as
/// <see cref="StateDictFile"/> writes it for <c>ortho train</c>'s <c>model.safetensors</c> (PyTorch keys, nn.Linear
/// layout, the tied LM head stored once as <c>transformer.wte.weight</c>) with the model's configuration in the
/// <c>config</c> metadata as <c>{"gpt":{"Vocab":..,"Block":..,"Layers":..,"Heads":..,"Embd":..,"Activation":".."}}</c>.
/// </summary>
public static class GptModelFile
{
    /// <summary>The metadata key of the configuration (the same key training runs use).</summary>
    public const string ConfigKey = "config";

    private const string GptProperty = "gpt";

    /// <summary>The <c>config</c> metadata value for <paramref name="config"/>.</summary>
    public static string ConfigJson(GptConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return JsonSerializer.Serialize(new Dictionary<string, GptConfig> { [GptProperty] = config });
    }

    /// <summary>The GPT configuration of a <c>config</c> metadata value, when it holds one (written by <see cref="ConfigJson"/>).</summary>
    /// <exception cref="InvalidDataException">It has a "gpt" object that is not a valid configuration.</exception>
    public static bool TryParseConfig(string json, [NotNullWhen(true)] out GptConfig? config)
    {
        config = null;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException) { return false; }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(GptProperty, out var g)) return false;
            try
            {
                config = g.Deserialize<GptConfig>() ?? throw new InvalidDataException($"GPT config {json} is empty.");
                config.Validate();
            }
            catch (Exception e) when (e is JsonException or ArgumentException) { throw new InvalidDataException($"GPT config {json}: {e.Message}", e); }
        }
        return true;
    }

    /// <summary>Writes <paramref name="model"/> with its configuration (atomically).</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="metadata">More metadata to store (e.g. where the weights came from); must not use the key "config".</param>
    public static void Save(Gpt model, string path, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var all = (metadata ?? []).ToList();
        if (all.Any(kv => kv.Key == ConfigKey)) throw new ArgumentException($"metadata key '{ConfigKey}' is reserved for the model configuration.", nameof(metadata));
        all.Insert(0, new(ConfigKey, ConfigJson(model.Config)));
        StateDictFile.Save(model, path, all);
    }

    /// <summary>Reads a file written by <see cref="Save"/> into a new <see cref="Gpt"/> (strict keys).</summary>
    /// <exception cref="InvalidDataException">No GPT configuration in the metadata, or weights that do not fit it.</exception>
    public static Gpt Load(string path)
    {
        var file = SafeTensorsFile.Read(path);
        if (!file.Metadata.TryGetValue(ConfigKey, out var json) || !TryParseConfig(json, out var config))
            throw new InvalidDataException($"{path}: no GPT configuration in the '{ConfigKey}' metadata (expected {{\"{GptProperty}\":{{...}}}}).");
        var model = new Gpt(config, new Rng(0));
        try { model.LoadStateDict(StateDictFile.ToTensors(file)); }
        catch (NN.StateDictException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        return model;
    }
}
