using CliRunner = Ortho.Tests.Cli.Cli;
using Ortho.Tests.Data;
using Ortho.Tests.IO;

namespace Ortho.Tests.Viz;

/// <summary>
/// Tiny data sets in the real formats and three short runs trained on them by the CLI (two LMs with different
/// activations, one image model), made once for the viewing-command tests.
/// </summary>
public sealed class TinyRuns : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public TinyRuns()
    {
        WriteBrown(DataDir);
        WriteFashionMnist(DataDir);
        string[] lm = ["--data", DataDir, "--no-fetch", "--threads", "1", "--steps", "6", "--batch", "2", "--block", "16", "--layers", "2", "--heads", "2",
            "--embd", "16", "--eval-batches", "1", "--warmup", "1", "--checkpoint-every", "3"];
        CliRunner.Succeeds(["train", "lm", .. lm, "--run-dir", LmHermite, "--activation", "hermite:3"]);
        CliRunner.Succeeds(["train", "lm", .. lm, "--run-dir", LmFourier, "--activation", "fourier:3"]);
        CliRunner.Succeeds(["train", "image", "--data", DataDir, "--no-fetch", "--threads", "1", "--batch", "8", "--max-steps", "3", "--warmup", "1",
            "--activation", "tropical:3", "--run-dir", Image]);
    }

    /// <summary>Holds brown/ and fashion-mnist/.</summary>
    public string DataDir => _tmp.Path;

    public string LmHermite => _tmp.File("lm-hermite-3");

    public string LmFourier => _tmp.File("lm-fourier-3");

    public string Image => _tmp.File("image-tropical-3");

    /// <summary>A fresh directory for a test's output.</summary>
    public string NewDirectory() => Directory.CreateDirectory(_tmp.File("out-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    /// <summary>20 Brown-format files of tagged words: files 0 and 10 become the validation split.</summary>
    private static void WriteBrown(string dataDir)
    {
        string dir = Directory.CreateDirectory(Path.Combine(dataDir, "brown")).FullName;
        string[] words = ["the/at", "dog/nn", "ran/vbd", "home/nr", "a/at", "cat/nn", "slept/vbd", "there/rb", "./."];
        var rng = new Rng(12);
        for (int f = 0; f < 20; f++)
        {
            var lines = Enumerable.Range(0, 15).Select(_ => "\t" + string.Join(' ', Enumerable.Range(0, 8).Select(_ => words[rng.NextInt(words.Length)])));
            File.WriteAllText(Path.Combine(dir, $"cb{f + 1:00}"), string.Join('\n', lines) + "\n");
        }
    }

    /// <summary>Fashion-MNIST-format IDX files of 8x8 images whose brightness follows the label: 40 for training, 16 for test.</summary>
    private static void WriteFashionMnist(string dataDir)
    {
        string dir = Directory.CreateDirectory(Path.Combine(dataDir, "fashion-mnist")).FullName;
        var rng = new Rng(5);
        foreach (var (prefix, n) in new[] { ("train", 40), ("t10k", 16) })
        {
            var labels = Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray();
            var pixels = new byte[n * 64];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)Math.Min(255, labels[i / 64] * 25 + rng.NextInt(30));
            FashionMnistTests.WriteGz(Path.Combine(dir, prefix + "-images-idx3-ubyte.gz"), FashionMnistTests.Idx(3, [n, 8, 8], pixels));
            FashionMnistTests.WriteGz(Path.Combine(dir, prefix + "-labels-idx1-ubyte.gz"), FashionMnistTests.Idx(1, [n], labels));
        }
    }

    public void Dispose() => _tmp.Dispose();
}
