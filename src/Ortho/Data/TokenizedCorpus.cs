using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Ortho.IO;

namespace Ortho.Data;

/// <summary>
/// A corpus's training and validation text as the token ids of one tokenizer, encoded once and cached in a binary file
/// (by default beside the corpus in the data directory), so that e.g. an imported GPT-2 can be evaluated and fine-tuned
/// on the Brown corpus with GPT-2's tokens without running the BPE every time.
/// </summary>
/// <remarks>
/// <para>The cache file, little-endian: the 8 ASCII bytes <c>ORTHOTOK</c>; uint32 format version (1); uint32 vocabulary
/// size; uint32 bytes per token (2, unsigned, when the vocabulary has at most 65,536 ids, else 4, signed); uint32 length
/// n (at most 256) and n UTF-8 bytes of the tokenizer's name; 32 bytes SHA-256 of the source text; int64 training and
/// int64 validation token counts; 32 bytes SHA-256 of the token data; the token data (training tokens, then
/// validation tokens). The source hash covers the uint64 byte length of the training text, the training text and the
/// validation text (their UTF-8 bytes).</para>
/// <para>The cache is used only when its tokenizer name, vocabulary size and source hash match and its data hash,
/// length and ids check out; otherwise the text is encoded again and the file rewritten. A cache that cannot be
/// written (e.g. a read-only data directory) is not an error: <see cref="CacheStatus"/> says so.</para>
/// </remarks>
public sealed class TokenizedCorpus
{
    private static readonly byte[] Magic = "ORTHOTOK"u8.ToArray();
    private const uint Version = 1;
    private const int MaxNameBytes = 256;

    private TokenizedCorpus(string tokenizer, int vocabSize, int[] train, int[] validation, string? cachePath, string status)
    {
        TokenizerName = tokenizer;
        VocabSize = vocabSize;
        Train = train;
        Validation = validation;
        CachePath = cachePath;
        CacheStatus = status;
    }

    /// <summary>The tokenizer's <see cref="ITokenizer.Name"/>.</summary>
    public string TokenizerName { get; }

    /// <summary>The tokenizer's vocabulary size: every id is below it.</summary>
    public int VocabSize { get; }

    /// <summary>Token ids of the training text.</summary>
    public int[] Train { get; }

    /// <summary>Token ids of the validation text.</summary>
    public int[] Validation { get; }

    /// <summary>The cache file, or null when none was asked for or it could not be written.</summary>
    public string? CachePath { get; }

    /// <summary>What happened to the cache: "read", "written", "rewritten (...)", "not written: ..." or "not cached".</summary>
    public string CacheStatus { get; }

    /// <summary>The default cache file of a corpus directory: <c>tokens.NAME.bin</c> inside it.</summary>
    public static string DefaultCachePath(string corpusDirectory, ITokenizer tokenizer) =>
        Path.Combine(corpusDirectory, $"tokens.{tokenizer.Name}.bin");

    /// <summary>
    /// The Brown corpus (<see cref="BrownCorpus.Load"/>, same split) tokenized by <paramref name="tokenizer"/>, cached in
    /// <paramref name="cachePath"/> (default <see cref="DefaultCachePath"/> of the corpus directory).
    /// </summary>
    /// <param name="tokenizer">E.g. <see cref="Gpt2Tokenizer.Instance"/>.</param>
    /// <param name="brownDirectory">The directory of the <c>c[a-r]NN</c> files; default <see cref="BrownCorpus.DefaultDirectory"/>.</param>
    /// <param name="cachePath">Where to cache the ids.</param>
    public static TokenizedCorpus Brown(ITokenizer tokenizer, string? brownDirectory = null, string? cachePath = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        string dir = brownDirectory ?? BrownCorpus.DefaultDirectory;
        var (train, validation) = BrownCorpus.Load(dir);
        return Load(tokenizer, train, validation, cachePath ?? DefaultCachePath(dir, tokenizer));
    }

    /// <summary>Tokenizes UTF-8 training and validation text, or reads the ids from <paramref name="cachePath"/> when it holds them.</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="trainText">UTF-8 training text.</param>
    /// <param name="validationText">UTF-8 validation text.</param>
    /// <param name="cachePath">The cache file, or null to encode without caching.</param>
    /// <exception cref="InvalidDataException">The text is not valid UTF-8, or the tokenizer gave an id outside its vocabulary.</exception>
    public static TokenizedCorpus Load(ITokenizer tokenizer, byte[] trainText, byte[] validationText, string? cachePath)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(trainText);
        ArgumentNullException.ThrowIfNull(validationText);
        byte[] source = SourceHash(trainText, validationText);
        string? stale = null;
        if (cachePath != null && File.Exists(cachePath))
        {
            stale = TryRead(cachePath, tokenizer, source, out var cached);
            if (stale == null) return new TokenizedCorpus(tokenizer.Name, tokenizer.VocabSize, cached!.Value.Train, cached.Value.Validation, cachePath, "read");
        }
        int[] train = Encode(tokenizer, trainText, "training");
        int[] validation = Encode(tokenizer, validationText, "validation");
        if (cachePath == null) return new TokenizedCorpus(tokenizer.Name, tokenizer.VocabSize, train, validation, null, "not cached");
        try
        {
            Write(cachePath, tokenizer, source, train, validation);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new TokenizedCorpus(tokenizer.Name, tokenizer.VocabSize, train, validation, null, $"not written: {e.Message}");
        }
        return new TokenizedCorpus(tokenizer.Name, tokenizer.VocabSize, train, validation, cachePath, stale == null ? "written" : $"rewritten ({stale})");
    }

    private static int[] Encode(ITokenizer tokenizer, byte[] utf8, string split)
    {
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(utf8); }
        catch (DecoderFallbackException e) { throw new InvalidDataException($"TokenizedCorpus: the {split} text is not valid UTF-8: {e.Message}", e); }
        int[] ids = tokenizer.Encode(text);
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)tokenizer.VocabSize)
                throw new InvalidDataException($"TokenizedCorpus: tokenizer '{tokenizer.Name}' gave id {ids[i]} at {split} position {i}, outside [0, {tokenizer.VocabSize})");
        return ids;
    }

    private static byte[] SourceHash(byte[] train, byte[] validation)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)train.Length);
        h.AppendData(length);
        h.AppendData(train);
        h.AppendData(validation);
        return h.GetHashAndReset();
    }

    private static int TokenBytes(int vocabSize) => vocabSize <= 65536 ? 2 : 4;

    private static byte[] TokenData(int[] train, int[] validation, int tokenBytes)
    {
        var data = new byte[((long)train.Length + validation.Length) * tokenBytes];
        int at = 0;
        foreach (int t in train.Concat(validation))
        {
            if (tokenBytes == 2) BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(at), (ushort)t);
            else BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(at), t);
            at += tokenBytes;
        }
        return data;
    }

    private static void Write(string path, ITokenizer tokenizer, byte[] source, int[] train, int[] validation)
    {
        byte[] name = Encoding.UTF8.GetBytes(tokenizer.Name);
        if (name.Length > MaxNameBytes) throw new ArgumentException($"TokenizedCorpus: tokenizer name '{tokenizer.Name}' is over {MaxNameBytes} bytes.");
        int tokenBytes = TokenBytes(tokenizer.VocabSize);
        byte[] data = TokenData(train, validation, tokenBytes);
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is string dir) Directory.CreateDirectory(dir);
        AtomicFile.Write(path, s =>
        {
            using var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true); // BinaryWriter is little-endian
            w.Write(Magic);
            w.Write(Version);
            w.Write((uint)tokenizer.VocabSize);
            w.Write((uint)tokenBytes);
            w.Write((uint)name.Length);
            w.Write(name);
            w.Write(source);
            w.Write((long)train.Length);
            w.Write((long)validation.Length);
            w.Write(SHA256.HashData(data));
            w.Write(data);
        });
    }

    /// <summary>Reads a cache file; returns null and the ids when it is valid for this tokenizer and source, else why not.</summary>
    private static string? TryRead(string path, ITokenizer tokenizer, byte[] source, out (int[] Train, int[] Validation)? ids)
    {
        ids = null;
        byte[] file;
        try { file = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return $"cache unreadable: {e.Message}"; }
        var r = new BinaryReader(new MemoryStream(file));
        try
        {
            if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic)) return "not a token cache file";
            uint version = r.ReadUInt32();
            if (version != Version) return $"cache format version {version}, expected {Version}";
            uint vocab = r.ReadUInt32(), tokenBytes = r.ReadUInt32(), nameLength = r.ReadUInt32();
            if (nameLength > MaxNameBytes) return "corrupt cache header";
            string name = Encoding.UTF8.GetString(r.ReadBytes((int)nameLength));
            if (name != tokenizer.Name || vocab != tokenizer.VocabSize)
                return $"cache is for tokenizer '{name}' with {vocab} ids, not '{tokenizer.Name}' with {tokenizer.VocabSize}";
            if (tokenBytes != TokenBytes(tokenizer.VocabSize)) return "corrupt cache header";
            if (!r.ReadBytes(32).AsSpan().SequenceEqual(source)) return "source text changed";
            long nTrain = r.ReadInt64(), nValidation = r.ReadInt64();
            byte[] dataHash = r.ReadBytes(32);
            long start = r.BaseStream.Position;
            if (nTrain < 0 || nValidation < 0 || (file.Length - start) != (nTrain + nValidation) * tokenBytes)
                return $"cache truncated or corrupt: {file.Length - start} data bytes for {nTrain} + {nValidation} tokens";
            var data = file.AsSpan((int)start);
            if (!SHA256.HashData(data).AsSpan().SequenceEqual(dataHash)) return "cache data checksum mismatch";
            var all = new int[nTrain + nValidation];
            if (tokenBytes == 2) for (int i = 0; i < all.Length; i++) all[i] = BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]);
            else MemoryMarshal.Cast<byte, int>(data).CopyTo(all);
            if (!BitConverter.IsLittleEndian && tokenBytes == 4)
                for (int i = 0; i < all.Length; i++) all[i] = BinaryPrimitives.ReverseEndianness(all[i]);
            foreach (int t in all)
                if ((uint)t >= vocab) return $"cache holds id {t}, outside [0, {vocab})";
            ids = (all[..(int)nTrain], all[(int)nTrain..]);
            return null;
        }
        catch (EndOfStreamException) { return "cache truncated"; }
    }
}
