using System.Text.Json;
using Ortho;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Ops;

/// <summary>
/// Every case of every fixture file with an "ops" array, run through the public Tensor/Functional API:
/// forward output and the gradients of sum(y * dy) for every input, against PyTorch's numbers.
/// </summary>
public class OpsFixtureTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in Fixtures.Files("*.json"))
        {
            using var doc = Fixtures.Load(file);
            if (!doc.RootElement.TryGetProperty("ops", out var ops)) continue;
            foreach (var op in ops.EnumerateArray())
                if (op.TryGetProperty("inputs", out _)) data.Add(Path.GetFileName(file), op.GetProperty("name").GetString()!);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string file, string name)
    {
        using var doc = Fixtures.Load(Path.Combine(Fixtures.Directory, file));
        var c = doc.RootElement.GetProperty("ops").EnumerateArray().First(o => o.GetProperty("name").GetString() == name);
        var inputs = new Dictionary<string, Tensor>();
        foreach (var p in c.GetProperty("inputs").EnumerateObject())
        {
            var t = Tensor.FromArray(Fixtures.Floats(p.Value.GetProperty("data")), Fixtures.Shape(p.Value.GetProperty("shape")));
            t.RequiresGrad = true;
            inputs[p.Name] = t;
        }
        var attrs = c.GetProperty("attrs");
        var y = Apply(name, inputs, attrs);
        var yExp = c.GetProperty("y");
        Close.All(y.Data, Fixtures.Floats(yExp.ValueKind == JsonValueKind.Object ? yExp.GetProperty("data") : yExp), $"{name}.y");

        var dyE = c.GetProperty("dy");
        var dyData = Fixtures.Floats(dyE.ValueKind == JsonValueKind.Object ? dyE.GetProperty("data") : dyE);
        if (y.Length == 1) y.Backward(Tensor.Full(dyData[0], y.Shape));
        else y.Backward(Tensor.FromArray(dyData, y.Shape));
        foreach (var g in c.GetProperty("grads").EnumerateObject())
        {
            var expected = Fixtures.Floats(g.Value.ValueKind == JsonValueKind.Object ? g.Value.GetProperty("data") : g.Value);
            var grad = inputs[g.Name].Grad ?? throw new Xunit.Sdk.XunitException($"{name}: no gradient reached input '{g.Name}'");
            Close.All(grad.Data, expected, $"{name}.grad[{g.Name}]");
        }
    }

    private static Tensor Apply(string name, Dictionary<string, Tensor> x, JsonElement attrs) => name switch
    {
        "linear" => Functional.Linear(x["x"], x["w"], x["b"]),
        "gelu_erf" => x["x"].Gelu(),
        "gelu_tanh" => x["x"].GeluTanh(),
        "silu" => x["x"].Silu(),
        "causal_attention" => Functional.CausalAttention(x["q"], x["k"], x["v"]),
        "layer_norm" => Functional.LayerNorm(x["x"], x["w"], x["b"], (float)attrs.GetProperty("eps").GetDouble()),
        "cross_entropy_mean" => Functional.CrossEntropy(x["logits"], attrs.GetProperty("targets").EnumerateArray().Select(e => e.GetInt32()).ToArray()),
        _ when name.StartsWith("conv2d", StringComparison.Ordinal) => Conv(x["x"], x["w"], x.GetValueOrDefault("b"), attrs),
        "embedding" => Embed(x["table"], attrs.GetProperty("indices")),
        _ => throw new NotSupportedException($"Fixture op '{name}' has no mapping in OpsFixtureTests.Apply: add one."),
    };

    /// <summary>
    /// NCHW fixture convs through the channels-last fast paths the models use (permuted in and out, so grads flow to
    /// NCHW); other geometries through the general NCHW kernel.
    /// </summary>
    private static Tensor Conv(Tensor x, Tensor w, Tensor? b, JsonElement attrs)
    {
        int stride = attrs.GetProperty("stride").GetInt32(), pad = attrs.GetProperty("padding").GetInt32(), groups = attrs.GetProperty("groups").GetInt32();
        int k = w.Size(2);
        var nhwc = x.Permute(0, 2, 3, 1);
        Tensor y;
        if (groups == 1 && stride == k && pad == 0) y = Functional.PatchConvNhwc(nhwc, w, b, k);
        else if (groups == x.Size(1) && k == 7 && pad == 3 && stride == 1) y = Functional.DepthwiseConv7Nhwc(nhwc, w, b);
        else return Functional.Conv2d(x, w, b, stride, pad, groups);
        return y.Permute(0, 3, 1, 2);
    }

    private static Tensor Embed(Tensor table, JsonElement indices)
    {
        var rows = indices.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        return Functional.Embedding(table, rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length);
    }
}
