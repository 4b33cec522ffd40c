using System.Globalization;
using System.Text.Json;

namespace Ortho.IO.HuggingFace;

/// <summary>
/// The fields of a Hugging Face GPT-2 <c>config.json</c> that decide how the weights compute: sizes (to cross-check the
/// shapes), <c>n_head</c> (which the shapes cannot tell), the activation, the LayerNorm epsilon and the attention
/// scaling options. Missing fields take Hugging Face's GPT-2 defaults.
/// </summary>
internal sealed record Gpt2ConfigJson(int? Heads, int? Embd, int? Layers, int? Vocab, int? Positions, int? Inner, string? ActivationFunction,
    double LayerNormEpsilon, bool ScaleAttnWeights, bool ScaleAttnByInverseLayerIdx, string? ModelType)
{
    /// <summary>Hugging Face's <c>activation_function</c> names and the Ortho activation spec that computes the same function.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Activations = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["gelu_new"] = "gelu_tanh", // GPT-2's own: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        ["gelu_pytorch_tanh"] = "gelu_tanh",
        ["gelu_fast"] = "gelu_tanh", // the same formula with the constant written out
        ["gelu"] = "gelu", // exact (erf)
        ["relu"] = "relu",
        ["silu"] = "silu",
        ["swish"] = "silu",
        ["tanh"] = "tanh",
        ["sigmoid"] = "sigmoid",
    };

    /// <summary>Parses config.json text; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Not a JSON object, or a field has the wrong type.</exception>
    public static Gpt2ConfigJson Parse(string json, string source)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source} is not valid JSON: {e.Message}", e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source} is not a JSON object.");
            int? Int(string name)
            {
                if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
                if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i))
                    throw new InvalidDataException($"{source}: '{name}' must be an integer, got {v.GetRawText()}.");
                return i;
            }
            string? Str(string name)
            {
                if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
                if (v.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{source}: '{name}' must be a string, got {v.GetRawText()}.");
                return v.GetString();
            }
            bool Bool(string name, bool fallback)
            {
                if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
                if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    throw new InvalidDataException($"{source}: '{name}' must be true or false, got {v.GetRawText()}.");
                return v.GetBoolean();
            }
            double eps = 1e-5;
            if (root.TryGetProperty("layer_norm_epsilon", out var e) && e.ValueKind != JsonValueKind.Null)
            {
                if (e.ValueKind != JsonValueKind.Number) throw new InvalidDataException($"{source}: 'layer_norm_epsilon' must be a number, got {e.GetRawText()}.");
                eps = e.GetDouble();
            }
            return new Gpt2ConfigJson(Int("n_head"), Int("n_embd"), Int("n_layer"), Int("vocab_size"), Int("n_positions") ?? Int("n_ctx"), Int("n_inner"),
                Str("activation_function"), eps, Bool("scale_attn_weights", true), Bool("scale_attn_by_inverse_layer_idx", false), Str("model_type"));
        }
    }

    /// <summary>
    /// What in this config disagrees with the sizes read from the shapes, or computes differently from Ortho's GPT
    /// (pre-LN blocks with LayerNorm eps 1e-5, attention scaled by 1/sqrt(head size), a 4 x n_embd MLP); empty when nothing.
    /// </summary>
    public List<string> Problems(int vocab, int block, int layers, int embd)
    {
        var p = new List<string>();
        void Same(string field, int? value, int actual, string from)
        {
            if (value is int v && v != actual) p.Add($"{field} is {v}, but the weights have {actual} ({from})");
        }
        if (ModelType != null && ModelType != "gpt2") p.Add($"model_type is '{ModelType}', not 'gpt2'");
        Same("n_embd", Embd, embd, "wte.weight");
        Same("vocab_size", Vocab, vocab, "wte.weight");
        Same("n_positions", Positions, block, "wpe.weight");
        Same("n_layer", Layers, layers, "the h.N keys");
        if (Inner is int inner && inner != 4 * embd) p.Add($"n_inner is {inner}, but Ortho's GPT has an MLP of 4 x n_embd = {4 * embd}");
        if (ActivationFunction != null && !Activations.ContainsKey(ActivationFunction))
            p.Add($"activation_function '{ActivationFunction}' has no Ortho equivalent (known: {string.Join(", ", Activations.Keys)})");
        if (Math.Abs(LayerNormEpsilon - 1e-5) > 1e-12)
            p.Add(string.Create(CultureInfo.InvariantCulture, $"layer_norm_epsilon is {LayerNormEpsilon:R}, but Ortho's GPT uses 1e-5"));
        if (!ScaleAttnWeights) p.Add("scale_attn_weights is false, but Ortho's attention always scales by 1/sqrt(head size)");
        if (ScaleAttnByInverseLayerIdx) p.Add("scale_attn_by_inverse_layer_idx is true, which Ortho's attention does not do");
        return p;
    }
}
