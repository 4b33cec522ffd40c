using System.Security.Cryptography;
using System.Text;
using Ortho.Data;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Data;

public class BrownCorpusTests
{
    /// <summary>A small Brown-like directory exercising every rule; expected bytes written by hand from the split rules (BrownCorpus's documentation).</summary>
    [Fact]
    public void SyntheticCorpusGivesExactBytes()
    {
        using var tmp = new TempDirectory();
        void Put(string name, string text) => File.WriteAllBytes(tmp.File(name), Encoding.UTF8.GetBytes(text));
        // Sorted ordinally: ca01(0, validation) ca02..ca09(1-8) ca10(9) cb01(10, validation) cr99(11).
        Put("ca01", "\n\n\tThe/at Fulton/np-tl said/vbd\n\n\n\tIt/pps a/b/c/nn x//y ok /sym  end\n");
        Put("ca02", "\r\n\tWindows/nn line/nn\r\n   \t  \r\n\tsecond/jj\rthird/od");
        Put("ca03", "");
        Put("ca04", "   \n\t\n");
        Put("ca05", "na\u00efve/jj caf\u00e9/nn\n");
        for (int i = 6; i <= 9; i++) Put($"ca0{i}", $"\tword{i}/nn\n");
        Put("ca10", "word10/nn\n");
        Put("cb01", "\n\tvaltwo/nn ./.\n\n");
        Put("cr99", "last/ap\u000bvertical\u000ctab\u001cfs/x\n");
        // Names that are not corpus files.
        foreach (var decoy in new[] { "cs01", "ca1", "ca001", "README", "ca0x", "ca01.txt", "xca01" }) Put(decoy, "decoy/nn\n");

        var (train, validation) = BrownCorpus.Load(tmp.Path);

        string expectedTrain =
            "Windows line\nsecond\nthird\n" + // ca02: \r\n, \r and a last line without newline
            "\n" +                           // ca03: empty file
            "\n" +                           // ca04: only whitespace
            "na\u00efve caf\u00e9\n" +       // ca05: UTF-8 kept
            "word6\nword7\nword8\nword9\n" +
            "word10\n" +
            "last vertical tab fs\n";        // cr99: \v, \f, \x1c separate tokens
        string expectedValidation =
            "The Fulton said\nIt a/b/c x/ ok  end\n" + // ca01: last '/', empty token from "/sym"
            "valtwo .\n";                              // cb01
        Assert.Equal(Encoding.UTF8.GetBytes(expectedTrain), train);
        Assert.Equal(Encoding.UTF8.GetBytes(expectedValidation), validation);
    }

    [Fact]
    public void MissingDataSaysHowToGetIt()
    {
        using var tmp = new TempDirectory();
        var noDir = Assert.Throws<DirectoryNotFoundException>(() => BrownCorpus.Load(Path.Combine(tmp.Path, "brown")));
        Assert.Contains("ortho data fetch", noDir.Message);
        Assert.Contains(Path.Combine(tmp.Path, "brown"), noDir.Message);

        File.WriteAllText(tmp.File("README"), "x");
        var noFiles = Assert.Throws<FileNotFoundException>(() => BrownCorpus.Load(tmp.Path));
        Assert.Contains("ortho data fetch", noFiles.Message);
        Assert.Contains("c[a-r]NN", noFiles.Message);
    }

    [Fact]
    public void InvalidUtf8IsReported()
    {
        using var tmp = new TempDirectory();
        File.WriteAllBytes(tmp.File("ca01"), [(byte)'o', (byte)'k', 0xFF, (byte)'\n']);
        var e = Assert.Throws<InvalidDataException>(() => BrownCorpus.Load(tmp.Path));
        Assert.Contains("ca01", e.Message);
        Assert.Contains("UTF-8", e.Message);
    }

    /// <summary>The real corpus's 500 file names (per category a-r: how many files): every tenth in name order is validation.</summary>
    [Fact]
    public void CorpusOfTheRealFileNamesSplitsEveryTenthFileToValidation()
    {
        using var tmp = new TempDirectory();
        var perCategory = new (char Category, int Files)[]
        {
            ('a', 44), ('b', 27), ('c', 17), ('d', 17), ('e', 36), ('f', 48), ('g', 75), ('h', 30), ('j', 80), ('k', 29),
            ('l', 24), ('m', 6), ('n', 29), ('p', 29), ('r', 9),
        };
        var names = perCategory.SelectMany(c => Enumerable.Range(1, c.Files).Select(i => $"c{c.Category}{i:00}")).ToList();
        Assert.Equal(500, names.Count);
        foreach (var n in names) File.WriteAllText(tmp.File(n), $"\n\t{n}/nn first/jj\n\tline/nn\n");
        File.WriteAllText(tmp.File("cats.txt"), "not/nn a/at corpus/nn file/nn\n");

        var (train, validation) = BrownCorpus.Load(tmp.Path);

        var sorted = names.Order(StringComparer.Ordinal).ToList();
        string Text(IEnumerable<string> files) => string.Concat(files.Select(n => $"{n} first\nline\n"));
        Assert.Equal(Text(sorted.Where((_, i) => i % 10 == 0)), Encoding.UTF8.GetString(validation));
        Assert.Equal(Text(sorted.Where((_, i) => i % 10 != 0)), Encoding.UTF8.GetString(train));
        Assert.StartsWith("ca01 first\n", Encoding.UTF8.GetString(validation));
        Assert.EndsWith("cr09 first\nline\n", Encoding.UTF8.GetString(train));
    }

    /// <summary>The real corpus (when ortho data fetch has run): sizes and hashes of the PyTorch peer's scripts/peer/brown.py output.</summary>
    [RealDataFact("brown")]
    public void RealCorpusHasTheSpecifiedSizes()
    {
        string dir = BrownCorpus.DefaultDirectory;
        Assert.Equal(500, Directory.GetFiles(dir).Count(f => System.Text.RegularExpressions.Regex.IsMatch(Path.GetFileName(f), "^c[a-r][0-9]{2}$")));
        var (train, validation) = BrownCorpus.Load(dir);
        Assert.Equal(5_511_082, train.Length);
        Assert.Equal(615_992, validation.Length);
        Assert.Equal(BrownCorpus.ExpectedTrainBytes, train.Length);
        Assert.Equal(BrownCorpus.ExpectedValidationBytes, validation.Length);
        // SHA-256 of the output of scripts/peer/brown.py on the same files.
        Assert.Equal("51285e0691a18e5dd11b6d26b81ca3289e9ad4d6b90074d8bb308c275892fec7", Convert.ToHexStringLower(SHA256.HashData(train)));
        Assert.Equal("b26286942081057434425e318777c256729170596c5438d689d2261b51f41c56", Convert.ToHexStringLower(SHA256.HashData(validation)));
        Assert.StartsWith("Austin , Texas\n-- Committee approval of Gov. Price Daniel's ", Encoding.UTF8.GetString(train, 0, 100));
        Assert.StartsWith("The Fulton County Grand Jury said Friday an investigation of", Encoding.UTF8.GetString(validation, 0, 100));
    }
}
