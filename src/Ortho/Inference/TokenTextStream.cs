using Ortho.Data;

namespace Ortho.Inference;

/// <summary>
/// Turns tokens into text as they are generated: a token that ends inside a multi-byte UTF-8 character (a byte-level
/// model emits one byte at a time) is held back until the character is complete, so streamed output never shows a
/// replacement character that the whole text would not have.
/// </summary>
public sealed class TokenTextStream(ITokenizer tokenizer)
{
    // A UTF-8 character has at most 4 bytes; past that, an unfinished one is really invalid.
    private const int MaxPending = 4;
    private readonly ITokenizer _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
    private readonly List<int> _pending = [];

    /// <summary>Adds a token; returns the text that is now complete (possibly empty).</summary>
    public string Push(int token)
    {
        _pending.Add(token);
        string text = _tokenizer.Decode(_pending.ToArray());
        if (text.EndsWith('\uFFFD') && _pending.Count < MaxPending) return "";
        _pending.Clear();
        return text;
    }

    /// <summary>The text of the tokens still held back (an unfinished character decodes as U+FFFD).</summary>
    public string Flush()
    {
        string text = _pending.Count == 0 ? "" : _tokenizer.Decode(_pending.ToArray());
        _pending.Clear();
        return text;
    }
}
