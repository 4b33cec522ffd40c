using System.Buffers.Binary;
using System.IO.Compression;
using Ortho.Data;
using Ortho.Tests.Infrastructure;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Data;

public class FashionMnistTests
{
    internal static byte[] Idx(int magicRank, int[] dims, byte[] data, uint? magic = null)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic ?? (uint)(0x0800 + magicRank));
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * i), (uint)dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    internal static void WriteGz(string path, byte[] content)
    {
        using var fs = File.Create(path);
        using var gz = new GZipStream(fs, CompressionLevel.Fastest);
        gz.Write(content);
    }

    private static double Expected(byte b) => (b / 255.0 - 0.2860) / 0.3530;

    /// <summary>Writes a tiny valid set: 3 training and 2 test images of 2x3 pixels; test images un-gzipped.</summary>
    private static (byte[] TrainPixels, byte[] TestPixels) WriteTiny(string dir)
    {
        byte[] trainPixels = [0, 255, 128, 1, 2, 3, 10, 20, 30, 40, 50, 60, 200, 201, 202, 203, 204, 205];
        byte[] testPixels = [7, 8, 9, 10, 11, 12, 100, 101, 102, 103, 104, 105];
        WriteGz(Path.Combine(dir, "train-images-idx3-ubyte.gz"), Idx(3, [3, 2, 3], trainPixels));
        WriteGz(Path.Combine(dir, "train-labels-idx1-ubyte.gz"), Idx(1, [3], [9, 0, 4]));
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), Idx(3, [2, 2, 3], testPixels));
        WriteGz(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), Idx(1, [2], [1, 2]));
        return (trainPixels, testPixels);
    }

    [Fact]
    public void SyntheticIdxFilesLoadNormalized()
    {
        using var tmp = new TempDirectory();
        var (trainPixels, testPixels) = WriteTiny(tmp.Path);
        var fm = FashionMnist.Load(tmp.Path);

        Assert.Equal(3, fm.Train.Count);
        Assert.Equal((1, 2, 3), (fm.Train.Channels, fm.Train.Height, fm.Train.Width));
        Assert.Equal(new byte[] { 9, 0, 4 }, fm.Train.Labels);
        Assert.Equal(2, fm.Test.Count);
        Assert.Equal(new byte[] { 1, 2 }, fm.Test.Labels);
        Close.All(fm.Train.Images, trainPixels.Select(b => (float)Expected(b)).ToArray(), "train", 1e-6, 1e-6);
        Close.All(fm.Test.Images, testPixels.Select(b => (float)Expected(b)).ToArray(), "test", 1e-6, 1e-6);
        Close.All(fm.Train.Image(2).ToArray(), trainPixels[12..].Select(b => (float)Expected(b)).ToArray(), "image 2", 1e-6, 1e-6);
    }

    [Fact]
    public void BadFilesGiveClearErrors()
    {
        using var tmp = new TempDirectory();
        string dir = tmp.Path;
        string labels = Path.Combine(dir, "train-labels-idx1-ubyte.gz");
        string images = Path.Combine(dir, "train-images-idx3-ubyte.gz");

        var missingDir = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(Path.Combine(dir, "nope")));
        Assert.Contains("ortho data fetch", missingDir.Message);

        WriteTiny(dir);
        File.Delete(labels);
        var missing = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(dir));
        Assert.Contains("train-labels-idx1-ubyte", missing.Message);
        Assert.Contains("ortho data fetch", missing.Message);

        void Fails(string file, byte[] content, params string[] fragments)
        {
            WriteTiny(dir);
            if (file.EndsWith(".gz", StringComparison.Ordinal)) WriteGz(file, content); else File.WriteAllBytes(file, content);
            var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir));
            foreach (var f in fragments) Assert.Contains(f, e.Message);
        }

        Fails(labels, Idx(3, [3, 1, 1], [1, 2, 3]), "train-labels", "magic number 0x00000803", "expected 0x00000801");
        Fails(images, Idx(3, [3, 2, 3], new byte[17]), "train-images", "need 18 data bytes", "has 17", "truncated");
        Fails(images, Idx(3, [3, 2, 3], new byte[19]), "train-images", "trailing bytes");
        Fails(labels, Idx(1, [2], [1, 2]), "2 labels", "3 images");
        Fails(labels, Idx(1, [3], [1, 10, 2]), "label 1 is 10");
        Fails(images, [0, 0, 8], "too short");

        WriteTiny(dir);
        byte[] gz = File.ReadAllBytes(images);
        File.WriteAllBytes(images, gz[..(gz.Length / 2)]);
        var corrupt = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir));
        Assert.Contains("train-images", corrupt.Message);
    }

    /// <summary>Gzipped IDX files of Fashion-MNIST's layout (28x28, ten balanced classes) written here: shape, labels, pixels.</summary>
    [Fact]
    public void GzippedFilesOfTheRealLayoutLoad()
    {
        using var tmp = new TempDirectory();
        var rng = new Ortho.Rng(9);
        byte[] Pixels(int n) => Enumerable.Range(0, n * 784).Select(_ => (byte)rng.NextInt(256)).ToArray();
        byte[] Labels(int n) => Enumerable.Range(0, n).Select(i => (byte)((i * 7) % 10)).ToArray();
        byte[] trainPixels = Pixels(30), testPixels = Pixels(20);
        WriteGz(tmp.File("train-images-idx3-ubyte.gz"), Idx(3, [30, 28, 28], trainPixels));
        WriteGz(tmp.File("train-labels-idx1-ubyte.gz"), Idx(1, [30], Labels(30)));
        WriteGz(tmp.File("t10k-images-idx3-ubyte.gz"), Idx(3, [20, 28, 28], testPixels));
        WriteGz(tmp.File("t10k-labels-idx1-ubyte.gz"), Idx(1, [20], Labels(20)));

        var fm = FashionMnist.Load(tmp.Path);

        Assert.Equal((30, 20), (fm.Train.Count, fm.Test.Count));
        Assert.Equal((1, 28, 28), (fm.Train.Channels, fm.Train.Height, fm.Train.Width));
        Assert.Equal((1, 28, 28), (fm.Test.Channels, fm.Test.Height, fm.Test.Width));
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(3, fm.Train.Labels.Count(l => l == c)));
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(2, fm.Test.Labels.Count(l => l == c)));
        Assert.Equal(new byte[] { 0, 7, 4, 1, 8, 5, 2, 9, 6, 3 }, fm.Test.Labels[..10]);
        Close.All(fm.Train.Image(29).ToArray(), trainPixels[(29 * 784)..].Select(b => (float)Expected(b)).ToArray(), "train image 29", 1e-6, 1e-6);
        Close.All(fm.Test.Images.AsSpan(350, 10), testPixels[350..360].Select(b => (float)Expected(b)).ToArray(), "test image 0", 1e-6, 1e-6);
    }

    /// <summary>The real data set (when ortho data fetch has run): counts, balance, and values from Python's gzip module.</summary>
    [RealDataFact("fashion-mnist")]
    public void RealDataSetHasTheExpectedShape()
    {
        string dir = FashionMnist.DefaultDirectory;
        var fm = FashionMnist.Load(dir);
        Assert.Equal(60000, fm.Train.Count);
        Assert.Equal(10000, fm.Test.Count);
        Assert.Equal((1, 28, 28), (fm.Train.Channels, fm.Train.Height, fm.Train.Width));
        Assert.Equal(60000L * 784, fm.Train.Images.LongLength);
        Assert.Equal(10000L * 784, fm.Test.Images.LongLength);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(6000, fm.Train.Labels.Count(l => l == c)));
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, fm.Test.Labels.Count(l => l == c)));
        Assert.Equal(new byte[] { 9, 0, 0, 3, 0, 2, 7, 2, 5, 5 }, fm.Train.Labels[..10]);
        Assert.Equal(new byte[] { 9, 2, 1, 1, 6, 1, 4, 6 }, fm.Test.Labels[..8]);
        byte[] raw = [222, 220, 218, 203, 198, 221, 215, 213, 222, 220]; // image 0, pixels 350..359
        Close.All(fm.Train.Images.AsSpan(350, 10), raw.Select(b => (float)Expected(b)).ToArray(), "image 0", 1e-6, 1e-6);

        // The normalization constants are the training set's mean and std: normalized pixels have mean ~0, std ~1.
        double sum = 0, sq = 0;
        foreach (float v in fm.Train.Images) { sum += v; sq += (double)v * v; }
        double mean = sum / fm.Train.Images.Length, std = Math.Sqrt(sq / fm.Train.Images.Length - mean * mean);
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(std, 0.99, 1.01);
    }
}
