using System.Buffers.Binary;
using System.Text;
using Ortho.Data;
using Ortho.Tests.IO;
using Xunit;
using Xunit.Abstractions;

namespace Ortho.Tests.Data;

public class Gpt2TokenizerTests(ITestOutputHelper output)
{
    private static readonly Gpt2Tokenizer Bpe = Gpt2Tokenizer.Instance;

    /// <summary>
    /// GPT-2 ids known independently of this library: published examples ("Hello world", "The quick brown fox ..."),
    /// and ids that follow from GPT-2's byte table, whose first 94 entries are the printable ASCII bytes '!'..'~' in
    /// order (so "!" is 0, "A" is 65 - 33 = 32, "a" is 64, "~" is 93), with "\n" 198 and " " 220.
    /// </summary>
    [Theory]
    [InlineData("Hello world", new[] { 15496, 995 })]
    [InlineData(" the", new[] { 262 })]
    [InlineData("The quick brown fox jumps over the lazy dog", new[] { 464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290 })]
    [InlineData("!", new[] { 0 })]
    [InlineData("A", new[] { 32 })]
    [InlineData("a", new[] { 64 })]
    [InlineData("~", new[] { 93 })]
    [InlineData("\n", new[] { 198 })]
    [InlineData(" ", new[] { 220 })]
    [InlineData("<|endoftext|>", new[] { 50256 })]
    [InlineData("Hello world<|endoftext|> the", new[] { 15496, 995, 50256, 262 })]
    [InlineData("", new int[0])]
    public void EncodesKnownGpt2Ids(string text, int[] ids)
    {
        Assert.Equal(ids, Bpe.Encode(text));
        Assert.Equal(text, Bpe.Decode(ids));
    }

    [Fact]
    public void VocabularyAndSpecialToken()
    {
        Assert.Equal("gpt2", Bpe.Name);
        Assert.Equal(50257, Bpe.VocabSize);
        Assert.Equal(Gpt2Tokenizer.EndOfTextId, Bpe.VocabSize - 1);
        Assert.Equal(Gpt2Tokenizer.EndOfText, Bpe.Decode([Gpt2Tokenizer.EndOfTextId]));
        Assert.Same(Bpe, Gpt2Tokenizer.Instance);
    }

    [Fact]
    public void RoundTripsAnyTextAndRejectsUnknownIds()
    {
        string text = "na\u00efve caf\u00e9 \u6f22\u5b57 \U0001F600 -- it's 1961.\n\n\tTabs  and   spaces  ";
        int[] ids = Bpe.Encode(text);
        Assert.Equal(text, Bpe.Decode(ids));
        Assert.True(ids.Length < Encoding.UTF8.GetByteCount(text)); // merges happened
        int[] emoji = Bpe.Encode("\U0001F600"); // 4 UTF-8 bytes, more than one token
        Assert.True(emoji.Length > 1);
        Assert.EndsWith("\ufffd", Bpe.Decode(emoji.AsSpan(0, 1))); // cut inside the character
        Assert.Throws<ArgumentOutOfRangeException>(() => Bpe.Decode([15496, 50257]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bpe.Decode([-1]));
        Assert.Throws<ArgumentNullException>(() => Bpe.Encode(null!));
    }

    /// <summary>The special token is still recognized after many distinct words (the library alone loses it after about 8,000).</summary>
    [Fact]
    public void EndOfTextSurvivesManyDistinctWords()
    {
        var rng = new Random(1);
        var sb = new StringBuilder();
        for (int i = 0; i < 12_000; i++)
        {
            sb.Append(' ');
            for (int j = rng.Next(3, 9); j > 0; j--) sb.Append((char)('a' + rng.Next(26)));
        }
        string words = sb.ToString();
        int[] ids = Bpe.Encode(words + Gpt2Tokenizer.EndOfText + " the" + Gpt2Tokenizer.EndOfText);
        Assert.Equal([Gpt2Tokenizer.EndOfTextId, 262, Gpt2Tokenizer.EndOfTextId], ids[^3..]);
        Assert.Equal(Bpe.Encode(words), ids[..^3]);
        Assert.Equal([Gpt2Tokenizer.EndOfTextId, Gpt2Tokenizer.EndOfTextId, 0], Bpe.Encode("<|endoftext|><|endoftext|>!"));
        Assert.Equal([27, 91], Bpe.Encode("<|")); // "<" and "|": 60 - 33 and 124 - 33
    }

    /// <summary>Both tokenizers behind the one interface that models, samplers and corpora use.</summary>
    [Fact]
    public void ByteAndGpt2TokenizersShareTheInterface()
    {
        ITokenizer[] all = [ByteTokenizer.Instance, Gpt2Tokenizer.Instance];
        Assert.Equal(["byte", "gpt2"], all.Select(t => t.Name));
        Assert.Equal([256, 50257], all.Select(t => t.VocabSize));
        foreach (var t in all)
        {
            const string text = "Hello, w\u00f6rld!\n";
            int[] ids = t.Encode(text);
            Assert.All(ids, id => Assert.InRange(id, 0, t.VocabSize - 1));
            Assert.Equal(text, t.Decode(ids));
        }
        Assert.Equal(ByteTokenizer.Encode("h\u00e9"), ((ITokenizer)ByteTokenizer.Instance).Encode("h\u00e9"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ((ITokenizer)ByteTokenizer.Instance).Decode([256]));
    }

    private static void Put(TempDirectory dir, string name, string text) => File.WriteAllBytes(dir.File(name), Encoding.UTF8.GetBytes(text));

    /// <summary>A small Brown-like corpus: ca01 goes to validation, the rest to training.</summary>
    private static TempDirectory SmallBrown()
    {
        var dir = new TempDirectory();
        Put(dir, "ca01", "\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr\n");
        Put(dir, "ca02", "\tIt/pps recommended/vbd that/cs Fulton/np legislators/nns act/vb ''/'' .\n");
        Put(dir, "ca03", "\tThe/at grand/jj jury/nn commented/vbd on/in a/at number/nn of/in other/ap topics/nns\n");
        return dir;
    }

    [Fact]
    public void BrownTokensAreEncodedOnceThenReadFromTheCache()
    {
        using var brown = SmallBrown();
        using var cacheDir = new TempDirectory();
        string cache = cacheDir.File("brown.gpt2.tokens");
        var (trainText, validationText) = BrownCorpus.Load(brown.Path);

        var first = TokenizedCorpus.Brown(Bpe, brown.Path, cache);
        Assert.Equal("written", first.CacheStatus);
        Assert.Equal(cache, first.CachePath);
        Assert.Equal(Bpe.Encode(Encoding.UTF8.GetString(trainText)), first.Train);
        Assert.Equal(Bpe.Encode(Encoding.UTF8.GetString(validationText)), first.Validation);
        Assert.Equal("The Fulton County Grand Jury said Friday\n", Bpe.Decode(first.Validation));

        var second = TokenizedCorpus.Brown(Bpe, brown.Path, cache);
        Assert.Equal("read", second.CacheStatus);
        Assert.Equal(first.Train, second.Train);
        Assert.Equal(first.Validation, second.Validation);
        Assert.Equal(("gpt2", 50257), (second.TokenizerName, second.VocabSize));

        // The documented layout.
        byte[] f = File.ReadAllBytes(cache);
        Assert.Equal("ORTHOTOK"u8.ToArray(), f[..8]);
        Assert.Equal([1u, 50257u, 2u, 4u], Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(8 + 4 * i))));
        Assert.Equal("gpt2"u8.ToArray(), f[24..28]);
        Assert.Equal(first.Train.Length, BinaryPrimitives.ReadInt64LittleEndian(f.AsSpan(28 + 32)));
        Assert.Equal(first.Validation.Length, BinaryPrimitives.ReadInt64LittleEndian(f.AsSpan(28 + 40)));
        int data = 28 + 48 + 32;
        Assert.Equal(f.Length - data, 2 * (first.Train.Length + first.Validation.Length));
        Assert.Equal(first.Train[0], BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(data)));
    }

    [Fact]
    public void StaleOrDamagedCachesAreRebuilt()
    {
        using var brown = SmallBrown();
        using var cacheDir = new TempDirectory();
        string cache = cacheDir.File("tokens.bin");
        var original = TokenizedCorpus.Brown(Bpe, brown.Path, cache);

        byte[] good = File.ReadAllBytes(cache);
        var flipped = (byte[])good.Clone();
        flipped[^1] ^= 1;
        File.WriteAllBytes(cache, flipped);
        var r = TokenizedCorpus.Brown(Bpe, brown.Path, cache);
        Assert.Equal("rewritten (cache data checksum mismatch)", r.CacheStatus);
        Assert.Equal(original.Train, r.Train);
        Assert.Equal(good, File.ReadAllBytes(cache));

        File.WriteAllBytes(cache, good[..^3]);
        Assert.StartsWith("rewritten (cache truncated or corrupt", TokenizedCorpus.Brown(Bpe, brown.Path, cache).CacheStatus);
        File.WriteAllBytes(cache, good[..20]);
        Assert.Equal("rewritten (cache truncated)", TokenizedCorpus.Brown(Bpe, brown.Path, cache).CacheStatus);
        File.WriteAllText(cache, "something else entirely");
        Assert.Equal("rewritten (not a token cache file)", TokenizedCorpus.Brown(Bpe, brown.Path, cache).CacheStatus);

        var bytes = TokenizedCorpus.Brown(ByteTokenizer.Instance, brown.Path, cache);
        Assert.Equal("rewritten (cache is for tokenizer 'gpt2' with 50257 ids, not 'byte' with 256)", bytes.CacheStatus);
        Assert.Equal(BrownCorpus.Load(brown.Path).Train.Select(b => (int)b), bytes.Train);
        Assert.Equal("read", TokenizedCorpus.Brown(ByteTokenizer.Instance, brown.Path, cache).CacheStatus);

        Put(brown, "ca03", "\tThe/at grand/jj jury/nn said/vbd nothing/pn\n");
        var changed = TokenizedCorpus.Brown(ByteTokenizer.Instance, brown.Path, cache);
        Assert.Equal("rewritten (source text changed)", changed.CacheStatus);
        Assert.EndsWith("The grand jury said nothing\n", ByteTokenizer.Decode(changed.Train));
    }

    [Fact]
    public void CacheDefaultsToTheCorpusDirectoryAndMayBeUnwritable()
    {
        using var brown = SmallBrown();
        var r = TokenizedCorpus.Brown(Bpe, brown.Path);
        Assert.Equal(Path.Combine(brown.Path, "tokens.gpt2.bin"), r.CachePath);
        Assert.True(File.Exists(r.CachePath));
        Assert.Equal(r.Validation, Bpe.Encode(Encoding.UTF8.GetString(BrownCorpus.Load(brown.Path).Validation))); // the cache file is not read as a corpus file
        Assert.Equal("read", TokenizedCorpus.Brown(Bpe, brown.Path).CacheStatus);

        using var tmp = new TempDirectory();
        File.WriteAllText(tmp.File("file"), "x"); // a file where the cache's folder should be
        var unwritable = TokenizedCorpus.Brown(Bpe, brown.Path, Path.Combine(tmp.File("file"), "tokens.bin"));
        Assert.StartsWith("not written: ", unwritable.CacheStatus);
        Assert.Null(unwritable.CachePath);
        Assert.Equal(r.Train, unwritable.Train);

        var uncached = TokenizedCorpus.Load(Bpe, "a b"u8.ToArray(), "c"u8.ToArray(), null);
        Assert.Equal("not cached", uncached.CacheStatus);
        Assert.Equal([64, 275], uncached.Train); // "a", " b" (GPT-2's 20th merge)
        Assert.Equal([66], uncached.Validation);
        Assert.Throws<InvalidDataException>(() => TokenizedCorpus.Load(Bpe, [0xFF], [], null));
    }

    /// <summary>
    /// The real corpus (when scripts/fetch-data.sh has run): its validation split (the whole corpus takes seconds)
    /// encoded into a temporary cache and read back.
    /// </summary>
    [Fact]
    public void RealBrownTextEncodesLosslesslyAndCaches()
    {
        string dir = BrownCorpus.DefaultDirectory;
        if (!Directory.Exists(dir))
        {
            output.WriteLine($"skipped by design: {dir} absent (run scripts/fetch-data.sh to enable this check)");
            return;
        }
        using var tmp = new TempDirectory();
        var (_, validation) = BrownCorpus.Load(dir);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var first = TokenizedCorpus.Load(Bpe, validation, [], tmp.File("tokens.bin"));
        double encode = sw.Elapsed.TotalSeconds;
        sw.Restart();
        var second = TokenizedCorpus.Load(Bpe, validation, [], tmp.File("tokens.bin"));
        output.WriteLine($"validation split: {validation.Length} bytes, {first.Train.Length} tokens; encode {encode:F2} s, from cache {sw.Elapsed.TotalSeconds:F2} s");
        Assert.Equal(("written", "read"), (first.CacheStatus, second.CacheStatus));
        Assert.Equal(first.Train, second.Train);
        Assert.Equal(Encoding.UTF8.GetString(validation), Bpe.Decode(second.Train)); // BPE is lossless
        Assert.InRange(first.Train.Length, validation.Length / 6, validation.Length / 3); // English: about 4 to 5 bytes a token
        Assert.Equal(Bpe.Encode("The Fulton County Grand Jury"), first.Train[..5]);
    }
}
