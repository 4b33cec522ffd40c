namespace Ortho.Data;

/// <summary>
/// Text to token ids and back: the part of a tokenizer that models, samplers and corpora need, so that a model can be
/// trained, evaluated and sampled with either <see cref="ByteTokenizer"/> (256 byte values) or
/// <see cref="Gpt2Tokenizer"/> (GPT-2's 50,257 byte-level BPE tokens).
/// </summary>
public interface ITokenizer
{
    /// <summary>A short stable name ("byte", "gpt2"); cached token files record it.</summary>
    string Name { get; }

    /// <summary>Number of token ids: every id is in [0, VocabSize).</summary>
    int VocabSize { get; }

    /// <summary>The token ids of <paramref name="text"/>.</summary>
    int[] Encode(string text);

    /// <summary>The text of <paramref name="tokens"/>; byte sequences that are not valid UTF-8 become U+FFFD.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, <see cref="VocabSize"/>).</exception>
    string Decode(ReadOnlySpan<int> tokens);
}
