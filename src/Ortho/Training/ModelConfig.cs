using System.Text.Json;
using Ortho.Models;
using Ortho.NN;

namespace Ortho.Training;

/// <summary>Rebuilds a model from the config JSON that trainers store in checkpoints and model files.</summary>
public static class ModelConfig
{
    /// <summary>A freshly initialized model of the configuration (load weights into it afterwards).</summary>
    public static Module Create(string configJson)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(configJson); }
        catch (JsonException e) { throw new InvalidDataException($"Model config is not valid JSON: {e.Message}", e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.TryGetProperty("model", out var m) && root.TryGetProperty("recipe", out _))
                return new ConvNeXt(m.Deserialize<ConvNeXtConfig>() ?? throw new InvalidDataException("empty ConvNeXt config"), new Rng(0));
            if (root.TryGetProperty(nameof(LmRecipe.Layers), out _))
            {
                var r = root.Deserialize<LmRecipe>() ?? throw new InvalidDataException("empty LM config");
                return new Gpt(new GptConfig(256, r.Block, r.Layers, r.Heads, r.Embd, r.Activation), new Rng(0));
            }
            throw new InvalidDataException("Model config names neither a GPT (LM recipe) nor a ConvNeXt (image recipe).");
        }
    }
}
