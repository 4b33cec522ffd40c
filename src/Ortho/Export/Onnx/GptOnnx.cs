using Ortho.Models;

namespace Ortho.Export.Onnx;

/// <summary>
/// The GPT as an ONNX graph: <c>input_ids</c> int64 [B, T] to <c>logits</c> float [B, T, vocab]. Token and position
/// embeddings by Gather and Slice, then the residual stream as rows [B*T, C]: per block LayerNormalization, the
/// fused QKV projection (Gemm) split and reshaped into heads, causal attention as MatMul, scale, an additive mask
/// (0 on and below the diagonal, -inf above; a [block, block] constant sliced to [T, T] when T is symbolic), Softmax
/// and MatMul, the output projection, the MLP with its activation; the LM head tied to the token embedding.
/// </summary>
internal static class GptOnnx
{
    public const string Input = "input_ids", Output = "logits";

    public static void Build(OnnxLayers layers, Gpt model, OnnxExportOptions options)
    {
        var g = layers.Graph;
        var c = model.Config;
        if (options.SequenceLength > c.Block)
            throw new ArgumentException($"ONNX export: sequence length {options.SequenceLength} is longer than the model's block size {c.Block}.");
        OnnxDim t = options.SequenceLength is int fixedT ? fixedT : "sequence";
        g.Input(Input, OnnxDataType.Int64, options.Batch, t);

        var body = model.Transformer;
        var shapes = new Shapes(g, options.SequenceLength, c.Block);
        string x;
        using (g.Scope("transformer.wte")) x = g.Node("Gather", [g.Weight(body.Wte.Weight), Input], OnnxAttribute.Int("axis", 0));
        using (g.Scope("transformer.wpe"))
        {
            x = g.Add(x, g.Node("Slice", [g.Weight(body.Wpe.Weight), g.Int64s(0), shapes.Length, g.Int64s(0)]));
            x = g.Node("Reshape", [x, g.Int64s(-1, c.Embd)]);
        }
        for (int i = 0; i < body.H.Count; i++)
        {
            var block = body.H[i];
            string p = $"transformer.h.{i}.";
            string h;
            using (g.Scope(p + "ln_1")) h = layers.LayerNorm(x, block.Ln1);
            using (g.Scope(p + "attn")) h = Attention(layers, h, block.Attn, c, shapes);
            using (g.Scope(p[..^1])) x = g.Add(x, h);
            using (g.Scope(p + "ln_2")) h = layers.LayerNorm(x, block.Ln2);
            using (g.Scope(p + "mlp.c_fc")) h = layers.Linear(h, block.Mlp.CFc);
            using (g.Scope(p + "mlp.act")) h = layers.Activation(h, block.Mlp.Act);
            using (g.Scope(p + "mlp.c_proj")) h = layers.Linear(h, block.Mlp.CProj);
            using (g.Scope(p[..^1])) x = g.Add(x, h);
        }
        using (g.Scope("transformer.ln_f")) x = layers.LayerNorm(x, body.LnF);
        using (g.Scope("lm_head")) x = g.Node("Reshape", [layers.Linear(x, body.Wte.Weight, null), shapes.Of(c.Vocab)]);
        g.Output(Output, x, OnnxDataType.Float, options.Batch, t, c.Vocab);
    }

    // softmax(q k^T / sqrt(D) + mask) v per head, from rows [B*T, C] to rows [B*T, C].
    private static string Attention(OnnxLayers layers, string x, CausalSelfAttention attn, GptConfig c, Shapes shapes)
    {
        var g = layers.Graph;
        int heads = attn.Heads, d = c.Embd / heads;
        var parts = g.Node("Split", [layers.Linear(x, attn.CAttn), g.Int64s(c.Embd, c.Embd, c.Embd)], 3, OnnxAttribute.Int("axis", 1));
        string perHead = shapes.Of(heads, d);
        string Heads(string v, params long[] perm) => g.Node("Transpose", [g.Node("Reshape", [v, perHead])], OnnxAttribute.Ints("perm", perm));
        string q = Heads(parts[0], 0, 2, 1, 3), kT = Heads(parts[1], 0, 2, 3, 1), v = Heads(parts[2], 0, 2, 1, 3);
        string scores = g.Add(g.Mul(g.MatMul(q, kT), g.Scalar((float)(1 / Math.Sqrt(d)))), shapes.Mask);
        string probs = g.Node("Softmax", [scores], OnnxAttribute.Int("axis", -1));
        string y = g.Node("Transpose", [g.MatMul(probs, v)], OnnxAttribute.Ints("perm", 0, 2, 1, 3));
        return layers.Linear(g.Node("Reshape", [y, g.Int64s(-1, c.Embd)]), attn.CProj);
    }

    /// <summary>The sequence length, the [T, T] causal mask and the [-1, T, ...] reshape targets: constants for a fixed T, else computed once from the input's shape.</summary>
    private sealed class Shapes
    {
        private readonly OnnxGraphBuilder _g;
        private readonly int? _fixed;
        private readonly Dictionary<string, string> _made = [];

        public Shapes(OnnxGraphBuilder g, int? fixedLength, int block)
        {
            _g = g;
            _fixed = fixedLength;
            using var _ = g.Scope("transformer");
            if (fixedLength is int s)
            {
                Length = g.Int64s(s);
                Mask = g.Constant("causal_mask", CausalMask(s), s, s);
            }
            else
            {
                Length = g.Node("Slice", [g.Node("Shape", [Input]), g.Int64s(1), g.Int64s(2)]);
                string full = g.Constant("causal_mask", CausalMask(block), block, block);
                Mask = g.Node("Slice", [full, g.Int64s(0, 0), g.Node("Concat", [Length, Length], OnnxAttribute.Int("axis", 0)), g.Int64s(0, 1)]);
            }
        }

        /// <summary>T as a one-element int64 tensor.</summary>
        public string Length { get; }

        /// <summary>The additive causal mask [T, T].</summary>
        public string Mask { get; }

        /// <summary>The shape [-1, T, dims...] (the batch inferred).</summary>
        public string Of(params long[] dims)
        {
            string key = string.Join(",", dims);
            if (_made.TryGetValue(key, out var s)) return s;
            if (_fixed is int t) s = _g.Int64s([-1, t, .. dims]);
            else
                using (_g.Scope("transformer")) s = _g.Node("Concat", [_g.Int64s(-1), Length, _g.Int64s(dims)], OnnxAttribute.Int("axis", 0));
            return _made[key] = s;
        }

        private static float[] CausalMask(int n)
        {
            var m = new float[n * n];
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++) m[i * n + j] = float.NegativeInfinity;
            return m;
        }
    }
}
