using System.Text.Json;
using CliRunner = Ortho.Tests.Cli.Cli;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Analysis;

/// <summary><c>ortho variance</c> end to end in this process: table, JSON file, plot, one-line errors.</summary>
[Collection("cli")]
public class VarianceCliTests
{
    [Fact]
    public void VarianceWritesTableJsonAndPlot()
    {
        using var dir = new TempDirectory();
        string json = dir.File("v.json"), stem = Path.Combine(dir.Path, "pics", "v");
        string output = CliRunner.Succeeds("variance", "--depth", "3", "--width", "16", "--samples", "8", "--repeats", "2",
            "--activation", "gelu,hermite:3", "--weights", "kaiming", "--save", json, "--plot", stem, "--threads", "1");
        Assert.Contains("mlp 3 x 16, kaiming weights", output);
        Assert.Contains("E[g_act_in^2]", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var profiles = doc.RootElement.GetProperty("profiles");
        Assert.Equal(["gelu", "hermite:3"], profiles.EnumerateArray().Select(p => p.GetProperty("activation").GetString()));
        Assert.Equal(6, profiles[0].GetProperty("sites").GetArrayLength());
        Assert.Equal(2.0, profiles[0].GetProperty("sites")[0].GetProperty("predicted_forward").GetDouble(), 12); // Kaiming: 2 E[x^2]
        Assert.StartsWith("ortho variance --depth 3 ", doc.RootElement.GetProperty("command").GetString());
        var png = File.ReadAllBytes(stem + ".png");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Contains("<svg", File.ReadAllText(stem + ".svg"));

        string gpt = CliRunner.Succeeds("variance", "--model", "gpt", "--layers", "1", "--embd", "16", "--heads", "2", "--block", "8",
            "--samples", "2", "--activation", "tropical:3", "--json", "--threads", "1");
        Assert.Equal("gpt", JsonDocument.Parse(gpt).RootElement.GetProperty("profiles")[0].GetProperty("model").GetString());
    }

    [Fact]
    public void BadVarianceInputGetsOneLine()
    {
        CliRunner.FailsWith(["variance", "--weights", "xavier"], "--weights", "xavier");
        CliRunner.FailsWith(["variance", "--model", "rnn"], "--model", "rnn");
        CliRunner.FailsWith(["variance", "--activation", "tropical:5", "--init", "ones"], "ones", "tropical");
        CliRunner.FailsWith(["variance", "--activation", "hermite:3", "--init", "twice"], "twice");
        CliRunner.FailsWith(["variance", "--samples", "1"], "Samples must be at least 2");
        CliRunner.FailsWith(["variance", "--activation", "swish"], "Unknown activation 'swish'");
    }
}
