using Ortho.Data;

namespace Ortho.Tests.Data;

/// <summary>Tiny data sets in the real formats, written by the tests, each with a manifest of its files (for --data-manifest).</summary>
internal static class GeneratedData
{
    /// <summary>
    /// <paramref name="files"/> Brown-format files ca01.. (tagged words, tab-indented lines) in DATA/brown; files 0 and
    /// 10 become validation. Returns the manifest's path (DATA/brown.manifest).
    /// </summary>
    public static string WriteBrown(string dataDir, int files = 20)
    {
        string dir = Directory.CreateDirectory(Path.Combine(dataDir, "brown")).FullName;
        for (int f = 1; f <= files; f++)
            File.WriteAllText(Path.Combine(dir, $"ca{f:00}"),
                string.Concat(Enumerable.Range(0, 12).Select(i => $"\n\tThe/at {(f * 7 + i) % 13}/cd cats/nns sat/vbd on/in mat/nn {i}/cd ./.\n")));
        return WriteManifest(dir, Path.Combine(dataDir, "brown.manifest"));
    }

    /// <summary>Fashion-MNIST-format gzipped IDX files of 8x8 images in DATA/fashion-mnist: 32 for training, 16 for test. Returns the manifest's path.</summary>
    public static string WriteFashionMnist(string dataDir)
    {
        string dir = Directory.CreateDirectory(Path.Combine(dataDir, "fashion-mnist")).FullName;
        var rng = new Rng(4);
        void Split(string prefix, int n)
        {
            var pixels = new byte[n * 64];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
            FashionMnistTests.WriteGz(Path.Combine(dir, prefix + "-images-idx3-ubyte.gz"), FashionMnistTests.Idx(3, [n, 8, 8], pixels));
            FashionMnistTests.WriteGz(Path.Combine(dir, prefix + "-labels-idx1-ubyte.gz"), FashionMnistTests.Idx(1, [n], Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray()));
        }
        Split("train", 32);
        Split("t10k", 16);
        return WriteManifest(dir, Path.Combine(dataDir, "fashion-mnist.manifest"));
    }

    /// <summary>Writes a manifest ("SHA-256 size name" lines) of every file in <paramref name="dir"/> to <paramref name="path"/>.</summary>
    public static string WriteManifest(string dir, string path)
    {
        File.WriteAllLines(path, Directory.GetFiles(dir).Order(StringComparer.Ordinal)
            .Select(f => $"{DataSet.Sha256Of(f)} {new FileInfo(f).Length} {Path.GetFileName(f)}"));
        return path;
    }
}
