using System.Text.Json;
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
            if (ImageRecipe.IsConfig(doc.RootElement)) return ImageRecipe.FromConfigJson(configJson).BuildModel();
            if (LmRecipe.IsConfig(doc.RootElement)) return LmRecipe.FromConfigJson(configJson).BuildModel();
            throw new InvalidDataException("Model config names neither a GPT (LM recipe) nor a ConvNeXt (image recipe).");
        }
    }
}
