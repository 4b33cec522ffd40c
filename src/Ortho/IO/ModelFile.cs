using System.Globalization;
using System.Text.Json;
using Ortho.Activations;
using Ortho.IO.HuggingFace;
using Ortho.Models;
using Ortho.NN;
using Ortho.Training;

namespace Ortho.IO;

/// <summary>Who wrote a model file, as far as its metadata tells.</summary>
public enum ModelFileSource
{
    /// <summary>An Ortho model file (<c>ortho train</c>'s model.safetensors, or <c>ortho convert --to ortho</c>): Ortho config metadata.</summary>
    Ortho,
    /// <summary>An Ortho training checkpoint (model under "model.", optimizer under "optim.").</summary>
    OrthoCheckpoint,
    /// <summary>One activation's parameters (<c>ortho fit --out</c>, or a torchortho activation's state dict).</summary>
    Activation,
    /// <summary>A PyTorch state dict without Ortho's config (torchortho, the PyTorch peer): the architecture is read from the keys and shapes.</summary>
    PyTorch,
    /// <summary>A Hugging Face GPT-2 checkpoint (Conv1D layout), read by <see cref="Gpt2Import"/>.</summary>
    HuggingFace,
}

/// <summary>The layout <see cref="ModelFile.Save"/> writes.</summary>
public enum ModelFileLayout
{
    /// <summary>Ortho's: the state dict plus Ortho config metadata (what <c>ortho inspect</c> and the library rebuild the model from).</summary>
    Ortho,
    /// <summary>
    /// torchortho's / the PyTorch peer's: the state dict as PyTorch's <c>state_dict()</c> has it (the tied LM head stored
    /// once, as <c>transformer.wte.weight</c>; every buffer) and the peer's metadata (model, activation in the peer's
    /// spelling, sizes); no Ortho config.
    /// </summary>
    Torchortho,
}

/// <summary>What a caller knows about a model that its weights do not say (attention heads, image size, a classic activation).</summary>
public sealed record ModelFileHints
{
    /// <summary>GPT attention heads (no weight's shape depends on them).</summary>
    public int? Heads { get; init; }

    /// <summary>ConvNeXt input image size (not stored in the weights).</summary>
    public int? ImageSize { get; init; }

    /// <summary>The activation, for models whose activation has no parameters (gelu, relu, ...).</summary>
    public string? Activation { get; init; }
}

/// <summary>
/// A model read from any safetensors file Ortho supports: Ortho model files and checkpoints, <c>ortho fit --out</c>
/// activation files, and PyTorch- or torchortho-written state dicts of the GPT and the ConvNeXt (or of one activation),
/// whose architecture is inferred from the keys and shapes. <see cref="Save"/> writes it in Ortho's layout or in
/// torchortho's, so models move both ways with strict keys and the same outputs.
/// </summary>
public sealed class ModelFile
{
    /// <summary>Metadata key naming the architecture in files written by <see cref="Save"/> in Ortho's layout ("gpt", "convnext", "activation").</summary>
    public const string ModelKey = "ortho_model";

    private ModelFile(string path, ModelFileSource source, Module model, IReadOnlyList<string> notes, IReadOnlyList<string> unknown,
        IReadOnlyDictionary<string, string> metadata)
    {
        Metadata = metadata;
        Path = path;
        Source = source;
        Model = model;
        Notes = notes;
        Unknown = unknown;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The file's safetensors metadata (its <c>__metadata__</c>: config, step, format, ...).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Who wrote it.</summary>
    public ModelFileSource Source { get; }

    /// <summary>The model with the file's weights loaded (strict keys): a <see cref="Gpt"/>, a <see cref="ConvNeXt"/>, an <see cref="Mlp"/> or a <see cref="LearnableActivation"/>.</summary>
    public Module Model { get; }

    /// <summary>"gpt", "convnext", "mlp" or "activation".</summary>
    public string Architecture => Model switch
    {
        Gpt => "gpt",
        ConvNeXt => "convnext",
        Mlp => "mlp",
        _ => "activation",
    };

    /// <summary>How the architecture was found: one line per inferred or assumed value.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The values neither the weights nor the metadata give and that were assumed (e.g. "heads"); empty when everything is known.</summary>
    public IReadOnlyList<string> Unknown { get; }

    /// <summary>The configuration in one line: "GPT: layers 2, heads 2, embd 32, vocab 64, block 16, activation hermite:3".</summary>
    public string Describe() => Model switch
    {
        Gpt g => Invariant($"GPT: layers {g.Config.Layers}, heads {(Unknown.Contains("heads") ? "unknown" : g.Config.Heads.ToString(CultureInfo.InvariantCulture))}, embd {g.Config.Embd}, vocab {g.Config.Vocab}, block {g.Config.Block}, activation {g.Config.Activation}"),
        ConvNeXt c => Invariant($"ConvNeXt: depths {List(c.Config.Depths)}, dims {List(c.Config.Dims)}, stem {c.Config.Stem}, in_chans {c.Config.InChans}, classes {c.Config.Classes}, image size {(Unknown.Contains("image size") ? "unknown" : c.Config.ImageSize.ToString(CultureInfo.InvariantCulture))}, activation {c.Config.Activation}"),
        Mlp m => $"MLP: inputs {m.Config.Inputs}, hidden {List(m.Config.Hidden)}, outputs {m.Config.Outputs}, activations [{string.Join(", ", m.Config.Activations)}]",
        LearnableActivation a => $"activation {a.Spec}",
        _ => Model.GetType().Name,
    };

    /// <summary>Reads <paramref name="path"/> and loads its weights into the model it describes.</summary>
    /// <exception cref="InvalidDataException">The file holds no supported model, or its weights do not load (the message says why).</exception>
    public static ModelFile Load(string path, ModelFileHints? hints = null)
    {
        hints ??= new ModelFileHints();
        var file = SafeTensorsFile.Read(path);
        var md = file.Metadata;
        var notes = new List<string>();
        var unknown = new List<string>();
        ModelFileSource source;
        string prefix = "";
        Module model;
        if (md.TryGetValue("format", out var fmt) && fmt == Checkpoint.Format)
        {
            source = ModelFileSource.OrthoCheckpoint;
            prefix = "model.";
            model = FromOrthoConfig(file, prefix, path);
            notes.Add("Ortho training checkpoint: model from its config metadata (optimizer state not loaded)");
        }
        else if (md.ContainsKey("config"))
        {
            source = ModelFileSource.Ortho;
            model = FromOrthoConfig(file, prefix, path);
            notes.Add("Ortho model file: architecture from its config metadata");
        }
        else
        {
            var shapes = file.Entries.ToDictionary(e => e.Name, e => e.Shape, StringComparer.Ordinal);
            if (IsHuggingFaceGpt2(shapes))
            {
                var r = Gpt2Import.FromFile(file, path, hints.Heads);
                notes.Add($"Hugging Face GPT-2 (Conv1D weights transposed): heads ({r.Layout.HeadsSource}), activation ({r.Layout.ActivationSource})");
                return new ModelFile(path, ModelFileSource.HuggingFace, r.Model, notes, unknown, md);
            }
            if (shapes.ContainsKey("transformer.wte.weight") || shapes.ContainsKey("lm_head.weight"))
            {
                source = ModelFileSource.PyTorch;
                model = new Gpt(InferGpt(shapes, md, hints, notes, unknown), new Rng(0));
            }
            else if (shapes.ContainsKey("downsample_layers.0.0.weight"))
            {
                source = ModelFileSource.PyTorch;
                model = new ConvNeXt(InferConvNeXt(shapes, md, hints, notes, unknown), new Rng(0));
            }
            else if (shapes.TryGetValue("layers.0.weight", out var first) && first.Length == 2)
            {
                source = ModelFileSource.PyTorch;
                model = new Mlp(InferMlp(shapes, md, hints, notes, unknown), new Rng(0));
            }
            else
            {
                source = ModelFileSource.Activation;
                var spec = md.TryGetValue("activation", out var a) ? ActivationSpec.Parse(a) : InferSpec(shapes)
                    ?? throw new InvalidDataException($"{path}: neither a GPT (transformer.wte.weight), a ConvNeXt (downsample_layers.0.0.weight) nor one learnable activation's parameters and buffers (keys: {string.Join(", ", shapes.Keys.Take(8))}{(shapes.Count > 8 ? ", ..." : "")}).");
                if (!spec.IsLearnable) throw new InvalidDataException($"{path}: activation '{spec}' has no parameters to load.");
                model = spec.Create(new Rng(0));
                notes.Add(md.ContainsKey("activation") ? "one activation: spec from its metadata" : "one activation: kind and degree from its keys and shapes");
            }
        }
        try { model.LoadStateDict(StateDictFile.ToTensors(file, prefix)); }
        catch (StateDictException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        return new ModelFile(path, source, model, notes, unknown, md);
    }

    /// <summary>
    /// Writes the model in <paramref name="layout"/> (atomically, every tensor aligned, <c>"format": "pt"</c>). Both
    /// layouts hold the same tensors, buffers included, so either side loads the file with strict keys.
    /// </summary>
    /// <exception cref="InvalidOperationException">A value the file did not give (see <see cref="Unknown"/>) is needed: pass it as a hint when loading.</exception>
    public void Save(string path, ModelFileLayout layout)
    {
        if (Unknown.Count > 0)
            throw new InvalidOperationException($"{Path}: {string.Join(" and ", Unknown)} not stored in the file; give {string.Join(" and ", Unknown.Select(HintName))} to write a complete model.");
        var md = layout == ModelFileLayout.Ortho ? OrthoMetadata(Model) : PeerMetadata(Model);
        StateDictFile.Save(Model, path, md);
    }

    /// <summary>Ortho's metadata for <paramref name="model"/>: the architecture and its config JSON (a GPT's as <see cref="GptModelFile"/> writes it).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> OrthoMetadata(Module model) => model switch
    {
        Gpt g => [new(ModelKey, "gpt"), new(GptModelFile.ConfigKey, GptModelFile.ConfigJson(g.Config))],
        ConvNeXt c => [new(ModelKey, "convnext"), new("config", JsonSerializer.Serialize(new { model = c.Config }))],
        Mlp m => [new(ModelKey, "mlp"), new(Mlp.ConfigMetadataKey, m.Config.ToJson())],
        LearnableActivation a => [new(ModelKey, "activation"), new("activation", a.Spec.ToString())],
        _ => throw new ArgumentException($"{model.GetType().Name} is not a model Ortho files describe."),
    };

    /// <summary>The PyTorch peer's metadata for <paramref name="model"/> (the keys its fixtures carry, activation in its spelling).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> PeerMetadata(Module model) => model switch
    {
        Gpt g =>
        [
            new("model", "gpt"), new("activation", ActivationSpec.Parse(g.Config.Activation).ToPeerName()), new("vocab", Invariant($"{g.Config.Vocab}")),
            new("block", Invariant($"{g.Config.Block}")), new("n_layer", Invariant($"{g.Config.Layers}")), new("n_head", Invariant($"{g.Config.Heads}")),
            new("n_embd", Invariant($"{g.Config.Embd}")),
        ],
        ConvNeXt c =>
        [
            new("model", "convnext"), new("activation", ActivationSpec.Parse(c.Config.Activation).ToPeerName()), new("in_chans", Invariant($"{c.Config.InChans}")),
            new("classes", Invariant($"{c.Config.Classes}")), new("depths", Tuple(c.Config.Depths)), new("dims", Tuple(c.Config.Dims)),
            new("stem", Invariant($"{c.Config.Stem}")),
        ],
        Mlp m =>
        [
            new("model", "mlp"), new("inputs", Invariant($"{m.Config.Inputs}")), new("hidden", Tuple(m.Config.Hidden)), new("outputs", Invariant($"{m.Config.Outputs}")),
            new("activations", "(" + string.Join(", ", m.Config.Activations.Select(a => ActivationSpec.Parse(a).ToPeerName())) + (m.Config.Activations.Length == 1 ? ",)" : ")")),
        ],
        LearnableActivation a => [new("model", "activation"), new("activation", a.Spec.ToPeerName())],
        _ => throw new ArgumentException($"{model.GetType().Name} is not a model Ortho files describe."),
    };

    // ---- Ortho config metadata ----

    private static Module FromOrthoConfig(SafeTensorsFile file, string prefix, string path)
    {
        var json = file.Metadata["config"];
        try
        {
            if (GptModelFile.TryParseConfig(json, out var gpt)) return new Gpt(gpt, new Rng(0)); // any vocabulary (imports, conversions)
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            // Written by Save: a ConvNeXt's own config (no recipe), an MLP's.
            if (root.TryGetProperty("model", out var m) && !root.TryGetProperty("recipe", out _))
                return new ConvNeXt(m.Deserialize<ConvNeXtConfig>() ?? throw new InvalidDataException("empty ConvNeXt config"), new Rng(0));
            if (root.TryGetProperty(nameof(MlpConfig.Architecture), out var arch) && arch.ValueKind == JsonValueKind.String && arch.GetString() == MlpConfig.MlpArchitecture)
                return new Mlp(MlpConfig.FromJson(json), new Rng(0));
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: config metadata is not valid JSON: {e.Message}", e); }
        // A trainer's run config: checked against the tensor shapes before the model is allocated.
        try { return ModelConfig.CreateFor(file, prefix); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    // ---- inference from keys and shapes ----

    // Hugging Face's GPT-2: keys without "transformer." (GPT2Model), or Conv1D projections stored [in, out] = [C, 3C].
    private static bool IsHuggingFaceGpt2(Dictionary<string, int[]> s) =>
        s.ContainsKey("wte.weight") && s.ContainsKey("h.0.attn.c_attn.weight")
        || s.TryGetValue("transformer.h.0.attn.c_attn.weight", out var w) && w.Length == 2 && w[1] == 3 * w[0];

    private static GptConfig InferGpt(Dictionary<string, int[]> s, IReadOnlyDictionary<string, string> md, ModelFileHints hints, List<string> notes, List<string> unknown)
    {
        var wte = s.GetValueOrDefault("transformer.wte.weight") ?? s["lm_head.weight"];
        var wpe = Require(s, "transformer.wpe.weight", "GPT");
        int layers = CountIndexed(s.Keys, "transformer.h.");
        if (wte.Length != 2 || wpe.Length != 2 || layers == 0)
            throw new InvalidDataException("GPT keys without the expected shapes: wte [vocab, embd], wpe [block, embd] and blocks transformer.h.N.");
        int vocab = wte[0], embd = wte[1], block = wpe[0];
        notes.Add(Invariant($"GPT from the keys: {layers} blocks (transformer.h.N), vocab {vocab} and embd {embd} (wte), block {block} (wpe)"));
        int heads;
        if (hints.Heads is int h) { heads = h; notes.Add(Invariant($"heads {h}: given")); }
        else if (md.TryGetValue("n_head", out var nh) && int.TryParse(nh, NumberStyles.None, CultureInfo.InvariantCulture, out heads))
            notes.Add(Invariant($"heads {heads}: from the metadata (n_head)"));
        else
        {
            heads = 1;
            unknown.Add("heads");
            notes.Add("heads: not stored in the weights (no shape depends on them) nor in the metadata; loaded with 1 (pass --heads)");
        }
        string act = InferActivation(s, "transformer.h.0.mlp.act.", md, hints, notes, unknown);
        return new GptConfig(vocab, block, layers, heads, embd, act);
    }

    private static ConvNeXtConfig InferConvNeXt(Dictionary<string, int[]> s, IReadOnlyDictionary<string, string> md, ModelFileHints hints, List<string> notes, List<string> unknown)
    {
        var stem = s["downsample_layers.0.0.weight"];
        var head = Require(s, "head.weight", "ConvNeXt");
        int stages = CountIndexed(s.Keys, "downsample_layers.");
        if (stem.Length != 4 || head.Length != 2 || stages == 0)
            throw new InvalidDataException("ConvNeXt keys without the expected shapes: stem conv [dim, in_chans, k, k], head [classes, dim].");
        var dims = new int[stages];
        var depths = new int[stages];
        dims[0] = stem[0];
        for (int i = 1; i < stages; i++) dims[i] = Require(s, $"downsample_layers.{i}.1.weight", "ConvNeXt")[0];
        for (int i = 0; i < stages; i++) depths[i] = CountIndexed(s.Keys, $"stages.{i}.");
        notes.Add(Invariant($"ConvNeXt from the keys: depths {List(depths)} (stages.i.j), dims {List(dims)} and stem {stem[2]} (downsample convs), in_chans {stem[1]}, classes {head[0]} (head)"));
        int minimum = stem[2] << (stages - 1), size;
        if (hints.ImageSize is int given) { size = given; notes.Add(Invariant($"image size {given}: given")); }
        else
        {
            size = 28 % minimum == 0 ? 28 : minimum;
            unknown.Add("image size");
            notes.Add(Invariant($"image size: not stored in the weights (any multiple of {minimum} fits); loaded with {size} (pass --image-size)"));
        }
        string block = Enumerable.Range(0, stages).Where(i => depths[i] > 0).Select(i => $"stages.{i}.0.act.").FirstOrDefault() ?? "stages.0.0.act.";
        string act = InferActivation(s, block, md, hints, notes, unknown);
        return new ConvNeXtConfig(stem[1], head[0], depths, dims, stem[2], act, size);
    }

    private static MlpConfig InferMlp(Dictionary<string, int[]> s, IReadOnlyDictionary<string, string> md, ModelFileHints hints, List<string> notes, List<string> unknown)
    {
        // layers.0 Linear, layers.1 activation, layers.2 Linear, ...: PyTorch's nn.Sequential keys.
        int count = CountIndexed(s.Keys, "layers.", upToLast: true); // a parameter-free activation has no keys
        if (count % 2 == 0) throw new InvalidDataException($"MLP keys layers.0..{count - 1}: expected Linear, activation, ..., Linear (an odd number of layers).");
        var widths = new List<int>();
        for (int i = 0; i < count; i += 2)
        {
            var w = Require(s, $"layers.{i}.weight", "MLP");
            if (w.Length != 2) throw new InvalidDataException($"MLP layers.{i}.weight has shape [{string.Join(", ", w)}], expected [out, in].");
            if (i == 0) widths.Add(w[1]);
            widths.Add(w[0]);
        }
        var given = md.TryGetValue("activations", out var listed) ? listed.Trim('(', ')', '[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
        var acts = new string[count / 2];
        for (int l = 0; l < acts.Length; l++)
        {
            var layer = l < given.Length ? new Dictionary<string, string> { ["activation"] = given[l] } : new Dictionary<string, string>();
            acts[l] = InferActivation(s, $"layers.{2 * l + 1}.", layer, hints, notes, unknown);
        }
        notes.Insert(0, $"MLP from the keys: widths {List(widths.ToArray())} (layers.N.weight)");
        return new MlpConfig(widths[0], widths.Skip(1).SkipLast(1).ToArray(), widths[^1], acts);
    }

    private static string InferActivation(Dictionary<string, int[]> s, string prefix, IReadOnlyDictionary<string, string> md, ModelFileHints hints,
        List<string> notes, List<string> unknown)
    {
        var keys = s.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
        if (keys.Count > 0)
        {
            var spec = InferSpec(keys)
                ?? throw new InvalidDataException($"the activation keys under {prefix} ({string.Join(", ", keys.Keys)}) match no registered kind ({string.Join(", ", ActivationRegistry.Names)}).");
            notes.Add($"activation {spec}: kind and degree from the keys under {prefix}");
            return spec.ToString();
        }
        if (hints.Activation is string a) { notes.Add($"activation {a}: given"); return ActivationSpec.Parse(a).ToString(); }
        if (md.TryGetValue("activation", out var named)) { notes.Add($"activation {named}: from the metadata"); return ActivationSpec.Parse(named).ToString(); }
        if (!unknown.Contains("activation")) unknown.Add("activation");
        notes.Add("activation: no parameters under " + prefix + ", so a classic one (gelu, relu, silu, ...) that the weights cannot name; loaded as gelu (pass --activation)");
        return "gelu";
    }

    private static ActivationSpec? InferSpec(IReadOnlyDictionary<string, int[]> keys)
    {
        try { return ActivationRegistry.Infer(keys); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message, e); }
    }

    private static int[] Require(Dictionary<string, int[]> s, string key, string model) =>
        s.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{model} state dict without '{key}'.");

    // The number of consecutive indices i with keys "{prefix}{i}." (0, 1, 2, ...), or with upToLast the largest such i + 1.
    private static int CountIndexed(IEnumerable<string> keys, string prefix, bool upToLast = false)
    {
        var seen = new HashSet<int>();
        foreach (var k in keys)
        {
            if (!k.StartsWith(prefix, StringComparison.Ordinal)) continue;
            int dot = k.IndexOf('.', prefix.Length);
            if (dot > prefix.Length && int.TryParse(k.AsSpan(prefix.Length, dot - prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int i)) seen.Add(i);
        }
        if (upToLast) return seen.Count == 0 ? 0 : seen.Max() + 1;
        int n = 0;
        while (seen.Contains(n)) n++;
        return n;
    }

    private static string HintName(string unknown) => unknown switch
    {
        "heads" => "--heads",
        "image size" => "--image-size",
        _ => "--activation",
    };

    private static string List(int[] v) => "[" + string.Join(", ", v) + "]";

    private static string Tuple(int[] v) => "(" + string.Join(", ", v) + (v.Length == 1 ? ",)" : ")");

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
