using System.Text.Json;
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

    /// <summary>The kernel benchmarks take many seconds each: their help only.</summary>
    [Theory]
    [InlineData("gemm", "GFLOP/s")]
    [InlineData("activations", "Melem/s")]
    [InlineData("attention", "attention")]
    [InlineData("conv", "convolution")]
    [InlineData("kernels", "GB/s")]
    [InlineData("train", "--task")]
    public void BenchSubcommandsHaveHelp(string name, string mention) =>
        Assert.Contains(mention, Cli.Succeeds("bench", name, "--help"));

    [Fact]
    public void BadBenchInputGetsOneLineNamingTheProblem()
    {
        Cli.FailsWith(["bench", "train", "--task", "video"], "--task", "'video'");
        Cli.FailsWith(["bench", "train", "--steps", "0"], "--steps", "0");
        Cli.FailsWith(["bench", "gemm", "--threads", "0"], "--threads", "'0'");
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
            Cli.FailsWith(["train", "lm", "--threads", "1", "--data", tmp.Path, "--no-fetch", "--run-dir", tmp.File("run")], "'brown' not found");
            Assert.Equal(3, EngineSettings.Threads);
        }
        finally { EngineSettings.Threads = saved; }
    }
}
