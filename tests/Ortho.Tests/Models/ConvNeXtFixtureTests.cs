using System.Text.Json;
using Ortho;
using Ortho.Activations;
using Ortho.IO;
using Ortho.Models;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Models;

/// <summary>Every convnext-tiny-*.json in the fixture directory: load PyTorch's weights, reproduce loss, logits and gradients.</summary>
public class ConvNeXtFixtureTests
{
    public static TheoryData<string> Cases()
    {
        var d = new TheoryData<string>();
        foreach (var f in Fixtures.Files("convnext-tiny-*.json")) d.Add(Path.GetFileName(f));
        return d;
    }

    private static (ConvNeXt Model, JsonDocument Doc, string Weights) Load(string file)
    {
        var doc = Fixtures.Load(Path.Combine(Fixtures.Directory, file));
        var c = doc.RootElement.GetProperty("config");
        var act = ActivationSpec.Parse(c.GetProperty("activation").GetString()!).ToString();
        var shape = Fixtures.Shape(doc.RootElement.GetProperty("image_shape"));
        var cfg = new ConvNeXtConfig(c.GetProperty("in_chans").GetInt32(), c.GetProperty("classes").GetInt32(),
            Fixtures.Shape(c.GetProperty("depths")), Fixtures.Shape(c.GetProperty("dims")), c.GetProperty("stem").GetInt32(), act, shape[2]);
        var model = new ConvNeXt(cfg, new Rng(0));
        var weights = Path.Combine(Fixtures.Directory, c.GetProperty("weights").GetString()!);
        StateDictFile.LoadInto(model, weights); // strict keys
        return (model, doc, weights);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReproducesPyTorchLossLogitsAndGradients(string file)
    {
        var (model, doc, _) = Load(file);
        using var _ = doc;
        var root = doc.RootElement;
        var shape = Fixtures.Shape(root.GetProperty("image_shape"));
        var images = Tensor.FromArray(Fixtures.Floats(root.GetProperty("images")), shape);
        var labels = Fixtures.Shape(root.GetProperty("labels"));
        var logits = model.Forward(images);
        int classes = model.Config.Classes;
        // The whole network's float32 rounding accumulates: atol 1e-4 + rtol 1e-3 for models.
        Close.All(logits.Data[..classes], Fixtures.Floats(root.GetProperty("logits_first_row")), "logits[0]", 1e-4, 1e-3);
        var loss = Functional.CrossEntropy(logits, labels);
        Close.All([loss.Item()], [(float)root.GetProperty("loss").GetDouble()], "loss", 1e-4, 1e-3);
        loss.Backward();
        var named = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        int checkedGrads = 0;
        foreach (var g in root.GetProperty("grads").EnumerateObject())
        {
            Assert.True(named.ContainsKey(g.Name), $"fixture gradient for unknown parameter {g.Name}");
            Close.All(named[g.Name].Grad!.Data, Fixtures.Floats(g.Value), "grad " + g.Name, 1e-4, 1e-3);
            checkedGrads++;
        }
        Assert.True(checkedGrads > 0, "the fixture lists no gradients");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StateDictRoundTripsWithPyTorchKeys(string file)
    {
        var (model, doc, weights) = Load(file);
        doc.Dispose();
        var peer = SafeTensorsFile.Read(weights);
        Assert.Equal(peer.Names.OrderBy(n => n, StringComparer.Ordinal), model.StateDict().Keys.OrderBy(n => n, StringComparer.Ordinal));
        var path = Path.Combine(Path.GetTempPath(), $"ortho-convnext-{Guid.NewGuid():N}.safetensors");
        try
        {
            StateDictFile.Save(model, path);
            var ours = SafeTensorsFile.Read(path);
            foreach (var e in peer.Entries)
            {
                var o = ours[e.Name];
                Assert.Equal(e.Dtype, o.Dtype);
                Assert.Equal(e.Shape, o.Shape);
                Assert.Equal(e.Data.ToArray(), o.Data.ToArray());
            }
        }
        finally { File.Delete(path); }
    }
}
