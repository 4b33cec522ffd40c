using System.Text.Json;
using Ortho.Cli;
using Ortho.IO;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Cli;

/// <summary><c>ortho fit</c>, <c>ortho bench</c> and the root command, through the command line only.</summary>
[Collection("cli")]
public class OtherCommandTests
{
    [Fact]
    public void FitPrintsTheErrorsAndSavesTheParameters()
    {
        using var tmp = new TempDirectory();
        string output = Cli.Succeeds("fit", "--activation", "hermite:8", "--target", "gelu", "--out", tmp.File("fit.safetensors"));
        Assert.StartsWith("hermite:8 fitted to gelu", output);
        Assert.Contains("max |f - g|", output);
        Assert.Equal(9, SafeTensorsFile.Read(tmp.File("fit.safetensors"))["coefficients"].ToFloat32().Length);
    }

    [Fact]
    public void BadFitInputGetsOneLineNamingTheProblem()
    {
        Cli.FailsWith(["fit", "--target", "bogus"], "'bogus'");
        Cli.FailsWith(["fit", "--activation", "hermite:x"], "hermite:x");
        Cli.FailsWith(["fit", "--lo", "-1e30", "--hi", "1e30"], "--lo -1E+30 and --hi 1E+30", "[-100, 100]");
        Cli.FailsWith(["fit", "--lo", "1", "--hi", "1"], "--hi at least 0.001 above --lo");
        Cli.FailsWith(["fit", "--activation", "hermite:8", "--refine"], "--refine", "hermite:8");
    }

    /// <summary>--out is checked before the fit runs: nothing is printed for an unwritable target.</summary>
    [Fact]
    public void FitOutputIsCheckedBeforeFitting()
    {
        using var tmp = new TempDirectory();
        var (code, output, error) = Cli.Run("fit", "--out", tmp.Path);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains($"--out {tmp.Path} is a directory", error);
        File.WriteAllText(tmp.File("file"), "x");
        (code, output, error) = Cli.Run("fit", "--out", tmp.File("file/fit.safetensors"));
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("cannot be written", error);
        Assert.DoesNotContain("(Parameter", error);
    }

    /// <summary>Errors read as sentences: no parameter names, actual values or runtime wording.</summary>
    [Fact]
    public void ErrorsAreSentencesWithoutRuntimeNoise()
    {
        Assert.Equal("Sigma must be positive.", Program.Sentence(new ArgumentOutOfRangeException("sigma", 0.0, "sigma must be positive.")));
        Assert.Equal("The value cannot be an empty string.", Program.Sentence(new ArgumentException("The value cannot be an empty string.", "path")));
        Assert.Equal("A directory on the path /a/b does not exist.", Program.Sentence(new DirectoryNotFoundException("Could not find a part of the path '/a/b'.")));
        Assert.Equal("Error loading: missing keys: a; shape mismatches: b.", Program.Sentence(new InvalidDataException("Error loading:\n  missing keys: a\n  shape mismatches: b")));
        using var tmp = new TempDirectory();
        File.WriteAllText(tmp.File("file"), "x");
        var line = Cli.FailsWith(["train", "lm", "--run-dir", tmp.File("file/run"), "--data-dir", tmp.Path, "--no-fetch"],
            $"Run directory {tmp.File("file/run")} cannot be created: {tmp.File("file")} is a file.");
        Assert.DoesNotContain("Could not find", line);
    }

    /// <summary>Redirected output is plain (no ANSI codes, no redrawing); NO_COLOR turns colours off on a terminal.</summary>
    [Fact]
    public void ConsoleIsPlainWhenRedirectedAndHonoursNoColor()
    {
        var redirected = Program.ConsoleSettings(TextWriter.Null, redirected: true, noColor: null);
        Assert.Equal((Spectre.Console.AnsiSupport.No, Spectre.Console.ColorSystemSupport.NoColors, Spectre.Console.InteractionSupport.No),
            (redirected.Ansi, redirected.ColorSystem, redirected.Interactive));
        Assert.Equal(Spectre.Console.ColorSystemSupport.NoColors, Program.ConsoleSettings(TextWriter.Null, redirected: false, noColor: "1").ColorSystem);
        Assert.Equal(Spectre.Console.ColorSystemSupport.Detect, Program.ConsoleSettings(TextWriter.Null, redirected: false, noColor: "").ColorSystem);
    }

    [Fact]
    public void DataCommandHasHelpAndRejectsUnknownSets()
    {
        Assert.Contains("npm", Cli.Succeeds("data", "fetch", "--help"));
        Assert.Contains("SHA-256", Cli.Succeeds("data", "verify", "--help"));
        Cli.FailsWith(["data", "verify", "video"], "'video'", "lm", "image");
    }

    [Theory]
    [InlineData("lm")]
    [InlineData("image")]
    public void BenchTrainTimesTheRecipesStep(string task)
    {
        string output = Cli.Succeeds("bench", "train", "--task", task, "--activation", "gelu", "--steps", "1", "--threads", "1", "--json");
        var row = JsonDocument.Parse(Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal(task, row.GetProperty("task").GetString());
        Assert.Equal(1, row.GetProperty("threads").GetInt32());
        Assert.True(row.GetProperty("ms_per_step").GetDouble() > 0);
    }

    /// <summary>
    /// <c>bench slots</c> (a few seconds): one JSON row per instruction, and the learned Fourier's bound, measured rate and
    /// the bound's share of a copy from memory. Without AVX-512 it says so and measures nothing.
    /// </summary>
    [Fact]
    public void BenchSlotsReportsEachInstructionAndTheFourierBound()
    {
        string output = Cli.Succeeds("bench", "slots", "--json");
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported || EngineSettings.VectorLanes != 16)
        {
            Assert.Contains("needs AVX-512", JsonDocument.Parse(output).RootElement.GetProperty("skipped").GetString());
            return;
        }
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var names = rows.Where(r => r.TryGetProperty("instruction", out _)).Select(r => r.GetProperty("instruction").GetString()).ToList();
        Assert.Equal(["vfmadd", "vmulps", "vaddps", "vxorps", "vpslld", "vreduceps", "vpermps", "vpermt2ps"], names);
        var fourier = rows.Where(r => r.TryGetProperty("kernel", out _)).ToList();
        Assert.Equal(["forward", "forward+backward"], fourier.Select(r => r.GetProperty("pass").GetString()));
        Assert.All(fourier, r => Assert.True(r.GetProperty("bound_melem_s").GetDouble() > 0 && r.GetProperty("measured_melem_s").GetDouble() > 0));
        Assert.All(fourier, r => Assert.Equal(r.GetProperty("bound_melem_s").GetDouble() / r.GetProperty("copy_melem_s").GetDouble(),
            r.GetProperty("bound_of_copy").GetDouble(), 0.002));
    }

    /// <summary>The kernel benchmarks take many seconds each: their help only.</summary>
    [Theory]
    [InlineData("gemm", "GFLOP/s")]
    [InlineData("activations", "--elements")]
    [InlineData("attention", "attention")]
    [InlineData("conv", "convolution")]
    [InlineData("kernels", "GB/s")]
    [InlineData("dispatch", "Parallel.For")]
    [InlineData("slots", "issue slots")]
    [InlineData("train", "--task")]
    public void BenchSubcommandsHaveHelp(string name, string mention) =>
        Assert.Contains(mention, Cli.Succeeds("bench", name, "--help"));

    [Fact]
    public void BadBenchInputGetsOneLineNamingTheProblem()
    {
        Cli.FailsWith(["bench", "train", "--task", "video"], "--task", "'video'");
        Cli.FailsWith(["bench", "train", "--steps", "0"], "--steps", "0");
        Cli.FailsWith(["bench", "gemm", "--threads", "0"], "--threads", "'0'");
        Cli.FailsWith(["bench", "activations", "--elements", "65536,0"], "--elements", "'0'");
    }

    [Fact]
    public void RootHelpListsEveryCommand()
    {
        string output = Cli.Succeeds("--help");
        foreach (var c in new[] { "train", "bench", "inspect", "fit" }) Assert.Contains(c, output);
    }

    [Fact]
    public void RunRestoresTheThreadCount()
    {
        using var tmp = new TempDirectory();
        int saved = EngineSettings.Threads;
        try
        {
            EngineSettings.Threads = 3;
            Cli.FailsWith(["train", "lm", "--threads", "1", "--data", tmp.Path, "--no-fetch", "--run-dir", tmp.File("run")], "Brown corpus in", "does not exist");
            Assert.Equal(3, EngineSettings.Threads);
        }
        finally { EngineSettings.Threads = saved; }
    }
}
