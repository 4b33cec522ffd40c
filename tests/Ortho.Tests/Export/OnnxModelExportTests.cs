using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Ortho.Export.Onnx;
using Ortho.Models;
using Xunit;

namespace Ortho.Tests.Export;

/// <summary>
/// The exported GPT and ConvNeXt, run by ONNX Runtime with every graph optimization, equal Ortho's forward on the
/// same inputs (atol 1e-4 + rtol 1e-3) for every activation, at batch 1 and 3 from one file with a symbolic batch.
/// </summary>
public class OnnxModelExportTests
{
    private static readonly GptConfig TinyGpt = new(Vocab: 40, Block: 8, Layers: 2, Heads: 2, Embd: 16);

    // Two stages on 14 x 14 RGB: the stem gives 7 x 7 and the downsampling 3 x 3 (an odd size, floored).
    private static readonly ConvNeXtConfig TinyConvNeXt = new(3, 5, [1, 1], [8, 16], 2, "gelu", 14);

    public static TheoryData<string> Activations() => OnnxTestKit.Activations();

    private static Gpt Gpt(string activation, ulong seed = 1)
    {
        var model = new Gpt(TinyGpt with { Activation = activation }, new Rng(seed));
        OnnxTestKit.Perturb(model, seed + 100);
        return model;
    }

    private static ConvNeXt ConvNeXt(string activation, ulong seed = 1)
    {
        var model = new ConvNeXt(TinyConvNeXt with { Activation = activation }, new Rng(seed));
        OnnxTestKit.Perturb(model, seed + 100);
        return model;
    }

    private static int[] Ids(int count, int vocab, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count).Select(_ => (int)(rng.NextUInt64() % (ulong)vocab)).ToArray();
    }

    private static void CheckGpt(Gpt model, InferenceSession session, int batch, int tokens, ulong seed)
    {
        var ids = Ids(batch * tokens, model.Config.Vocab, seed);
        var (ort, shape) = OnnxTestKit.Run(session, "input_ids", ids.Select(i => (long)i).ToArray(), [batch, tokens]);
        Assert.Equal([batch, tokens, model.Config.Vocab], shape);
        OnnxTestKit.AssertClose(ort, OnnxTestKit.OrthoLogits(model, ids, batch, tokens), $"{model.Config.Activation} logits [{batch}, {tokens}]");
    }

    private static void CheckConvNeXt(ConvNeXt model, InferenceSession session, int batch, int size, ulong seed)
    {
        var images = new float[batch * model.Config.InChans * size * size];
        new Rng(seed).FillNormal(images);
        var (ort, shape) = OnnxTestKit.Run(session, "images", images, [batch, model.Config.InChans, size, size]);
        Assert.Equal([batch, model.Config.Classes], shape);
        OnnxTestKit.AssertClose(ort, OnnxTestKit.OrthoLogits(model, images, batch, size), $"{model.Config.Activation} logits [{batch}]");
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void GptMatchesOrthoAtBatchOneAndThree(string activation)
    {
        var model = Gpt(activation);
        using var session = OnnxTestKit.Session(OnnxExporter.Export(model, new OnnxExportOptions { DynamicBatch = true }));
        CheckGpt(model, session, 1, TinyGpt.Block, 11);
        CheckGpt(model, session, 3, TinyGpt.Block, 12);
        CheckGpt(model, session, 3, 5, 13); // a shorter sequence from the same file
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void ConvNeXtMatchesOrthoAtBatchOneAndThree(string activation)
    {
        var model = ConvNeXt(activation);
        using var session = OnnxTestKit.Session(OnnxExporter.Export(model, new OnnxExportOptions { DynamicBatch = true }));
        CheckConvNeXt(model, session, 1, 14, 21);
        CheckConvNeXt(model, session, 3, 14, 22);
    }

    [Theory]
    [InlineData(17, "gelu")]
    [InlineData(17, "gelu_tanh")]
    [InlineData(17, "tropical:3")]
    [InlineData(18, "tropical_rational:2")]
    [InlineData(19, "gelu")]
    [InlineData(21, "hermite:3")]
    [InlineData(23, "fourier:3")]
    [InlineData(23, "gelu_tanh")]
    public void EveryOpsetFromSeventeenRuns(int opset, string activation)
    {
        var gpt = Gpt(activation, 2);
        using (var s = OnnxTestKit.Session(OnnxExporter.Export(gpt, new OnnxExportOptions { Opset = opset, DynamicBatch = true })))
            CheckGpt(gpt, s, 2, 6, 31);
        var net = ConvNeXt(activation, 2);
        using (var s = OnnxTestKit.Session(OnnxExporter.Export(net, new OnnxExportOptions { Opset = opset })))
            CheckConvNeXt(net, s, 1, 14, 32);
    }

    [Theory]
    [InlineData(17, "gelu", "Erf")]
    [InlineData(20, "gelu", "Gelu")]
    [InlineData(17, "gelu_tanh", "Tanh")]
    [InlineData(20, "gelu_tanh", "Gelu")]
    public void GeluIsTheGeluOperatorFromOpsetTwentyAndAFormulaBefore(int opset, string activation, string op)
    {
        // Node names carry the op type, e.g. "transformer.h.0.mlp.act/Gelu".
        var bytes = OnnxExporter.Export(Gpt(activation), new OnnxExportOptions { Opset = opset });
        foreach (var candidate in new[] { "Gelu", "Erf", "Tanh" })
            Assert.Equal(candidate == op, bytes.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes("mlp.act/" + candidate)) >= 0);
    }

    [Fact]
    public void FixedShapesAreFixedAndChecked()
    {
        var model = Gpt("hermite:3");
        using var session = OnnxTestKit.Session(OnnxExporter.Export(model, new OnnxExportOptions { SequenceLength = 5, BatchSize = 2 }));
        Assert.Equal([2, 5], session.InputMetadata["input_ids"].Dimensions);
        Assert.Equal([2, 5, TinyGpt.Vocab], session.OutputMetadata["logits"].Dimensions);
        CheckGpt(model, session, 2, 5, 41);
        Assert.Throws<OnnxRuntimeException>(() => OnnxTestKit.Run(session, "input_ids", new long[3 * 5], [3, 5]));

        using var dynamic = OnnxTestKit.Session(OnnxExporter.Export(model, new OnnxExportOptions { DynamicBatch = true }));
        Assert.Equal([-1, -1], dynamic.InputMetadata["input_ids"].Dimensions);
        Assert.Equal(["batch", "sequence"], dynamic.InputMetadata["input_ids"].SymbolicDimensions);

        var e = Assert.Throws<ArgumentException>(() => OnnxExporter.Export(model, new OnnxExportOptions { SequenceLength = TinyGpt.Block + 1 }));
        Assert.Contains("block size 8", e.Message);
        Assert.Contains("opset must be in [17, 23]", Assert.Throws<ArgumentException>(() => OnnxExporter.Export(model, new OnnxExportOptions { Opset = 16 })).Message);
        Assert.Throws<ArgumentException>(() => OnnxExporter.Export(ConvNeXt("gelu"), new OnnxExportOptions { ImageSize = 3 }));
    }

    [Fact]
    public void ConvNeXtTakesAnotherImageSize()
    {
        var model = ConvNeXt("fourier:3");
        using var session = OnnxTestKit.Session(OnnxExporter.Export(model, new OnnxExportOptions { ImageSize = 16, BatchSize = 2 }));
        Assert.Equal([2, 3, 16, 16], session.InputMetadata["images"].Dimensions);
        CheckConvNeXt(model, session, 2, 16, 51);
    }

    [Fact]
    public void MetadataCarriesConfigActivationsAndWeights()
    {
        var model = Gpt("tropical_rational:2");
        var extra = new Dictionary<string, string> { ["source"] = "unit test" };
        using var session = OnnxTestKit.Session(OnnxExporter.Export(model, new OnnxExportOptions { Metadata = extra }));
        var meta = session.ModelMetadata;
        Assert.Equal("ortho", meta.ProducerName);
        var map = meta.CustomMetadataMap;
        Assert.Equal("gpt", map[OnnxExporter.MetadataKeys.Model]);
        Assert.Equal(TinyGpt with { Activation = "tropical_rational:2" }, JsonSerializer.Deserialize<GptConfig>(map[OnnxExporter.MetadataKeys.Config]));
        var acts = JsonSerializer.Deserialize<Dictionary<string, string>>(map[OnnxExporter.MetadataKeys.Activations])!;
        Assert.Equal(["transformer.h.0.mlp.act", "transformer.h.1.mlp.act"], acts.Keys.Order());
        Assert.All(acts.Values, v => Assert.Equal("tropical_rational:2", v));
        Assert.Equal("8", map[OnnxExporter.MetadataKeys.Block]);
        Assert.Equal("40", map[OnnxExporter.MetadataKeys.Vocab]);
        Assert.False(map.ContainsKey(OnnxExporter.MetadataKeys.Tokenizer)); // vocab 40 is not the byte vocabulary
        Assert.Equal("unit test", map["source"]);
        Assert.Equal(["input_ids"], session.InputNames);
        Assert.Equal(["logits"], session.OutputNames);
    }

    [Fact]
    public void InitializersAreTheStateDictUnderItsNames()
    {
        var model = Gpt("hermite:3");
        var bytes = OnnxExporter.Export(model);
        // Every parameter's name and raw float32 bytes appear in the file (the LM head is tied: wte once).
        foreach (var (name, p) in model.NamedParameters())
        {
            Assert.True(bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(name)) >= 0, $"no initializer named {name}");
            Assert.True(bytes.AsSpan().IndexOf(System.Runtime.InteropServices.MemoryMarshal.AsBytes(p.Data)) >= 0, $"the values of {name} are not in the file");
        }
    }

    [Fact]
    public void SaveWritesTheSameBytesAsExport()
    {
        var model = ConvNeXt("tropical:3");
        using var dir = new Ortho.Tests.IO.TempDirectory();
        var path = dir.File("sub/model.onnx");
        OnnxExporter.Save(model, path);
        Assert.Equal(OnnxExporter.Export(model), File.ReadAllBytes(path));
    }

    [Fact]
    public void UnsupportedModulesAreRefusedByName()
    {
        var e = Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(new Ortho.NN.Linear(2, 3)));
        Assert.Contains("Linear", e.Message);
    }
}
