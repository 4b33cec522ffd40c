using System.Text.Json;
using Ortho.Activations;
using Ortho.Export.Onnx;
using Ortho.IO;
using Ortho.Models;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Export;

/// <summary>
/// The peer fixtures' models (PyTorch weights, torchortho activations) exported to ONNX: ONNX Runtime reproduces the
/// logits PyTorch computed, with no Ortho kernel in between.
/// </summary>
public class OnnxFixtureTests
{
    public static TheoryData<string> Cases()
    {
        var d = new TheoryData<string>();
        foreach (var f in Fixtures.Files("gpt-tiny-*.json").Concat(Fixtures.Files("convnext-tiny-*.json"))) d.Add(Path.GetFileName(f));
        return d;
    }

    private static int[] Ints(JsonElement e) => Fixtures.Floats(e).Select(v => (int)v).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnnxRuntimeReproducesPyTorchLogits(string file)
    {
        using var doc = Fixtures.Load(Path.Combine(Fixtures.Directory, file));
        var root = doc.RootElement;
        var c = root.GetProperty("config");
        string act = ActivationSpec.Parse(c.GetProperty("activation").GetString()!).ToString();
        string weights = Path.Combine(Fixtures.Directory, c.GetProperty("weights").GetString()!);
        float[] ort, expected = Fixtures.Floats(root.GetProperty("logits_first_row"));
        if (file.StartsWith("gpt", StringComparison.Ordinal))
        {
            var model = new Gpt(new GptConfig(c.GetProperty("vocab").GetInt32(), c.GetProperty("block").GetInt32(), c.GetProperty("n_layer").GetInt32(),
                c.GetProperty("n_head").GetInt32(), c.GetProperty("n_embd").GetInt32(), act), new Rng(0));
            StateDictFile.LoadInto(model, weights);
            var idx = root.GetProperty("idx");
            int batch = idx.GetArrayLength(), tokens = idx[0].GetArrayLength();
            using var session = OnnxTestKit.Session(OnnxExporter.Export(model, new OnnxExportOptions { DynamicBatch = true }));
            ort = OnnxTestKit.Run(session, "input_ids", Ints(idx).Select(i => (long)i).ToArray(), [batch, tokens]).Values;
        }
        else
        {
            var shape = Fixtures.Shape(root.GetProperty("image_shape"));
            var model = new ConvNeXt(new ConvNeXtConfig(c.GetProperty("in_chans").GetInt32(), c.GetProperty("classes").GetInt32(),
                Fixtures.Shape(c.GetProperty("depths")), Fixtures.Shape(c.GetProperty("dims")), c.GetProperty("stem").GetInt32(), act, shape[2]), new Rng(0));
            StateDictFile.LoadInto(model, weights);
            using var session = OnnxTestKit.Session(OnnxExporter.Export(model, new OnnxExportOptions { DynamicBatch = true }));
            ort = OnnxTestKit.Run(session, "images", Fixtures.Floats(root.GetProperty("images")), shape.Select(s => (long)s).ToArray()).Values;
        }
        OnnxTestKit.AssertClose(ort.AsSpan(0, expected.Length), expected, file + " logits[0]");
    }
}
