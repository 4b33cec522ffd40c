using System.Diagnostics;
using System.Text.Json;
using Ortho.IO;
using Ortho.Models;
using Ortho.Tests.IO;
using Ortho.Training;
using Xunit;

namespace Ortho.Tests.Export;

/// <summary><c>ortho export onnx</c> on a run directory as <c>ortho train</c> leaves it, run as a process.</summary>
public class ExportCommandTests
{
    private static (int Code, string Out, string Err) Ortho(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Ortho.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }

    [Fact]
    public void ExportsAndVerifiesARunDirectory()
    {
        using var dir = new TempDirectory();
        string config = JsonSerializer.Serialize(new LmRecipe { Layers = 1, Heads = 2, Embd = 16, Block = 8, Activation = "fourier:2" });
        var model = (Gpt)ModelConfig.Create(config);
        OnnxTestKit.Perturb(model, 9);
        StateDictFile.Save(model, dir.File("model.safetensors"), [new("config", config)]);

        var (code, output, err) = Ortho("export", "onnx", dir.Path, "--out", dir.File("model.onnx"), "--dynamic-batch", "--verify");
        Assert.True(code == 0, $"exit {code}: {err}");
        Assert.Contains("GPT (1 layers, 2 heads, 16 dims, block 8, activation fourier:2)", output);
        Assert.Contains("input_ids int64 [batch, sequence <= 8] -> logits float [batch, sequence, 256]", output);
        Assert.Contains("input [3, 8]", output);
        Assert.Contains("verify: ok", output);

        using var session = OnnxTestKit.Session(File.ReadAllBytes(dir.File("model.onnx")));
        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(config, meta["ortho.recipe"]);
        Assert.Equal("model.safetensors", meta["ortho.source"]);
        Assert.Equal("bytes", meta["ortho.tokenizer"]);
        int[] ids = [104, 101, 108, 108, 111];
        var (ort, _) = OnnxTestKit.Run(session, "input_ids", ids.Select(i => (long)i).ToArray(), [1, 5]);
        OnnxTestKit.AssertClose(ort, OnnxTestKit.OrthoLogits(model, ids, 1, 5), "logits of the exported run");

        (code, _, err) = Ortho("export", "onnx", dir.Path, "--out", dir.File("x.onnx"), "--image-size", "28");
        Assert.Equal(2, code);
        Assert.StartsWith("ortho: --image-size applies to a ConvNeXt", err);
        Assert.False(File.Exists(dir.File("x.onnx")));
    }
}
