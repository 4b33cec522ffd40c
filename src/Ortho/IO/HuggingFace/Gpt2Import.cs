using System.Globalization;
using System.Text.RegularExpressions;
using Ortho.Models;
using Ortho.NN;

namespace Ortho.IO.HuggingFace;

/// <summary>
/// Reads a Hugging Face GPT-2 checkpoint (<c>model.safetensors</c> of GPT2Model or GPT2LMHeadModel) into Ortho's
/// <see cref="Gpt"/>: same architecture (pre-LN blocks, biases on every projection and LayerNorm, LayerNorm eps 1e-5,
/// no dropout at inference, LM head tied to the token embedding), GPT-2's tanh-approximated GELU (<c>gelu_tanh</c>).
/// </summary>
/// <remarks>
/// <para>Keys: <c>wte.weight</c>, <c>wpe.weight</c>, <c>ln_f.{weight,bias}</c> and, for each block N,
/// <c>h.N.ln_1.*</c>, <c>h.N.attn.c_attn.*</c>, <c>h.N.attn.c_proj.*</c>, <c>h.N.ln_2.*</c>, <c>h.N.mlp.c_fc.*</c>,
/// <c>h.N.mlp.c_proj.*</c>, each with or without the <c>transformer.</c> prefix. Hugging Face's GPT-2 uses Conv1D
/// layers, whose weights are stored [in, out], the transpose of <c>nn.Linear</c>'s [out, in] that Ortho uses: the four
/// projection weights are transposed on import. Skipped: the causal-mask buffers <c>h.N.attn.bias</c> and
/// <c>h.N.attn.masked_bias</c> of older files, and <c>lm_head.weight</c> when it equals <c>wte.weight</c> (a
/// different one is an error: Ortho's GPT ties them). Weights may be F32, F16, BF16 or F64; they are converted to
/// float32 (exactly, except F64).</para>
/// <para>Configuration: vocabulary, block size and n_embd from <c>wte</c> and <c>wpe</c>, the number of layers from the
/// highest N. The number of heads does not show in any shape: it comes from the caller, else from the <c>n_head</c>
/// of a <c>config.json</c> beside the file, else from GPT-2's standard sizes (n_embd 768, 1024, 1280, 1600: 12, 16, 20,
/// 25 heads; the 124M, 355M, 774M and 1.5B models), else it is an error. A config.json is also checked against the
/// shapes and for options Ortho's GPT does not compute (another LayerNorm epsilon, unscaled attention, a wider MLP),
/// and its <c>activation_function</c> picks the activation (default GPT-2's <c>gelu_new</c>).</para>
/// <para>Every problem with the keys (missing, unexpected, wrong shape) is reported in one
/// <see cref="InvalidDataException"/> that names the file and each offending key.</para>
/// <para>Limit: the file is read into memory whole, so it must be under 2 GB (GPT-2 124M and 355M in F32; 774M in F16).</para>
/// </remarks>
public static partial class Gpt2Import
{
    /// <summary>GPT-2's released sizes: n_embd to number of heads (124M, 355M, 774M, 1.5B).</summary>
    public static IReadOnlyDictionary<int, int> StandardHeads { get; } = new Dictionary<int, int> { [768] = 12, [1024] = 16, [1280] = 20, [1600] = 25 };

    private static readonly Dictionary<int, string> StandardNames = new() { [768] = "124M", [1024] = "355M", [1280] = "774M", [1600] = "1.5B" };

    private const string Prefix = "transformer.";
    private const string LmHead = "lm_head.weight";
    private const int BlockKeys = 12;

    /// <summary>The weights stored [in, out] by Conv1D, transposed to [out, in] on import.</summary>
    private static readonly string[] Conv1DWeights = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"];

    [GeneratedRegex(@"^h\.(\d+)\.")]
    private static partial Regex BlockKey();

    [GeneratedRegex(@"^h\.\d+\.attn\.(bias|masked_bias)$")]
    private static partial Regex MaskBuffer();

    /// <summary>Reads the checkpoint at <paramref name="path"/> into a new <see cref="Gpt"/> (in evaluation mode).</summary>
    /// <param name="path">A <c>model.safetensors</c> file, or a directory holding one (a Hugging Face model folder).</param>
    /// <param name="heads">The number of attention heads, when neither a config.json beside the file nor GPT-2's standard sizes tell it.</param>
    /// <exception cref="InvalidDataException">The file is not a GPT-2 checkpoint Ortho's GPT can hold; the message says why.</exception>
    public static Gpt Load(string path, int? heads = null) => Read(path, heads).Model;

    /// <summary>As <see cref="Load"/>, and says how the file mapped onto the model (heads' source, prefix, skipped keys, dtypes).</summary>
    public static Gpt2ImportResult Read(string path, int? heads = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string file = ResolveFile(path);
        return FromFile(SafeTensorsFile.Read(file), file, heads);
    }

    /// <summary>As <see cref="Read"/>, on the already read safetensors file <paramref name="st"/> found at <paramref name="file"/>
    /// (its config.json, if any, beside it).</summary>
    internal static Gpt2ImportResult FromFile(SafeTensorsFile st, string file, int? heads)
    {
        string configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "config.json");
        try
        {
            string? configJson = File.Exists(configPath) ? File.ReadAllText(configPath) : null;
            var layout = InferConfig(st.Entries.ToDictionary(e => e.Name, e => e.Shape), heads, configJson, configPath);
            var model = new Gpt(layout.Config, new Rng(0));
            var dtypes = CopyWeights(st, layout, model);
            model.Eval();
            return new Gpt2ImportResult(model, layout, dtypes);
        }
        catch (InvalidDataException e) { throw new InvalidDataException($"{file}: {e.Message}", e); }
    }

    /// <summary>
    /// Checks a checkpoint's keys and shapes and infers Ortho's <see cref="GptConfig"/> from them (see the class remarks).
    /// Needs only the shapes, not the data.
    /// </summary>
    /// <param name="shapes">Every tensor name of the file with its shape.</param>
    /// <param name="heads">The number of heads if known (must agree with config.json's n_head when both are given).</param>
    /// <param name="configJson">The text of Hugging Face's config.json, or null.</param>
    /// <param name="configSource">How to name the config in messages (e.g. its path).</param>
    /// <exception cref="InvalidDataException">Missing, unexpected or misshapen keys (all listed), a config.json that
    /// disagrees with the shapes or asks for what Ortho's GPT does not compute, or a number of heads that cannot be inferred.</exception>
    public static Gpt2Layout InferConfig(IReadOnlyDictionary<string, int[]> shapes, int? heads = null, string? configJson = null, string configSource = "config.json")
    {
        ArgumentNullException.ThrowIfNull(shapes);
        // File keys by their name without the prefix.
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);
        var ignored = new List<string>();
        var unexpected = new List<string>();
        bool prefixed = false;
        foreach (var key in shapes.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            if (key == LmHead) { ignored.Add(key); continue; }
            string name = key.StartsWith(Prefix, StringComparison.Ordinal) ? key[Prefix.Length..] : key;
            prefixed |= name.Length != key.Length;
            if (MaskBuffer().IsMatch(name) && shapes[key].Length is 0 or 1 or 4) { ignored.Add(key); continue; }
            if (!byName.TryAdd(name, key)) unexpected.Add($"{key} (duplicates {byName[name]})");
        }

        var wte = Embedding("wte.weight", "token embedding [vocab, n_embd]");
        var wpe = Embedding("wpe.weight", "position embedding [block, n_embd]");
        int vocab = wte[0], embd = wte[1], block = wpe[0];
        if (wpe[1] != embd) throw new InvalidDataException($"wpe.weight is {Shape(wpe)} but wte.weight is {Shape(wte)}: their widths (n_embd) differ.");
        int layers = 0;
        foreach (var name in byName.Keys.Concat(ignored))
        {
            var m = BlockKey().Match(name.StartsWith(Prefix, StringComparison.Ordinal) ? name[Prefix.Length..] : name);
            if (m.Success && int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) layers = Math.Max(layers, n + 1);
        }
        if (layers == 0) throw new InvalidDataException($"no transformer blocks: no key starts with h.0. (keys: {Sample(shapes.Keys)}).");
        if (layers > shapes.Count) // each block has 12 tensors, so a block number this high cannot be real
            throw new InvalidDataException($"a key names block h.{layers - 1}, but the file has only {shapes.Count} tensors.");

        // Expected shapes, as stored (Conv1D weights [in, out]).
        var expected = new Dictionary<string, int[]>(StringComparer.Ordinal) { ["wte.weight"] = [vocab, embd], ["wpe.weight"] = [block, embd] };
        for (int i = 0; i < layers; i++)
        {
            string h = $"h.{i}.";
            expected[h + "ln_1.weight"] = [embd];
            expected[h + "ln_1.bias"] = [embd];
            expected[h + "attn.c_attn.weight"] = [embd, 3 * embd];
            expected[h + "attn.c_attn.bias"] = [3 * embd];
            expected[h + "attn.c_proj.weight"] = [embd, embd];
            expected[h + "attn.c_proj.bias"] = [embd];
            expected[h + "ln_2.weight"] = [embd];
            expected[h + "ln_2.bias"] = [embd];
            expected[h + "mlp.c_fc.weight"] = [embd, 4 * embd];
            expected[h + "mlp.c_fc.bias"] = [4 * embd];
            expected[h + "mlp.c_proj.weight"] = [4 * embd, embd];
            expected[h + "mlp.c_proj.bias"] = [embd];
        }
        expected["ln_f.weight"] = [embd];
        expected["ln_f.bias"] = [embd];

        string P(string name) => (prefixed ? Prefix : "") + name;
        var missing = new List<string>();
        foreach (var group in expected.Keys.Where(k => !byName.ContainsKey(k)).GroupBy(k => BlockKey().Match(k) is { Success: true } m ? m.Value : k))
        {
            bool wholeBlock = group.Key.EndsWith('.') && group.Count() == BlockKeys;
            missing.AddRange(wholeBlock ? [P(group.Key) + "* (the whole block)"] : group.Select(P));
        }
        unexpected.AddRange(byName.Where(kv => !expected.ContainsKey(kv.Key)).Select(kv => kv.Value));
        var misshapen = new List<string>();
        foreach (var (name, want) in expected)
        {
            if (!byName.TryGetValue(name, out var key) || shapes[key].AsSpan().SequenceEqual(want)) continue;
            string why = Conv1DWeights.Any(name.EndsWith) ? " (Conv1D layout [in, out]" + (name.EndsWith("mlp.c_fc.weight", StringComparison.Ordinal) ? "; Ortho's GPT has an MLP of 4 x n_embd" : "") + ")" : "";
            misshapen.Add($"{key} is {Shape(shapes[key])}, expected {Shape(want)}{why}");
        }
        if (shapes.TryGetValue(LmHead, out var head) && !head.AsSpan().SequenceEqual(wte))
            misshapen.Add($"{LmHead} is {Shape(head)}, expected {Shape(wte)} (tied to wte.weight)");
        if (missing.Count + unexpected.Count + misshapen.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing {missing.Count}: {List(missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected {unexpected.Count}: {List(unexpected)}");
            if (misshapen.Count > 0) parts.Add($"wrong shape {misshapen.Count}: {List(misshapen)}");
            throw new InvalidDataException($"not a GPT-2 checkpoint of {layers} layers, n_embd {embd} that Ortho's GPT can hold: {string.Join("; ", parts)}.");
        }

        // What the shapes cannot tell: heads and activation.
        var config = configJson == null ? null : Gpt2ConfigJson.Parse(configJson, configSource);
        if (config != null && config.Problems(vocab, block, layers, embd) is { Count: > 0 } problems)
            throw new InvalidDataException($"{configSource}: {string.Join("; ", problems)}.");
        string headsSource;
        int h2;
        if (heads is int given)
        {
            if (config?.Heads is int ch && ch != given) throw new InvalidDataException($"{given} heads were asked for, but {configSource} has n_head {ch}.");
            (h2, headsSource) = (given, "given");
        }
        else if (config?.Heads is int ch) (h2, headsSource) = (ch, $"n_head of {configSource}");
        else if (StandardHeads.TryGetValue(embd, out int sh)) (h2, headsSource) = (sh, $"GPT-2 {StandardNames[embd]}'s {sh} heads for n_embd {embd}, no config.json");
        else
            throw new InvalidDataException($"the number of heads cannot be inferred: the shapes do not tell it, there is no {(configJson == null ? configSource : $"n_head in {configSource}")}, " +
                $"and n_embd {embd} is not a standard GPT-2 size ({string.Join(", ", StandardHeads.Select(kv => $"{kv.Key}: {kv.Value} heads"))}); give the number of heads (ortho import: --n-head).");
        if (h2 <= 0 || embd % h2 != 0) throw new InvalidDataException($"n_embd {embd} is not divisible by {h2} heads ({headsSource}).");
        string fn = config?.ActivationFunction ?? "gelu_new";
        string activation = Gpt2ConfigJson.Activations[fn];
        string activationSource = config?.ActivationFunction != null ? $"activation_function '{fn}' of {configSource}" : "GPT-2's gelu_new";

        var keys = expected.Keys.ToDictionary(k => Prefix + k, k => byName[k], StringComparer.Ordinal);
        return new Gpt2Layout(new GptConfig(vocab, block, layers, h2, embd, activation), headsSource, activationSource, prefixed ? Prefix : "", keys, ignored);

        int[] Embedding(string name, string what)
        {
            if (!byName.TryGetValue(name, out var key))
                throw new InvalidDataException($"no {name} (the {what}), with or without the '{Prefix}' prefix: not a GPT-2 checkpoint (keys: {Sample(shapes.Keys)}).");
            var s = shapes[key];
            if (s.Length != 2 || s[0] <= 0 || s[1] <= 0) throw new InvalidDataException($"{key} is {Shape(s)}, expected the {what}.");
            return s;
        }
    }

    /// <summary>Copies (and transposes) every weight into the model; checks the tied head and that all values are finite.</summary>
    private static List<string> CopyWeights(SafeTensorsFile file, Gpt2Layout layout, Gpt model)
    {
        var own = model.StateDict();
        if (!own.Keys.ToHashSet().SetEquals(layout.Keys.Keys))
            throw new InvalidOperationException("Gpt2Import: Ortho's GPT has other state-dict keys than the import fills: " +
                string.Join(", ", own.Keys.Except(layout.Keys.Keys).Concat(layout.Keys.Keys.Except(own.Keys))));
        var dtypes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (orthoKey, fileKey) in layout.Keys)
        {
            var e = file[fileKey];
            CheckFloat(e);
            dtypes.Add(e.Dtype);
            var dst = own[orthoKey].Data;
            if (Conv1DWeights.Any(orthoKey.EndsWith)) Transpose(e.ToFloat32(), e.Shape[0], e.Shape[1], dst);
            else e.CopyToFloat32(dst);
        }
        if (file.TryGet(LmHead, out var head))
        {
            CheckFloat(head);
            if (!head.ToFloat32().AsSpan().SequenceEqual(own["transformer.wte.weight"].Data))
                throw new InvalidDataException($"{LmHead} differs from {layout.KeyPrefix}wte.weight, but Ortho's GPT ties the LM head to the token embedding.");
        }
        if (NonFinite.FirstNonFiniteParameter(model) is string bad)
            throw new InvalidDataException($"{bad[("parameter ".Length)..]} holds NaN or infinity.");
        return [.. dtypes];
    }

    private static void CheckFloat(SafeTensorEntry e)
    {
        if (e.Dtype is not (SafeTensorDtypes.F32 or SafeTensorDtypes.F16 or SafeTensorDtypes.BF16 or SafeTensorDtypes.F64))
            throw new InvalidDataException($"{e.Name} has dtype {e.Dtype}; weights must be F32, F16, BF16 or F64.");
    }

    /// <summary>dst [cols, rows] = src [rows, cols] transposed, in tiles so both sides stay in cache.</summary>
    private static void Transpose(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst)
    {
        const int tile = 32;
        for (int r0 = 0; r0 < rows; r0 += tile)
            for (int c0 = 0; c0 < cols; c0 += tile)
                for (int r = r0, rEnd = Math.Min(r0 + tile, rows); r < rEnd; r++)
                    for (int c = c0, cEnd = Math.Min(c0 + tile, cols); c < cEnd; c++)
                        dst[c * rows + r] = src[r * cols + c];
    }

    /// <summary>The file itself, or the model.safetensors inside a directory.</summary>
    private static string ResolveFile(string path)
    {
        if (!Directory.Exists(path)) return path;
        string file = Path.Combine(path, "model.safetensors");
        if (File.Exists(file)) return file;
        string hint = File.Exists(Path.Combine(path, "model.safetensors.index.json")) ? " (sharded checkpoints are not supported)"
            : File.Exists(Path.Combine(path, "pytorch_model.bin")) ? " (only safetensors is read, not pytorch_model.bin)" : "";
        throw new FileNotFoundException($"{path}: no model.safetensors in this directory{hint}.", file);
    }

    private static string Shape(int[] s) => "[" + string.Join(", ", s) + "]";

    private static string List(List<string> items) => items.Count <= 8 ? string.Join(", ", items) : string.Join(", ", items.Take(8)) + $", ... ({items.Count - 8} more)";

    private static string Sample(IEnumerable<string> keys)
    {
        var all = keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        return all.Count == 0 ? "none" : List(all);
    }
}
