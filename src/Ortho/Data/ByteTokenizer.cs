using System.Text;

namespace Ortho.Data;

/// <summary>Byte-level tokenizer: a token is one byte of the UTF-8 text (vocabulary 256).</summary>
/// <remarks>The static members are the tokenizer; <see cref="Instance"/> is the same as an <see cref="ITokenizer"/>.</remarks>
public sealed class ByteTokenizer : ITokenizer
{
    private ByteTokenizer() { }

    /// <summary>The tokenizer as an <see cref="ITokenizer"/> (name "byte").</summary>
    public static ByteTokenizer Instance { get; } = new();

    string ITokenizer.Name => "byte";
    int ITokenizer.VocabSize => VocabSize;
    int[] ITokenizer.Encode(string text) => Encode(text);
    string ITokenizer.Decode(ReadOnlySpan<int> tokens) => Decode(tokens);

    /// <summary>Vocabulary size: 256.</summary>
    public const int VocabSize = 256;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>The UTF-8 bytes of <paramref name="text"/>.</summary>
    public static byte[] EncodeBytes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Utf8.GetBytes(text);
    }

    /// <summary>The tokens of <paramref name="text"/>: its UTF-8 bytes as ints in [0, 256).</summary>
    public static int[] Encode(string text)
    {
        byte[] bytes = EncodeBytes(text);
        var tokens = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) tokens[i] = bytes[i];
        return tokens;
    }

    /// <summary>Decodes tokens to text; byte sequences that are not valid UTF-8 become U+FFFD.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside [0, 256).</exception>
    public static string Decode(ReadOnlySpan<int> tokens)
    {
        var bytes = new byte[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            int t = tokens[i];
            if ((uint)t >= VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), t, $"token {i} is outside [0, {VocabSize})");
            bytes[i] = (byte)t;
        }
        return Utf8.GetString(bytes);
    }

    /// <summary>Decodes bytes to text; sequences that are not valid UTF-8 become U+FFFD.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes) => Utf8.GetString(bytes);
}
