using Ortho.Kernels;
using Ortho.Models;

namespace Ortho.Inference;

/// <summary>
/// Runs a <see cref="Gpt"/> one token at a time with a key/value cache: <see cref="Prefill"/> runs the model over a
/// context and keeps every layer's keys and values; <see cref="Append"/> then feeds one more token at a cost of
/// O(T) attention per layer (one query row against the cached keys and values) instead of a full forward pass over
/// the T tokens. Both return the logits of the next token. Nothing is recorded for autograd.
/// </summary>
/// <remarks>
/// The cache holds at most the model's block size of tokens (positions are absolute, so a window that slides has to be
/// computed again with <see cref="Prefill"/>). Per layer it takes 2 x block x embd floats.
/// </remarks>
public sealed class GptDecoder
{
    private readonly Gpt _model;
    private readonly float[][] _keys, _values; // per layer [Block, C]: head h at channels [h D, (h + 1) D)
    private readonly float[] _logits, _scores;
    private readonly int _c, _heads, _block;

    /// <summary>Allocates the cache for <paramref name="model"/>.</summary>
    public GptDecoder(Gpt model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        var cfg = model.Config;
        _c = cfg.Embd;
        _heads = cfg.Heads;
        _block = cfg.Block;
        _keys = new float[cfg.Layers][];
        _values = new float[cfg.Layers][];
        for (int i = 0; i < cfg.Layers; i++)
        {
            _keys[i] = new float[_block * _c];
            _values[i] = new float[_block * _c];
        }
        _logits = new float[cfg.Vocab];
        _scores = new float[_block];
    }

    /// <summary>The model.</summary>
    public Gpt Model => _model;

    /// <summary>Tokens in the cache: the position the next <see cref="Append"/> takes.</summary>
    public int Length { get; private set; }

    /// <summary>The most tokens the cache holds: the model's block size.</summary>
    public int Capacity => _block;

    /// <summary>The logits returned by the last <see cref="Prefill"/>, <see cref="Append"/> or <see cref="FullForward"/>.</summary>
    public ReadOnlySpan<float> LastLogits => _logits;

    /// <summary>Empties the cache.</summary>
    public void Reset() => Length = 0;

    /// <summary>
    /// Empties the cache, runs the model over <paramref name="tokens"/> (positions 0 to T-1, 1 &lt;= T &lt;= block size)
    /// and caches their keys and values; returns the logits after the last token (valid until the next call).
    /// </summary>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        int t = tokens.Length;
        if (t < 1 || t > _block) throw new ArgumentException($"GptDecoder: a context of {t} tokens; it must hold 1 to {_block} (the block size).", nameof(tokens));
        Length = 0;
        var body = _model.Transformer;
        using var noGrad = Tensor.NoGrad();
        using var scope = Tensor.Scope();
        var x = body.Wte.Forward(tokens, 1, t) + body.Wpe.Weight.Slice(0, 0, t);
        for (int i = 0; i < body.H.Count; i++)
        {
            var b = body.H[i];
            var qkv = b.Attn.CAttn.Forward(b.Ln1.Forward(x)); // [1, T, 3C]
            var d = qkv.Data;
            for (int j = 0; j < t; j++)
            {
                d.Slice(j * 3 * _c + _c, _c).CopyTo(_keys[i].AsSpan(j * _c));
                d.Slice(j * 3 * _c + 2 * _c, _c).CopyTo(_values[i].AsSpan(j * _c));
            }
            // The same ops as the block's forward pass.
            x = x + b.Attn.CProj.Forward(Functional.CausalSelfAttention(qkv, _heads));
            x = x + b.Mlp.Forward(b.Ln2.Forward(x));
        }
        Length = t;
        return Logits(x.Slice(1, t - 1, 1));
    }

    /// <summary>
    /// Feeds one token at position <see cref="Length"/> (the cache must not be full), caches its keys and values and
    /// returns the logits of the token after it (valid until the next call).
    /// </summary>
    public ReadOnlySpan<float> Append(int token)
    {
        if (Length == 0) throw new InvalidOperationException("GptDecoder: Prefill a context before appending tokens.");
        if (Length == _block) throw new InvalidOperationException($"GptDecoder: the cache is full ({_block} tokens, the block size); slide the window and Prefill again.");
        int pos = Length, hd = _c / _heads;
        var body = _model.Transformer;
        using var noGrad = Tensor.NoGrad();
        using var scope = Tensor.Scope();
        var x = body.Wte.Forward([token], 1, 1) + body.Wpe.Weight.Slice(0, pos, 1);
        for (int i = 0; i < body.H.Count; i++)
        {
            var b = body.H[i];
            var qkv = RowLinear(b.Ln1.Forward(x), b.Attn.CAttn).Data; // [1, 1, 3C]
            qkv.Slice(_c, _c).CopyTo(_keys[i].AsSpan(pos * _c));
            qkv.Slice(2 * _c, _c).CopyTo(_values[i].AsSpan(pos * _c));
            var y = Tensor.Empty([1, 1, _c]);
            DecodeKernels.Attention(y.Data, qkv[.._c], _keys[i], _values[i], _scores, pos + 1, _heads, hd);
            x = x + RowLinear(y, b.Attn.CProj);
            var m = b.Mlp;
            x = x + RowLinear(m.Act.Forward(RowLinear(b.Ln2.Forward(x), m.CFc)), m.CProj);
        }
        Length = pos + 1;
        return Logits(x);
    }

    // One row through a Linear layer: a dot product per output (the weight's rows are contiguous), where a GEMM
    // with one row would copy and transpose the whole weight first.
    private static Tensor RowLinear(Tensor x, NN.Linear layer)
    {
        var y = Tensor.Empty([1, 1, layer.OutFeatures]);
        DecodeKernels.RowTimesTransposed(y.Data, x.Data, layer.Weight.Data, layer.Bias is { } b ? b.Data : default);
        return y;
    }

    /// <summary>
    /// The logits after the last of <paramref name="tokens"/> by a full forward pass of the model (no cache): what
    /// <see cref="Prefill"/> and <see cref="Append"/> compute faster; the reference they are tested against.
    /// </summary>
    public ReadOnlySpan<float> FullForward(ReadOnlySpan<int> tokens)
    {
        int t = tokens.Length;
        if (t < 1 || t > _block) throw new ArgumentException($"GptDecoder: a context of {t} tokens; it must hold 1 to {_block} (the block size).", nameof(tokens));
        using var noGrad = Tensor.NoGrad();
        using var scope = Tensor.Scope();
        var logits = _model.Forward(tokens, 1, t).Data;
        logits.Slice((t - 1) * _logits.Length, _logits.Length).CopyTo(_logits);
        return _logits;
    }

    // ln_f and the tied head on the last position [1, 1, C].
    private float[] Logits(Tensor last)
    {
        var body = _model.Transformer;
        DecodeKernels.RowTimesTransposed(_logits, body.LnF.Forward(last).Data, body.Wte.Weight.Data, default);
        return _logits;
    }
}
