using System.Text.Json;
using Xunit;

namespace Ortho.Tests.Cli;

/// <summary><c>ortho bench train</c>: presets, the FLOP floor, peak memory and the profile, through the command line.</summary>
[Collection("cli")]
public class BenchTrainTests
{
    /// <summary>
    /// One profiled step of the default LM: the row carries the step's FLOPs, our SGEMM rate and the floor ratio, peak
    /// memory and the run header, and the profile's families add up to its mean step.
    /// </summary>
    [Fact]
    public void ProfileSplitsTheStepByFamilyAndPhase()
    {
        string output = Cli.Succeeds("bench", "train", "--task", "lm", "--preset", "default", "--batch", "2", "--steps", "1", "--threads", "1", "--profile", "--json");
        var row = JsonDocument.Parse(Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal("default", row.GetProperty("preset").GetString());
        Assert.Equal(2, row.GetProperty("batch").GetInt32());
        Assert.Equal(128, row.GetProperty("block").GetInt32());
        Assert.True(row.GetProperty("commit").GetString()!.Length > 0);
        double gflop = row.GetProperty("step_gflop").GetDouble(), sgemm = row.GetProperty("sgemm_gflops").GetDouble();
        Assert.True(gflop > 1 && sgemm > 0, $"step {gflop} GFLOP, SGEMM {sgemm} GFLOP/s");
        Assert.Equal(gflop / sgemm * 1e3, row.GetProperty("floor_ms").GetDouble(), 0.05 * gflop / sgemm * 1e3 + 0.01);
        Assert.Equal(row.GetProperty("ms_per_step").GetDouble() / row.GetProperty("floor_ms").GetDouble(), row.GetProperty("floor_ratio").GetDouble(), 0.01);
        Assert.True(row.GetProperty("peak_pool_mb").GetDouble() > 0);
        Assert.True(row.GetProperty("tokens_per_s").GetDouble() > 0);

        var profile = row.GetProperty("profile");
        double step = profile.GetProperty("step_ms").GetDouble();
        var families = profile.GetProperty("families").EnumerateArray().ToList();
        Assert.Equal(step, families.Sum(f => f.GetProperty("ms").GetDouble()), 0.01 * step);
        Assert.Equal(1, families.Sum(f => f.GetProperty("share").GetDouble()), 0.01);
        var names = families.Select(f => (f.GetProperty("family").GetString(), f.GetProperty("phase").GetString())).ToList();
        foreach (var f in new[] { "gemm", "attention", "layer_norm", "activation", "cross_entropy", "embedding" })
        {
            Assert.Contains((f, "forward"), names);
            Assert.Contains((f, "backward"), names);
        }
        Assert.Contains(("optimizer", "update"), names);
        var gemm = families.First(f => f.GetProperty("family").GetString() == "gemm");
        Assert.True(gemm.GetProperty("gflops").GetDouble() > 0);
        Assert.Contains(profile.GetProperty("ops").EnumerateArray(), o => o.GetProperty("op").GetString() == "linear 256x128->384");
    }

    /// <summary>The table form: the run header, one row per thread count, then the profile with a column group per count.</summary>
    [Fact]
    public void ProfileTableComparesThreadCounts()
    {
        string output = Cli.Succeeds("bench", "train", "--task", "image", "--batch", "4", "--steps", "1", "--threads", "1,2", "--profile");
        var lines = output.Split('\n');
        Assert.StartsWith("# ortho", lines[0]);
        Assert.Equal(2, lines.Count(l => l.StartsWith("image ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("profile: image default gelu, batch 4", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("family", StringComparison.Ordinal) && l.Contains("1 thr ms") && l.Contains("2 thr ms") && l.Contains("lost ms"));
        Assert.Contains(lines, l => l.StartsWith("conv ", StringComparison.Ordinal) && l.Contains("GFLOP/s"));
    }

    [Fact]
    public void BadPresetsAndSizesGetOneLineNamingTheProblem()
    {
        Cli.FailsWith(["bench", "train", "--preset", "huge"], "--preset", "'huge'", "default", "small", "gpt2");
        Cli.FailsWith(["bench", "train", "--task", "image", "--preset", "gpt2"], "--preset", "'gpt2'", "convnext-t");
        Cli.FailsWith(["bench", "train", "--task", "image", "--block", "64"], "--block", "lm");
        Cli.FailsWith(["bench", "train", "--batch", "0"], "--batch", "'0'");
    }
}
