using CliRunner = Ortho.Tests.Cli.Cli;
using Ortho.Tests.Data;
using Ortho.Tests.IO;

namespace Ortho.Tests.Viz;

/// <summary>
/// Tiny data sets in the real formats (with their own manifests) and three short runs trained on them by the CLI (two
/// LMs with different activations and periodic evaluations, one image model), made once for the viewing-command tests.
/// </summary>
public sealed class TinyRuns : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public TinyRuns()
    {
        BrownManifest = GeneratedData.WriteBrown(DataDir);
        FashionManifest = GeneratedData.WriteFashionMnist(DataDir);
        string[] lm = ["--data-dir", DataDir, "--data-manifest", BrownManifest, "--no-fetch", "--threads", "1", "--steps", "6", "--batch", "2",
            "--block", "16", "--layers", "2", "--heads", "2", "--embd", "16", "--eval-batches", "1", "--eval-every", "2", "--warmup", "1", "--checkpoint-every", "3"];
        CliRunner.Succeeds(["train", "lm", .. lm, "--run-dir", LmHermite, "--activation", "hermite:3"]);
        CliRunner.Succeeds(["train", "lm", .. lm, "--run-dir", LmFourier, "--activation", "fourier:3"]);
        CliRunner.Succeeds(["train", "image", "--data-dir", DataDir, "--data-manifest", FashionManifest, "--no-fetch", "--threads", "1", "--batch", "8",
            "--max-steps", "3", "--warmup", "1", "--activation", "tropical:3", "--run-dir", Image]);
    }

    /// <summary>Manifests of the generated data sets (the built-in ones describe the real data).</summary>
    public string BrownManifest { get; }

    public string FashionManifest { get; }

    /// <summary>The data flags of the viewing commands for these data sets.</summary>
    public string[] DataFlags => ["--data", DataDir, "--data-manifest", BrownManifest, "--data-manifest", FashionManifest];

    /// <summary>Holds brown/ and fashion-mnist/.</summary>
    public string DataDir => _tmp.Path;

    public string LmHermite => _tmp.File("lm-hermite-3");

    public string LmFourier => _tmp.File("lm-fourier-3");

    public string Image => _tmp.File("image-tropical-3");

    /// <summary>A fresh directory for a test's output.</summary>
    public string NewDirectory() => Directory.CreateDirectory(_tmp.File("out-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    public void Dispose() => _tmp.Dispose();
}
