using System.Diagnostics;
using Ortho.Tests.Data;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Cli;

/// <summary>Ctrl-C (SIGINT) and SIGTERM stop a training process after a checkpoint, with the conventional exit codes 130 and 143.</summary>
/// <remarks>Run the tests in the foreground: a shell starts a background job (<c>dotnet test ... &amp;</c>) with SIGINT ignored,
/// the training process inherits that, and the SIGINT case then cannot reach it (as Ctrl-C must not reach a background job).</remarks>
public class SignalTests
{
    [Theory]
    [InlineData("INT", 130, "interrupt received")]
    [InlineData("TERM", 143, "SIGTERM received")]
    public async Task ASignalWritesACheckpointAndExitsWithItsCode(string signal, int code, string said)
    {
        using var tmp = new TempDirectory();
        string manifest = GeneratedData.WriteBrown(tmp.Path);
        string run = tmp.File("run");
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Ortho.Cli.dll"), "train", "lm", "--data-dir", tmp.Path, "--data-manifest", manifest,
            "--no-fetch", "--run-dir", run, "--threads", "1", "--steps", "1000000", "--batch", "2", "--block", "16", "--layers", "1", "--heads", "2", "--embd", "16"])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        string metrics = Path.Combine(run, "metrics.jsonl");
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(metrics) && File.ReadAllText(metrics).Contains("\"step\":3,", StringComparison.Ordinal)))
        {
            if (p.HasExited) Assert.Fail($"exited early: {await stderr}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(180), "no training step within 180 s");
            await Task.Delay(50);
        }
        await Process.Start("kill", ["-" + signal, p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExitAsync();
        // Generous: on a loaded machine the checkpoint and the first evaluation are JIT-compiled after the signal.
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        await p.WaitForExitAsync(limit.Token);
        Assert.Equal(code, p.ExitCode);
        Assert.Contains(said, await stderr);
        Assert.Contains("Interrupted at step", await stdout);
        Assert.True(File.Exists(Path.Combine(run, "checkpoint.safetensors")));
        // Every line whole, and the run resumes from its checkpoint.
        Assert.All(File.ReadAllLines(metrics), l => System.Text.Json.JsonDocument.Parse(l).Dispose());
    }
}
