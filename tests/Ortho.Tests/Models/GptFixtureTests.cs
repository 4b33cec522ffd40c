using System.Text.Json;
using Ortho;
using Ortho.Activations;
using Ortho.IO;
using Ortho.Kernels.Simd;
using Ortho.Models;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Models;

/// <summary>Every gpt-tiny-*.json in the fixture directory: load PyTorch's weights, reproduce loss, logits and gradients.</summary>
public class GptFixtureTests
{
    public static TheoryData<string> Cases()
    {
        var d = new TheoryData<string>();
        foreach (var f in Fixtures.Files("gpt-tiny-*.json")) d.Add(Path.GetFileName(f));
        return d;
    }

    private static (Gpt Model, JsonDocument Doc) Load(string file)
    {
        var doc = Fixtures.Load(Path.Combine(Fixtures.Directory, file));
        var c = doc.RootElement.GetProperty("config");
        var act = ActivationSpec.Parse(c.GetProperty("activation").GetString()!).ToString();
        var cfg = new GptConfig(c.GetProperty("vocab").GetInt32(), c.GetProperty("block").GetInt32(), c.GetProperty("n_layer").GetInt32(),
            c.GetProperty("n_head").GetInt32(), c.GetProperty("n_embd").GetInt32(), act);
        var model = new Gpt(cfg, new Rng(0));
        StateDictFile.LoadInto(model, Path.Combine(Fixtures.Directory, c.GetProperty("weights").GetString()!)); // strict keys
        return (model, doc);
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().SelectMany(r => r.ValueKind == JsonValueKind.Array ? r.EnumerateArray() : new[] { r }.AsEnumerable()).Select(v => v.GetInt32()).ToArray();

    /// <summary>Every fixture at every width this machine runs (the whole network: activations, GEMM, attention, norms).</summary>
    public static TheoryData<string, int> CasesByWidth()
    {
        var d = new TheoryData<string, int>();
        foreach (var f in Fixtures.Files("gpt-tiny-*.json"))
            foreach (var w in SimdDispatch.Available) d.Add(Path.GetFileName(f), (int)w);
        return d;
    }

    [Theory]
    [MemberData(nameof(CasesByWidth))]
    public void ReproducesPyTorchLossLogitsAndGradients(string file, int simdWidth)
    {
        using var width = SimdDispatch.Force((SimdWidth)simdWidth);
        var (model, doc) = Load(file);
        using var _ = doc;
        var root = doc.RootElement;
        var idx = Ints(root.GetProperty("idx"));
        var targets = Ints(root.GetProperty("targets"));
        int batch = root.GetProperty("idx").GetArrayLength();
        int tokens = idx.Length / batch;
        var logits = model.Forward(idx, batch, tokens);
        // Looser than the op tolerance: the whole network's float32 rounding accumulates (atol 1e-4 + rtol 1e-3 for whole models).
        Close.All(logits.Data[..model.Config.Vocab], Fixtures.Floats(root.GetProperty("logits_first_row")), "logits[0]", 1e-4, 1e-3);
        var loss = Functional.CrossEntropy(logits.Reshape(batch * tokens, model.Config.Vocab), targets);
        Close.All([loss.Item()], [(float)root.GetProperty("loss").GetDouble()], "loss", 1e-4, 1e-3);
        loss.Backward();
        var named = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var g in root.GetProperty("grads").EnumerateObject())
        {
            Assert.True(named.ContainsKey(g.Name), $"fixture gradient for unknown parameter {g.Name}");
            Close.All(named[g.Name].Grad!.Data, Fixtures.Floats(g.Value), "grad " + g.Name, 1e-4, 1e-3);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StateDictRoundTripsWithPyTorchKeys(string file)
    {
        var (model, doc) = Load(file);
        doc.Dispose();
        var peer = SafeTensorsFile.Read(Path.Combine(Fixtures.Directory, Fixtures.Load(Path.Combine(Fixtures.Directory, file)).RootElement.GetProperty("config").GetProperty("weights").GetString()!));
        Assert.Equal(peer.Names.OrderBy(n => n, StringComparer.Ordinal), model.StateDict().Keys.OrderBy(n => n, StringComparer.Ordinal));
        var path = Path.Combine(Path.GetTempPath(), $"ortho-gpt-{Guid.NewGuid():N}.safetensors");
        try
        {
            StateDictFile.Save(model, path);
            var ours = SafeTensorsFile.Read(path);
            foreach (var e in peer.Entries)
            {
                var o = ours[e.Name];
                Assert.Equal(e.Dtype, o.Dtype); // I64 buffers stay I64, so the PyTorch peer loads ours with strict keys
                Assert.Equal(e.Shape, o.Shape);
                Assert.Equal(e.Data.ToArray(), o.Data.ToArray());
            }
        }
        finally { File.Delete(path); }
    }
}

public class GptTiedHeadTests
{
    [Fact]
    public void LoadsStateDictsThatNameTheTiedHeadEitherWay()
    {
        var src = new Gpt(new GptConfig(32, 8, 1, 2, 16, "gelu"), new Rng(1));
        var dst = new Gpt(new GptConfig(32, 8, 1, 2, 16, "gelu"), new Rng(2));
        var sd = src.StateDict();
        // PyTorch's state_dict(): both names.
        var both = new Dictionary<string, Tensor>(sd) { ["lm_head.weight"] = sd["transformer.wte.weight"] };
        dst.LoadStateDict(both);
        Assert.Equal(sd["transformer.wte.weight"].ToArray(), dst.StateDict()["transformer.wte.weight"].ToArray());
        // safetensors' save_model may keep only lm_head.weight.
        var headOnly = new Dictionary<string, Tensor>(sd);
        headOnly["lm_head.weight"] = headOnly["transformer.wte.weight"];
        headOnly.Remove("transformer.wte.weight");
        new Gpt(new GptConfig(32, 8, 1, 2, 16, "gelu"), new Rng(3)).LoadStateDict(headOnly);
        // A head that differs from the embedding cannot be tied.
        var bad = new Dictionary<string, Tensor>(sd) { ["lm_head.weight"] = Tensor.Zeros(32, 16) };
        Assert.Throws<Ortho.NN.StateDictException>(() => dst.LoadStateDict(bad));
    }
}
