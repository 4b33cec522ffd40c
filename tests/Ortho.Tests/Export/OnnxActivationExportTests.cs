using Ortho.Activations;
using Ortho.Export.Onnx;
using Ortho.Models;
using Ortho.NN;
using Ortho.Tests.Activations.Custom;
using Xunit;

namespace Ortho.Tests.Export;

/// <summary>
/// Each activation exported alone (x [n] to y [n]) and run by ONNX Runtime equals Ortho's float kernel elementwise on
/// a dense grid over [-6, 6] plus random inputs, at several degrees, with initial and with perturbed parameters.
/// </summary>
public class OnnxActivationExportTests
{
    private static readonly float[] Inputs = Enumerable.Range(0, 2401).Select(i => -6f + i * 0.005f)
        .Concat(Activations.ActivationTestKit.Normal(600, 7, 3f)).Concat([0f, -0f, 1e-30f, -1e-30f]).ToArray();

    public static TheoryData<string, bool> Cases()
    {
        var d = new TheoryData<string, bool>();
        foreach (var spec in new[] { "hermite:1", "hermite:2", "hermite:3", "hermite:8", "hermite:9", "hermite:12", "hermite:16", "hermite:32",
                     "hermite:4+clamp", "hermite:12+clamp", "fourier:1", "fourier:4", "fourier:33",
                     "tropical:1", "tropical:5", "tropical:40", "tropical_rational:1", "tropical_rational:3", "tropical_rational:40" })
            foreach (bool perturb in new[] { false, true })
                d.Add(spec, perturb);
        foreach (var spec in new[] { "gelu", "gelu_tanh", "relu", "silu", "tanh", "sigmoid" }) d.Add(spec, false);
        return d;
    }

    private static void Check(UnaryModule act, string what, int opset = OnnxExportOptions.DefaultOpset)
    {
        using var session = OnnxTestKit.Session(OnnxExporter.ExportActivation(act, new OnnxExportOptions { Opset = opset }));
        var (ort, shape) = OnnxTestKit.Run(session, "x", Inputs, [Inputs.Length]);
        Assert.Equal([Inputs.Length], shape);
        float[] expected;
        using (Tensor.NoGrad()) expected = act.Forward(Tensor.FromArray(Inputs, Inputs.Length)).ToArray();
        OnnxTestKit.AssertClose(ort, expected, what);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheKernelElementwise(string spec, bool perturb)
    {
        var act = ActivationSpec.Parse(spec).Create(new Rng(3));
        if (perturb)
        {
            var rng = new Rng(4);
            foreach (var p in act.Parameters())
                for (int i = 0; i < p.Length; i++) p.Data[i] += 0.3f * (float)(rng.NextDouble() - 0.5);
        }
        Check(act, spec + (perturb ? " (perturbed)" : ""));
    }

    [Theory]
    [InlineData("gelu")]
    [InlineData("gelu_tanh")]
    public void GeluFormulasBelowOpsetTwenty(string spec) => Check(ActivationSpec.Parse(spec).Create(), spec + " at opset 17", 17);

    [Fact]
    public void ParametersAreInitializersUnderTheirNames()
    {
        var act = new FourierActivation(3);
        var bytes = OnnxExporter.ExportActivation(act);
        foreach (var name in ActivationRegistry.Get("fourier").ParameterNames)
            Assert.True(bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(name)) >= 0, $"no initializer named {name}");
        using var session = OnnxTestKit.Session(bytes);
        Assert.Equal("activation", session.ModelMetadata.CustomMetadataMap[OnnxExporter.MetadataKeys.Model]);
        Assert.Equal("{\"act\":\"fourier:3\"}", session.ModelMetadata.CustomMetadataMap[OnnxExporter.MetadataKeys.Activations]);
    }

    [Fact]
    public void AKindWithoutAnOnnxFormIsRefusedByName()
    {
        var module = SmoothRationalFamily.Instance.CreateModule(2);
        var e = Assert.Throws<NotSupportedException>(() => OnnxExporter.ExportActivation(module));
        Assert.Contains("smooth_rational", e.Message);
        SmoothRationalFamily.Registered();
        var gpt = new Gpt(new GptConfig(16, 4, 1, 1, 8, "smooth_rational:2"), new Rng(1));
        e = Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(gpt));
        Assert.Contains("smooth_rational", e.Message);
    }

    [Fact]
    public void AKindDefinedInTheTestsExportsThroughItsFamily()
    {
        var act = SeriesFamily.Instance.CreateModule(4);
        var rng = new Rng(5);
        foreach (var p in act.Parameters())
            for (int i = 0; i < p.Length; i++) p.Data[i] += 0.3f * (float)(rng.NextDouble() - 0.5);
        Check(act, "onnx_series:4");

        SeriesFamily.Registered();
        var gpt = new Gpt(new GptConfig(24, 6, 1, 2, 8, "onnx_series:3"), new Rng(2));
        OnnxTestKit.Perturb(gpt, 3);
        using var session = OnnxTestKit.Session(OnnxExporter.Export(gpt, new OnnxExportOptions { DynamicBatch = true }));
        int[] ids = [1, 5, 7, 23, 0, 2, 9, 11, 4, 3, 8, 6];
        var (ort, _) = OnnxTestKit.Run(session, "input_ids", ids.Select(i => (long)i).ToArray(), [2, 6]);
        OnnxTestKit.AssertClose(ort, OnnxTestKit.OrthoLogits(gpt, ids, 2, 6), "onnx_series:3 GPT logits");
    }
}
