using Ortho.Activations;
using Ortho.NN;

namespace Ortho.Models;

/// <summary>GPT hyper-parameters; <see cref="Activation"/> uses the activation-spec format ("gelu", "hermite:3", ...).</summary>
public sealed record GptConfig(int Vocab = 256, int Block = 128, int Layers = 4, int Heads = 4, int Embd = 128, string Activation = "gelu")
{
    /// <summary>The default LM recipe's model: byte vocabulary, block 128, 4 layers, 4 heads, 128 dims.</summary>
    public static GptConfig DefaultLm(string activation = "gelu") => new(256, 128, 4, 4, 128, activation);

    /// <summary>GPT-2 small (124M parameters).</summary>
    public static GptConfig Gpt2Small(string activation = "gelu") => new(50257, 1024, 12, 12, 768, activation);

    /// <summary>Checks the numbers and throws with the offending field named.</summary>
    public void Validate()
    {
        if (Vocab <= 0 || Block <= 0 || Layers <= 0 || Heads <= 0 || Embd <= 0)
            throw new ArgumentException($"GptConfig: all sizes must be positive: {this}.");
        if (Embd % Heads != 0) throw new ArgumentException($"GptConfig: embd {Embd} is not divisible by heads {Heads}.");
        ActivationSpec.Parse(Activation);
    }
}

/// <summary>A GPT-2 / nanoGPT language model: pre-LayerNorm blocks, fused causal attention, MLP with a pluggable activation.</summary>
public sealed class Gpt : Module
{
    /// <summary>Builds the model and initializes it as GPT-2 does (N(0, 0.02); residual projections scaled by 1/sqrt(2 layers)).</summary>
    public Gpt(GptConfig config, Rng? rng = null)
    {
        config.Validate();
        Config = config;
        rng ??= Rng.Default;
        Transformer = RegisterModule("transformer", new GptBody(config, rng));
        float std = 0.02f, projStd = 0.02f / MathF.Sqrt(2 * config.Layers);
        foreach (var (name, p) in NamedParameters())
        {
            p.Name = name; // full dotted names in error messages
            if (p.Rank >= 2) rng.FillNormal(p.Data, 0f, name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? projStd : std);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.Data.Clear();
        }
    }

    /// <summary>The configuration.</summary>
    public GptConfig Config { get; }

    /// <summary>
    /// The LM head is tied to <c>transformer.wte.weight</c> and stored once under that name. PyTorch's state_dict()
    /// also lists <c>lm_head.weight</c>, and safetensors' save_model may keep only that name: accept both.
    /// </summary>
    protected override IReadOnlyDictionary<string, Tensor> NormalizeStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        const string head = "lm_head.weight", wte = "transformer.wte.weight";
        if (!state.TryGetValue(head, out var h)) return state;
        var d = state.ToDictionary(kv => kv.Key, kv => kv.Value);
        d.Remove(head);
        if (!d.TryGetValue(wte, out var w)) d[wte] = h;
        else if (!w.Data.SequenceEqual(h.Data))
            throw new StateDictException($"Gpt: '{head}' differs from '{wte}', but the LM head is tied to the token embedding.", [], [head], []);
        return d;
    }

    /// <summary>Embeddings, blocks and final norm (PyTorch's <c>transformer</c> ModuleDict).</summary>
    public GptBody Transformer { get; }

    /// <summary>Logits [B, T, vocab] for token ids [B, T] (row-major in <paramref name="idx"/>).</summary>
    public Tensor Forward(ReadOnlySpan<int> idx, int batch, int tokens)
    {
        if (tokens > Config.Block) throw new ArgumentException($"Gpt: sequence of {tokens} tokens is longer than the block size {Config.Block}.");
        if (idx.Length != batch * tokens) throw new ArgumentException($"Gpt: {idx.Length} token ids do not fill [{batch}, {tokens}].");
        var t = Transformer;
        var x = t.Wte.Forward(idx, batch, tokens) + t.Wpe.Weight.Slice(0, 0, tokens);
        foreach (var block in t.H) x = block.Forward(x);
        return Functional.Linear(t.LnF.Forward(x), t.Wte.Weight); // lm_head tied to wte
    }

    /// <summary>Mean cross-entropy of next-token prediction for ids and targets [B, T].</summary>
    public Tensor Loss(ReadOnlySpan<int> idx, ReadOnlySpan<int> targets, int batch, int tokens)
    {
        var logits = Forward(idx, batch, tokens);
        return Functional.CrossEntropy(logits.Reshape(batch * tokens, Config.Vocab), targets);
    }
}

/// <summary>The <c>transformer</c> part of <see cref="Gpt"/>: wte, wpe, h, ln_f.</summary>
public sealed class GptBody : Module
{
    internal GptBody(GptConfig c, Rng rng)
    {
        Wte = RegisterModule("wte", new Embedding(c.Vocab, c.Embd, rng));
        Wpe = RegisterModule("wpe", new Embedding(c.Block, c.Embd, rng));
        H = RegisterModule("h", new ModuleList<GptBlock>(Enumerable.Range(0, c.Layers).Select(_ => new GptBlock(c, rng))));
        LnF = RegisterModule("ln_f", new LayerNorm(c.Embd));
    }

    /// <summary>Token embedding (also the LM head).</summary>
    public Embedding Wte { get; }

    /// <summary>Position embedding.</summary>
    public Embedding Wpe { get; }

    /// <summary>The blocks.</summary>
    public ModuleList<GptBlock> H { get; }

    /// <summary>Final LayerNorm.</summary>
    public LayerNorm LnF { get; }
}

/// <summary>x += attn(ln_1(x)); x += mlp(ln_2(x)).</summary>
public sealed class GptBlock : UnaryModule
{
    internal GptBlock(GptConfig c, Rng rng)
    {
        Ln1 = RegisterModule("ln_1", new LayerNorm(c.Embd));
        Attn = RegisterModule("attn", new CausalSelfAttention(c.Embd, c.Heads, rng));
        Ln2 = RegisterModule("ln_2", new LayerNorm(c.Embd));
        Mlp = RegisterModule("mlp", new GptMlp(c.Embd, c.Activation, rng));
    }

    /// <summary>Norm before attention.</summary>
    public LayerNorm Ln1 { get; }

    /// <summary>Attention.</summary>
    public CausalSelfAttention Attn { get; }

    /// <summary>Norm before the MLP.</summary>
    public LayerNorm Ln2 { get; }

    /// <summary>MLP.</summary>
    public GptMlp Mlp { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor x)
    {
        // x + attn(ln_1(x)), then x + mlp(ln_2(x)): each sum taken by the branch's last GEMM (c_proj) as it writes.
        x = Attn.ForwardResidual(Ln1.Forward(x), x);
        return Mlp.ForwardResidual(Ln2.Forward(x), x);
    }
}

/// <summary>Multi-head causal self-attention with a fused QKV projection <c>c_attn</c> and output projection <c>c_proj</c>.</summary>
public sealed class CausalSelfAttention : UnaryModule
{
    /// <summary>Creates the layer.</summary>
    public CausalSelfAttention(int embd, int heads, Rng rng)
    {
        Heads = heads;
        CAttn = RegisterModule("c_attn", new Linear(embd, 3 * embd, rng: rng));
        CProj = RegisterModule("c_proj", new Linear(embd, embd, rng: rng));
    }

    /// <summary>Number of heads.</summary>
    public int Heads { get; }

    /// <summary>QKV projection C -> 3C.</summary>
    public Linear CAttn { get; }

    /// <summary>Output projection.</summary>
    public Linear CProj { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor x) => CProj.Forward(Attend(x));

    /// <summary>residual + this(x), the sum taken by c_proj's GEMM (<see cref="Linear.ForwardResidual"/>); with forward
    /// hooks, <c>residual + Forward(x)</c>, so the hooks see this module's own output.</summary>
    /// <param name="x">Input [B, T, C].</param>
    /// <param name="residual">The residual stream [B, T, C].</param>
    public Tensor ForwardResidual(Tensor x, Tensor residual) =>
        HasForwardHooks ? residual + Forward(x) : CProj.ForwardResidual(Attend(x), residual);

    // The heads' outputs, concatenated, before the output projection.
    private Tensor Attend(Tensor x) => Functional.CausalSelfAttention(CAttn.Forward(x), Heads);
}

/// <summary>c_fc (C -> 4C), the activation <c>act</c>, c_proj (4C -> C).</summary>
public sealed class GptMlp : UnaryModule
{
    /// <summary>Creates the MLP.</summary>
    public GptMlp(int embd, string activation, Rng rng)
    {
        CFc = RegisterModule("c_fc", new Linear(embd, 4 * embd, rng: rng));
        Act = RegisterModule("act", ActivationSpec.Parse(activation).Create(rng));
        CProj = RegisterModule("c_proj", new Linear(4 * embd, embd, rng: rng));
    }

    /// <summary>Expansion.</summary>
    public Linear CFc { get; }

    /// <summary>The activation.</summary>
    public UnaryModule Act { get; }

    /// <summary>Projection back.</summary>
    public Linear CProj { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor x) => CProj.Forward(Hidden(x));

    /// <summary>residual + this(x), the sum taken by c_proj's GEMM (<see cref="Linear.ForwardResidual"/>); with forward
    /// hooks, <c>residual + Forward(x)</c>, so the hooks see this module's own output.</summary>
    /// <param name="x">Input [B, T, C].</param>
    /// <param name="residual">The residual stream [B, T, C].</param>
    public Tensor ForwardResidual(Tensor x, Tensor residual) =>
        HasForwardHooks ? residual + Forward(x) : CProj.ForwardResidual(Hidden(x), residual);

    // act(c_fc(x)), before the projection back.
    private Tensor Hidden(Tensor x) => Act.Forward(CFc.Forward(x));
}
