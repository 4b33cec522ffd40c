using Microsoft.ML.OnnxRuntime;
using Ortho.Export.Onnx;
using Ortho.Models;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Export;

/// <summary>The README's ONNX Runtime snippet ("Deploying a model"), verbatim but for the file path and the assertion.</summary>
public class ReadmeOnnxExampleTests
{
    [Fact]
    public void SnippetPicksOrthosNextByte()
    {
        using var dir = new TempDirectory();
        var model = new Gpt(new GptConfig(256, 16, 1, 2, 16), new Rng(4));
        OnnxTestKit.Perturb(model, 5);
        OnnxExporter.Save(model, dir.File("lm.onnx"), new OnnxExportOptions { DynamicBatch = true });

        using var session = new InferenceSession(dir.File("lm.onnx"));
        long[] ids = "The jury said"u8.ToArray().Select(b => (long)b).ToArray();   // byte tokenizer: token id = byte
        using var input = OrtValue.CreateTensorValueFromMemory(ids, [1, ids.Length]);
        using var run = new RunOptions();
        using var outputs = session.Run(run, ["input_ids"], [input], ["logits"]);
        var logits = outputs[0].GetTensorDataAsSpan<float>()[((ids.Length - 1) * 256)..];   // the last position's 256 logits
        int next = 0;
        for (int v = 1; v < 256; v++) if (logits[v] > logits[next]) next = v;

        var ortho = OnnxTestKit.OrthoLogits(model, ids.Select(i => (int)i).ToArray(), 1, ids.Length).AsSpan((ids.Length - 1) * 256);
        Assert.Equal(ortho.IndexOf(System.Numerics.Tensors.TensorPrimitives.Max(ortho)), next);
    }
}
