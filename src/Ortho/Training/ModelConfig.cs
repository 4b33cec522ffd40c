using System.Text.Json;
using Ortho.IO;
using Ortho.Models;
using Ortho.NN;

namespace Ortho.Training;

/// <summary>Rebuilds a model from the config JSON that trainers store in checkpoints and model files.</summary>
public static class ModelConfig
{
    /// <summary>A freshly initialized model of the configuration (load weights into it afterwards).</summary>
    /// <exception cref="InvalidDataException">The config is not valid JSON, names no known model, or a value is out of range (the key is named).</exception>
    public static Module Create(string configJson) => Parse(configJson, "Model config") switch
    {
        LmRecipe lm => lm.BuildModel(),
        ImageRecipe image => image.BuildModel(),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>
    /// The model that <paramref name="file"/>'s 'config' metadata describes, after checking that config against the
    /// file's tensors (under <paramref name="prefix"/>) before anything of the model's size is allocated: a config
    /// that claims a larger model than the file holds is refused, naming the file, the key and the tensor.
    /// </summary>
    public static Module CreateFor(SafeTensorsFile file, string prefix = "")
    {
        if (!file.Metadata.TryGetValue("config", out var cfg)) throw new InvalidDataException($"{file.Source}: no 'config' metadata (files written by 'ortho train' have one).");
        var recipe = Parse(cfg, $"{file.Source}: metadata 'config'");
        var shapes = new Shapes(file, prefix);
        switch (recipe)
        {
            case LmRecipe lm:
                var g = lm.Model;
                shapes.Expect("transformer.wte.weight", "Embd", g.Vocab, g.Embd);
                shapes.Expect("transformer.wpe.weight", "Block", g.Block, g.Embd);
                shapes.Count("transformer.h.{0}.ln_1.weight", "Layers", g.Layers);
                return lm.BuildModel();
            case ImageRecipe image:
                var c = image.Model;
                shapes.Expect("downsample_layers.0.0.weight", "Dims", c.Dims[0], c.InChans, c.Stem, c.Stem);
                for (int i = 1; i < c.Dims.Length; i++) shapes.Expect($"downsample_layers.{i}.1.weight", "Dims", c.Dims[i], c.Dims[i - 1], 2, 2);
                shapes.Count("downsample_layers.{0}.0.weight", "Dims", c.Dims.Length);
                for (int i = 0; i < c.Depths.Length; i++) shapes.Count($"stages.{i}.{{0}}.gamma", "Depths", c.Depths[i]);
                shapes.Expect("head.weight", "Classes", c.Classes, c.Dims[^1]);
                return image.BuildModel();
            default: throw new InvalidOperationException();
        }
    }

    /// <summary>
    /// The recipe of a config (LM or image), its model's values checked (the training values do not change the model;
    /// a resume compares them whole); errors name <paramref name="source"/> and the key.
    /// </summary>
    private static object Parse(string configJson, string source)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(configJson); }
        catch (JsonException e) { throw new InvalidDataException($"{source} is not valid JSON: {e.Message}", e); }
        using (doc)
        {
            try
            {
                if (ImageRecipe.IsConfig(doc.RootElement))
                {
                    var r = ImageRecipe.FromConfigJson(configJson);
                    r.Model.Validate();
                    return r;
                }
                if (LmRecipe.IsConfig(doc.RootElement))
                {
                    var r = LmRecipe.FromConfigJson(configJson);
                    r.ValidateModel(k => $"key '{k}'");
                    return r;
                }
            }
            catch (Exception e) when (e is ArgumentException or JsonException or InvalidDataException)
            {
                throw new InvalidDataException($"{source}: {e.Message}", e);
            }
            throw new InvalidDataException($"{source} names neither a GPT (LM recipe) nor a ConvNeXt (image recipe).");
        }
    }

    /// <summary>Checks config values against the tensors of a file, by key.</summary>
    private sealed class Shapes(SafeTensorsFile file, string prefix)
    {
        /// <summary>Tensor <paramref name="key"/> exists with exactly <paramref name="shape"/> (the config value <paramref name="field"/> sets it).</summary>
        public void Expect(string key, string field, params int[] shape)
        {
            if (!file.TryGet(prefix + key, out var e))
                throw new InvalidDataException($"{file.Source}: the config (key '{field}') needs tensor '{prefix + key}', which the file lacks.");
            if (!e.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"{file.Source}: the config (key '{field}') gives tensor '{prefix + key}' the shape [{string.Join(", ", shape)}], but the file holds [{string.Join(", ", e.Shape)}].");
        }

        /// <summary>Tensors <paramref name="pattern"/> with {0} = 0 .. n-1 exist, and none with {0} = n.</summary>
        public void Count(string pattern, string field, int n)
        {
            string Key(int i) => prefix + string.Format(System.Globalization.CultureInfo.InvariantCulture, pattern, i);
            int have = 0;
            while (have <= n && file.Contains(Key(have))) have++;
            if (have != n)
                throw new InvalidDataException($"{file.Source}: the config says {field} = {n}, but the file holds {(have > n ? "more" : have.ToString(System.Globalization.CultureInfo.InvariantCulture))} ('{Key(Math.Min(have, n))}' {(have > n ? "exists" : "is missing")}).");
        }
    }
}
