using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ortho.Activations;
using Ortho.Data;
using Ortho.Inference;
using SkiaSharp;
using Xunit;
using CliRunner = Ortho.Tests.Cli.Cli;

namespace Ortho.Tests.Viz;

/// <summary><c>ortho plot</c>, <c>plot --curves</c>, <c>report</c>, <c>eval</c>, <c>generate</c> and <c>bench generate</c> on tiny runs.</summary>
[Collection("cli")]
public class VizCommandTests(TinyRuns runs) : IClassFixture<TinyRuns>
{
    /// <summary>Decodes a PNG and checks that it is a picture, not a blank page: many non-white pixels in several colours.</summary>
    internal static void AssertDrawn(string png, int width, int height)
    {
        using var bmp = SKBitmap.Decode(png) ?? throw new Xunit.Sdk.XunitException($"{png} is not a PNG");
        Assert.Equal((width, height), (bmp.Width, bmp.Height));
        int inked = 0;
        var colors = new HashSet<uint>();
        for (int y = 0; y < bmp.Height; y += 2)
            for (int x = 0; x < bmp.Width; x += 2)
            {
                var c = bmp.GetPixel(x, y);
                if (c.Red < 235 || c.Green < 235 || c.Blue < 235) inked++;
                colors.Add((uint)c);
            }
        double fraction = inked / (bmp.Width * bmp.Height / 4.0);
        Assert.True(fraction > 0.01, $"{png}: only {fraction:P2} of the pixels are not white");
        Assert.True(colors.Count > 20, $"{png}: only {colors.Count} colours");
    }

    private static string[] Written(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => l.StartsWith("wrote ")).Select(l => l[6..]).ToArray();

    [Fact]
    public void PlotDrawsEveryActivationInAGridAndPerLayer()
    {
        string dir = runs.NewDirectory();
        var files = Written(CliRunner.Succeeds("plot", runs.LmHermite, runs.LmFourier, "--out", dir));
        Assert.Equal([Path.Combine(dir, "activations.png"), Path.Combine(dir, "activations.svg")], files);
        AssertDrawn(files[0], 2 * 560, 2 * 360); // two layers: a row each, f and f'
        string svg = File.ReadAllText(files[1]);
        Assert.StartsWith("<?xml", svg);
        foreach (var text in new[] { "transformer.h.0.mlp.act", "transformer.h.1.mlp.act", "lm-hermite-3", "lm-fourier-3", "GELU (reference)", "N(0, 1²) ±1σ" })
            Assert.Contains(text, svg);

        string per = runs.NewDirectory();
        files = Written(CliRunner.Succeeds("plot", runs.LmHermite, "--layout", "per-layer", "--reference", "relu", "--range", "-2,3", "--out", per));
        Assert.Equal(4, files.Length);
        Assert.Contains(Path.Combine(per, "activation-transformer.h.1.mlp.act.png"), files);
        AssertDrawn(files[0], 2 * 620, 440);
        Assert.Contains("RELU (reference)", File.ReadAllText(files[1]));

        string image = runs.NewDirectory();
        files = Written(CliRunner.Succeeds("plot", Path.Combine(runs.Image, "model.safetensors"), "--reference", "none", "--out", image));
        string isvg = File.ReadAllText(files[1]);
        Assert.Contains("stages.2.1.act", isvg);
        Assert.DoesNotContain("reference", isvg);
    }

    [Fact]
    public void PlotShowsAFittedActivationFile()
    {
        string dir = runs.NewDirectory(), file = Path.Combine(dir, "hermite6.safetensors");
        CliRunner.Succeeds("fit", "--activation", "hermite:6", "--target", "gelu", "--out", file);
        var files = Written(CliRunner.Succeeds("plot", file, "--layout", "per-layer", "--out", dir));
        Assert.Equal(Path.Combine(dir, "activation-activation.png"), files[0]);
        AssertDrawn(files[0], 2 * 620, 440);
        Assert.Contains("activation (hermite:6): f(x)", File.ReadAllText(files[1]));
    }

    [Fact]
    public void PlotWithDataShadesTheMeasuredInputs()
    {
        string dir = runs.NewDirectory();
        var files = Written(CliRunner.Succeeds(["plot", runs.LmHermite, runs.Image, .. runs.DataFlags, "--batches", "2", "--out", dir]));
        string svg = File.ReadAllText(files[1]);
        Assert.Contains("lm-hermite-3 inputs, central 95%", svg);
        Assert.Contains("image-tropical-3 inputs, central 95%", svg);
        Assert.DoesNotContain("central 68%", svg); // one band per run when several are overlaid
        Assert.DoesNotContain("N(0, 1²)", svg);
        string empty = runs.NewDirectory();
        CliRunner.FailsWith(["plot", runs.LmHermite, "--data", empty, "--out", dir], "Brown corpus in " + Path.Combine(empty, "brown"), "failed verification", "ortho data fetch lm");
        File.AppendAllText(Path.Combine(runs.DataDir, "brown", "cb99"), "a file the manifest does not list\n");
        try { CliRunner.FailsWith(["plot", runs.LmHermite, .. runs.DataFlags, "--out", dir], "cb99 is not part of the data set"); }
        finally { File.Delete(Path.Combine(runs.DataDir, "brown", "cb99")); }
    }

    [Fact]
    public void CurvesOfSeveralRunsAgainstStepsAndTime()
    {
        string dir = runs.NewDirectory();
        var files = Written(CliRunner.Succeeds("plot", "--curves", runs.LmHermite, runs.LmFourier, runs.Image, "--out", dir));
        Assert.Equal(Path.Combine(dir, "curves-steps.png"), files[0]);
        AssertDrawn(files[0], 2 * 760, 480); // loss, and test accuracy for the image run
        string svg = File.ReadAllText(files[1]);
        foreach (var text in new[] { "lm-hermite-3 train", "lm-fourier-3 validation", "image-tropical-3", "Test accuracy", "training step" })
            Assert.Contains(text, svg);

        files = Written(CliRunner.Succeeds("plot", "--curves", Path.Combine(runs.LmHermite, "metrics.jsonl"), "--x", "time", "--smooth", "0", "--out", dir));
        Assert.Equal(Path.Combine(dir, "curves-time.png"), files[0]);
        AssertDrawn(files[0], 760, 480);
        Assert.Contains("wall time (s", File.ReadAllText(files[1]));
        CliRunner.FailsWith(["plot", "--curves", runs.LmHermite, "--x", "epochs"], "--x must be steps or time");
        CliRunner.FailsWith(["plot", "--curves", runs.DataDir], "no metrics log");
    }

    [Fact]
    public void BadPlotInputGetsOneLine()
    {
        CliRunner.FailsWith(["plot", Path.Combine(runs.DataDir, "nope")], "no such file or run directory");
        CliRunner.FailsWith(["plot", runs.DataDir], "no model.safetensors or checkpoint.safetensors");
        CliRunner.FailsWith(["plot", runs.LmHermite, "--range", "3,1"], "--range must be LO,HI");
        CliRunner.FailsWith(["plot", runs.LmHermite, "--reference", "mish"], "--reference must be one of");
        CliRunner.FailsWith(["plot", runs.LmHermite, "--layout", "rows"], "--layout must be grid or per-layer");
    }

    [Fact]
    public void ReportIsOneSelfContainedPageWithEveryRun()
    {
        string file = Path.Combine(runs.NewDirectory(), "sub", "report.html");
        string output = CliRunner.Succeeds("report", runs.LmHermite, runs.LmFourier, runs.Image, "--out", file);
        Assert.Contains("wrote " + file, output);
        string html = File.ReadAllText(file);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.EndsWith("</html>\n", html);
        foreach (var text in new[] { "id=\"comparison\"", "lm-hermite-3", "lm-fourier-3", "image-tropical-3", "validation loss", "test accuracy", "transformer.h.1.mlp.act", "stages.0.0.act" })
            Assert.Contains(text, html);
        // Nothing from the network: every picture is a data: URI of a decodable SVG.
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        var images = Regex.Matches(html, "src=\"data:image/svg\\+xml;base64,([A-Za-z0-9+/=]+)\"");
        Assert.Equal(3, images.Count); // curves against steps and time, the activation grid
        Assert.All(images, m => Assert.StartsWith("<?xml", Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[1].Value))));
        // The moments are the library's, as inspect prints them.
        var model = TrainedModel.Load(runs.LmHermite);
        var (name, act) = model.LearnableActivations()[1];
        var mom = act.Moments(1);
        Assert.Contains($"<td><code>{name}</code></td><td>hermite:3</td><td>{mom.Mean.ToString("G5", CultureInfo.InvariantCulture)}</td><td>{mom.SecondMoment.ToString("G5", CultureInfo.InvariantCulture)}</td>", html);
        Assert.Contains(mom.BackwardGain.ToString("G5", CultureInfo.InvariantCulture), html);
        // The configuration, flattened.
        Assert.Contains("<tr><th>Activation</th><td><code>fourier:3</code></td></tr>", html);
        Assert.Contains("<tr><th>model.Dims</th>", html);
    }

    [BrowserFact]
    [Trait("Category", "Browser")]
    public void ReportRendersInHeadlessChromium()
    {
        string dir = runs.NewDirectory();
        string file = Path.Combine(dir, "report.html");
        CliRunner.Succeeds(["report", runs.LmHermite, runs.Image, .. runs.DataFlags, "--batches", "1", "--out", file]);
        var shot = Browser.Screenshot(file, Path.Combine(dir, "report.png"), 1200, 2000);
        AssertDrawn(shot, 1200, 2000);
        var (dom, log) = Browser.DumpDom(file);
        Assert.Contains("data-check=\"ok\"", dom); // the page's script ran and every picture decoded
        Assert.DoesNotContain("Uncaught", log);
        Assert.DoesNotMatch(@"CONSOLE\(\d+\).*(rror|Uncaught)", log);
    }

    [Fact]
    public void EvalLmCoversTheWholeValidationSplit()
    {
        var json = JsonDocument.Parse(CliRunner.Succeeds(["eval", runs.LmHermite, .. runs.DataFlags, "--json"])).RootElement;
        var (_, validation) = BrownCorpus.Load(Path.Combine(runs.DataDir, "brown"));
        Assert.Equal(validation.Length - 1, json.GetProperty("tokens").GetInt64());
        Assert.Equal(validation.Length, json.GetProperty("bytes").GetInt64());
        Assert.Equal((validation.Length - 1 + 15) / 16, json.GetProperty("windows").GetInt32());
        double nats = json.GetProperty("nats_per_byte").GetDouble();
        Assert.InRange(nats, 0.5, 6);
        Assert.Equal(nats / Math.Log(2), json.GetProperty("bits_per_byte").GetDouble(), 1e-9);
        Assert.Equal(Math.Exp(json.GetProperty("nats_per_token").GetDouble()), json.GetProperty("perplexity").GetDouble(), 1e-9);

        var model = TrainedModel.Load(runs.LmHermite);
        var direct = Evaluation.Lm(model.Gpt!, Array.ConvertAll(validation, b => (int)b), batch: 3);
        Assert.Equal(direct.NatsPerToken, json.GetProperty("nats_per_token").GetDouble(), 1e-5);

        string text = CliRunner.Succeeds(["eval", Path.Combine(runs.LmHermite, "checkpoint.safetensors"), .. runs.DataFlags]);
        Assert.Contains("bits/byte", text);
        Assert.Contains("step 6", text);
    }

    [Fact]
    public void EvalImagePrintsAccuracyAndConfusionMatrix()
    {
        string text = CliRunner.Succeeds(["eval", runs.Image, .. runs.DataFlags]);
        Assert.Contains("16 images; accuracy", text);
        foreach (var c in Evaluation.FashionMnistClasses) Assert.Contains(c, text);
        var json = JsonDocument.Parse(CliRunner.Succeeds(["eval", runs.Image, .. runs.DataFlags, "--json", "--batch", "5"])).RootElement;
        var rows = json.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        Assert.Equal(10, rows.Length);
        Assert.Equal(16, rows.Sum(r => r.Sum()));
        Assert.Equal([2, 2, 2, 2, 2, 2, 1, 1, 1, 1], rows.Select(r => r.Sum())); // test labels are i % 10 for 16 images
        Assert.Equal(Enumerable.Range(0, 10).Sum(i => rows[i][i]) / 16.0, json.GetProperty("accuracy").GetDouble(), 1e-12);
        CliRunner.FailsWith(["eval", runs.Image, "--data", runs.NewDirectory(), "--no-fetch"], "Fashion-MNIST in", "failed verification");
    }

    [Fact]
    public void GenerateStreamsSeededReproducibleText()
    {
        string[] args = ["generate", runs.LmHermite, "--prompt", "the cat", "--tokens", "40", "--seed", "3", "--threads", "1"];
        var (code, a, err) = CliRunner.Run(args);
        Assert.True(code == 0, err);
        Assert.StartsWith("the cat", a);
        Assert.Contains("[40 tokens in", err);
        Assert.Equal(a, CliRunner.Succeeds(args));
        Assert.Equal(a, CliRunner.Succeeds([.. args, "--no-cache"]));
        Assert.NotEqual(a, CliRunner.Succeeds([.. args[..^4], "--seed", "4", "--threads", "1"]));
        var greedy = CliRunner.Succeeds("generate", runs.LmHermite, "--prompt", "the", "--tokens", "20", "--temperature", "0");
        var model = TrainedModel.Load(runs.LmHermite).Gpt!;
        var ids = new GptGenerator(model).Generate(ByteTokenizer.Encode("the"), new GenerationOptions { MaxNewTokens = 20, Temperature = 0 }).ToArray();
        Assert.Equal("the" + ByteTokenizer.Decode(ids) + "\n", greedy.Replace("\r\n", "\n"));

        CliRunner.FailsWith(["generate", runs.Image], "generate needs a GPT language model");
        CliRunner.FailsWith(["generate", runs.LmHermite, "--prompt", ""], "--prompt is empty");
        CliRunner.FailsWith(["generate", runs.LmHermite, "--temperature", "-1"], "--temperature");
        CliRunner.FailsWith(["generate", runs.LmHermite, "--window-shift", "99"], "--window-shift", "[0, 16]");
    }

    [Fact]
    public void BenchGenerateComparesCachedAndFullForward()
    {
        var lines = CliRunner.Succeeds("bench", "generate", "--run", runs.LmHermite, "--threads", "1", "--prompt-tokens", "4", "--json")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var e = JsonDocument.Parse(Assert.Single(lines)).RootElement;
        Assert.Equal("generate", e.GetProperty("bench").GetString());
        Assert.Equal(12, e.GetProperty("tokens").GetInt32()); // block 16 - 4 prompt tokens
        Assert.True(e.GetProperty("cached_tokens_per_s").GetDouble() > 0);
        Assert.True(e.GetProperty("full_tokens_per_s").GetDouble() > 0);
        Assert.True(e.TryGetProperty("commit", out _) && e.TryGetProperty("simd", out _), "the JSON line lacks the bench header");
        string table = CliRunner.Succeeds("bench", "generate", "--activation", "hermite:3", "--threads", "1", "--tokens", "4");
        Assert.StartsWith("# ortho ", table);
        Assert.Contains("hermite:3", table);
    }
}
