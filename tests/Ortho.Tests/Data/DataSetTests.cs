using Ortho.Data;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Data;

/// <summary>Data sets are verified against manifests before use: every problem names its file.</summary>
public class DataSetTests
{
    [Fact]
    public void BuiltInManifestsRecordEveryFile()
    {
        Assert.Equal(500, DataSet.Brown.Files.Count);
        Assert.All(DataSet.Brown.Files, f => Assert.True(BrownCorpus.IsCorpusFileName(f.Name) && f.Size > 0 && f.Sha256.Length == 64, f.Name));
        Assert.Equal(500, DataSet.Brown.Files.Select(f => f.Name).Distinct().Count());
        // Fashion-MNIST: four IDX files, each gzip'd and uncompressed; the uncompressed sizes follow from the IDX headers.
        Assert.Equal(8, DataSet.FashionMnist.Files.Count);
        Assert.Equal(47_040_016, DataSet.FashionMnist.Files.Single(f => f.Name == FashionMnist.TrainImagesFile).Size); // 16 + 60000 x 28 x 28
        Assert.Equal(10_008, DataSet.FashionMnist.Files.Single(f => f.Name == FashionMnist.TestLabelsFile).Size);
        Assert.Equal("ortho data fetch lm --data-dir /d", DataSet.Brown.FetchCommand("/d"));
    }

    /// <summary>What an interrupted first fetch left: 2 of the 500 files.</summary>
    [Fact]
    public void AHalfFetchedBrownCorpusFailsNamingTheMissingFilesAndTheRepair()
    {
        using var tmp = new TempDirectory();
        GeneratedData.WriteBrown(tmp.Path, files: 2);
        var problems = DataSet.Brown.Verify(Path.Combine(tmp.Path, "brown"));
        Assert.Equal("498 of 500 files are missing (ca03, ca04, ca05 and 495 more)", problems[0]);
        Assert.Contains(problems, p => p.StartsWith("ca01 has ", StringComparison.Ordinal) && p.Contains("expected 20,187"));
        var e = Assert.Throws<InvalidDataException>(() => DataSet.Brown.EnsureVerified(tmp.Path));
        Assert.Contains($"Brown corpus in {Path.Combine(tmp.Path, "brown")} failed verification", e.Message);
        Assert.EndsWith($"repair it with: ortho data fetch lm --data-dir {tmp.Path}", e.Message);
        Assert.Equal([$"the directory {Path.Combine(tmp.Path, "fashion-mnist")} does not exist"], DataSet.FashionMnist.Verify(Path.Combine(tmp.Path, "fashion-mnist")));
    }

    [Fact]
    public void MissingEmptyTruncatedAlteredAndExtraFilesAreNamed()
    {
        using var tmp = new TempDirectory();
        var set = DataSet.Brown.WithManifest(GeneratedData.WriteBrown(tmp.Path, files: 6));
        string dir = Path.Combine(tmp.Path, "brown");
        Assert.Empty(set.Verify(dir));

        File.Delete(Path.Combine(dir, "ca02"));
        File.WriteAllBytes(Path.Combine(dir, "ca03"), []);
        var bytes = File.ReadAllBytes(Path.Combine(dir, "ca04"));
        File.WriteAllBytes(Path.Combine(dir, "ca04"), bytes[..100]);
        bytes = File.ReadAllBytes(Path.Combine(dir, "ca05"));
        bytes[10] ^= 1;
        File.WriteAllBytes(Path.Combine(dir, "ca05"), bytes);
        File.WriteAllText(Path.Combine(dir, "cb07"), "extra/nn\n");
        File.WriteAllText(Path.Combine(dir, "README"), "not read by the loader");

        var problems = set.Verify(dir);
        Assert.Equal(5, problems.Count);
        Assert.Equal("ca02 is missing", problems[0]);
        Assert.Matches(@"^ca03 has 0 bytes, expected [\d,]+ \(truncated\)$", problems[1]);
        Assert.Matches(@"^ca04 has 100 bytes, expected [\d,]+ \(truncated\)$", problems[2]);
        Assert.Equal("ca05 differs from the published file (SHA-256 mismatch)", problems[3]);
        Assert.Equal("cb07 is not part of the data set, but the loader would read it", problems[4]);
    }

    [Fact]
    public void AGzipFileIsCheckedAheadOfItsUncompressedForm()
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteFashionMnist(tmp.Path);
        string dir = Path.Combine(tmp.Path, "fashion-mnist");
        var set = DataSet.FashionMnist.WithManifest(manifest);
        Assert.Empty(set.Verify(dir));
        string gz = Path.Combine(dir, "train-images-idx3-ubyte.gz");
        var bytes = File.ReadAllBytes(gz);
        File.WriteAllBytes(gz, bytes[..(bytes.Length / 2)]);
        Assert.Equal([$"train-images-idx3-ubyte.gz has {bytes.Length / 2:N0} bytes, expected {bytes.Length:N0} (truncated)"], set.Verify(dir));
        // The built-in manifest: a truncated real .gz is named the same way.
        Assert.Contains(DataSet.FashionMnist.Verify(dir), p => p.StartsWith("train-images-idx3-ubyte.gz has ", StringComparison.Ordinal) && p.EndsWith("(truncated)", StringComparison.Ordinal));
    }

    [Fact]
    public void MalformedManifestsNameTheLine()
    {
        using var tmp = new TempDirectory();
        File.WriteAllText(tmp.File("m"), "# comment\n" + new string('a', 64) + " 12 ca01\nnot a line\n");
        var e = Assert.Throws<InvalidDataException>(() => DataSet.Brown.WithManifest(tmp.File("m")));
        Assert.Contains("line 3", e.Message);
        File.WriteAllText(tmp.File("m"), new string('a', 64) + "  ../ca01\n");
        Assert.Contains("line 1", Assert.Throws<InvalidDataException>(() => DataSet.Brown.WithManifest(tmp.File("m"))).Message);
        // sha256sum's format (no size) is accepted.
        File.WriteAllText(tmp.File("m"), new string('b', 64) + "  ca01\n");
        Assert.Equal(-1, DataSet.Brown.WithManifest(tmp.File("m")).Files[0].Size);
        Assert.Contains("cannot be read", Assert.Throws<InvalidDataException>(() => DataSet.Brown.WithManifest(tmp.File("none"))).Message);
    }

    [RealDataFact("brown")]
    public void RealBrownCorpusVerifies() => Assert.Empty(DataSet.Brown.Verify(BrownCorpus.DefaultDirectory));

    [RealDataFact("fashion-mnist")]
    public void RealFashionMnistVerifies() => Assert.Empty(DataSet.FashionMnist.Verify(FashionMnist.DefaultDirectory));
}
