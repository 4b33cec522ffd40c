using Ortho.Models;

namespace Ortho.Inference;

/// <summary>How <see cref="GptGenerator"/> samples.</summary>
public sealed record GenerationOptions
{
    /// <summary>Tokens to generate.</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>0 for greedy decoding; else the softmax temperature.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Sample among the K most likely tokens only; 0 for all.</summary>
    public int TopK { get; init; }

    /// <summary>Seed of the sampler: the same seed, model and prompt give the same tokens.</summary>
    public ulong Seed { get; init; }

    /// <summary>Use the key/value cache (each token costs O(T)); false runs a full forward pass per token (the reference).</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>
    /// When the context would exceed the block size, drop this many of its oldest tokens at once (then the cache is
    /// computed again for the rest): 1 keeps the longest context (a full pass for every token past the block size);
    /// 0 (the default) takes a quarter of the block size.
    /// </summary>
    public int WindowShift { get; init; }

    /// <summary>Stop after generating this token (e.g. GPT-2's end of text), if set.</summary>
    public int? StopToken { get; init; }

    /// <summary>Checks the numbers; the message names the field.</summary>
    public void Validate(int block)
    {
        if (MaxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "tokens to generate must be >= 0.");
        if (!(Temperature >= 0) || float.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be 0 (greedy) or positive.");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "top-k must be 0 (all tokens) or positive.");
        if (WindowShift < 0 || WindowShift > block) throw new ArgumentOutOfRangeException(nameof(WindowShift), WindowShift, $"window shift must be in [0, {block}] (the block size).");
    }
}

/// <summary>Sees the logits each generated token was sampled from (index of the token, logits [vocab]).</summary>
public delegate void LogitsObserver(int index, ReadOnlySpan<float> logits);

/// <summary>
/// Samples text from a <see cref="Gpt"/>: a lazy sequence of token ids, each produced as soon as it is sampled (so
/// that callers can stream it), with a key/value cache (<see cref="GptDecoder"/>). The context is the last tokens that
/// fit the block size; when it would overflow, the window slides by <see cref="GenerationOptions.WindowShift"/> tokens
/// and the cache is computed again. With <see cref="GenerationOptions.UseCache"/> false every token is computed by a
/// full forward pass over the same context, which gives the same logits (to float rounding) and tokens.
/// </summary>
public sealed class GptGenerator(Gpt model)
{
    private readonly GptDecoder _decoder = new(model ?? throw new ArgumentNullException(nameof(model)));

    /// <summary>The model.</summary>
    public Gpt Model => _decoder.Model;

    /// <summary>
    /// Generates up to <see cref="GenerationOptions.MaxNewTokens"/> tokens after <paramref name="prompt"/> (at least one
    /// token; only its last block-size tokens are seen). Enumerate the result once: it runs the model as it goes.
    /// </summary>
    public IEnumerable<int> Generate(IReadOnlyList<int> prompt, GenerationOptions? options = null, LogitsObserver? observe = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        options ??= new GenerationOptions();
        int block = Model.Config.Block, vocab = Model.Config.Vocab;
        options.Validate(block);
        if (prompt.Count == 0) throw new ArgumentException("the prompt needs at least one token.", nameof(prompt));
        foreach (int t in prompt)
            if ((uint)t >= (uint)vocab) throw new ArgumentException($"prompt token {t} is outside the model's vocabulary [0, {vocab}).", nameof(prompt));
        return Run(prompt.ToList(), options, observe);
    }

    private IEnumerable<int> Run(List<int> tokens, GenerationOptions o, LogitsObserver? observe)
    {
        int block = Model.Config.Block;
        int shift = o.WindowShift > 0 ? o.WindowShift : Math.Max(1, block / 4);
        var sampler = new TokenSampler(o.Temperature, o.TopK, o.Seed);
        int start = Math.Max(0, tokens.Count - block); // the context is tokens[start..]
        if (o.UseCache && o.MaxNewTokens > 0) _decoder.Prefill(Tail(tokens, start));
        for (int i = 0; i < o.MaxNewTokens; i++)
        {
            var logits = o.UseCache ? _decoder.LastLogits : _decoder.FullForward(Tail(tokens, start));
            observe?.Invoke(i, logits);
            int next = sampler.Sample(logits);
            tokens.Add(next);
            yield return next;
            if (next == o.StopToken || i + 1 == o.MaxNewTokens) yield break;
            if (tokens.Count - start > block)
            {
                start = tokens.Count - (block - shift + 1);
                if (o.UseCache) _decoder.Prefill(Tail(tokens, start));
            }
            else if (o.UseCache) _decoder.Append(next);
        }
    }

    private static ReadOnlySpan<int> Tail(List<int> tokens, int start) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tokens)[start..];
}
