using System.Text.Json;
using Ortho;
using Ortho.NN;
using Ortho.Optim;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Optim;

public class OptimizerTests
{
    public static TheoryData<string, int> AdamWCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in Fixtures.Files("*.json"))
        {
            using var doc = Fixtures.Load(file);
            if (!doc.RootElement.TryGetProperty("ops", out var ops)) continue;
            int i = 0;
            foreach (var op in ops.EnumerateArray())
            {
                if (op.GetProperty("name").GetString()!.StartsWith("adamw", StringComparison.Ordinal)) data.Add(Path.GetFileName(file), i);
                i++;
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AdamWCases))]
    public void AdamWMatchesPyTorch(string file, int index)
    {
        using var doc = Fixtures.Load(Path.Combine(Fixtures.Directory, file));
        var c = doc.RootElement.GetProperty("ops")[index];
        var a = c.GetProperty("attrs");
        var p = new Parameter(Fixtures.Floats(c.GetProperty("p0")));
        var opt = new AdamW([p], lr: (float)a.GetProperty("lr").GetDouble(), beta1: (float)a.GetProperty("beta1").GetDouble(),
            beta2: (float)a.GetProperty("beta2").GetDouble(), eps: (float)a.GetProperty("eps").GetDouble(),
            weightDecay: (float)a.GetProperty("weight_decay").GetDouble());
        foreach (var g in c.GetProperty("grads").EnumerateArray())
        {
            p.Grad = Tensor.FromArray(Fixtures.Floats(g), p.Length);
            opt.Step();
        }
        Close.All(p.Data, Fixtures.Floats(c.GetProperty("p3")), "p3");
    }

    [Fact]
    public void AdamWGroupsDecayOnlyMatrices()
    {
        var model = new Linear(3, 2);
        var opt = AdamW.ForModel(model, lr: 1e-3f, weightDecay: 0.1f);
        Assert.Equal(0.1f, opt.Groups[0].WeightDecay);
        Assert.Same(model.Weight, opt.Groups[0].Parameters.Single());
        Assert.Equal(0f, opt.Groups[1].WeightDecay);
        Assert.Same(model.Bias, opt.Groups[1].Parameters.Single());
    }

    [Fact]
    public void SgdMomentumMatchesHandComputation()
    {
        var p = new Parameter([1f, -2f]);
        var opt = new Sgd([p], lr: 0.1f, momentum: 0.9f);
        p.Grad = Tensor.FromArray([1f, 1f], 2); opt.Step(); // buf = g; p -= 0.1 g
        p.Grad = Tensor.FromArray([1f, 1f], 2); opt.Step(); // buf = 0.9 + 1 = 1.9; p -= 0.19
        Close.All(p.Data, new[] { 1f - 0.1f - 0.19f, -2f - 0.1f - 0.19f }, "p");
    }

    [Fact]
    public void WarmupCosineSchedule()
    {
        var s = new WarmupCosineSchedule(1e-3f, 1e-4f, 50, 600);
        Assert.Equal(1e-3f / 50, s.At(0), 1e-9f);
        Assert.Equal(1e-3f, s.At(49), 1e-9f);
        Assert.Equal(1e-3f, s.At(50), 1e-9f);
        Assert.Equal(0.55e-3f, s.At(325), 1e-7f);
        Assert.Equal(1e-4f, s.At(600), 1e-9f);
    }

    [Fact]
    public void ClipGradNormScalesToTheLimit()
    {
        var a = new Parameter([0f, 0f]); a.Grad = Tensor.FromArray([3f, 0f], 2);
        var b = new Parameter([0f]); b.Grad = Tensor.FromArray([4f], 1);
        float norm = GradClip.ClipGradNorm([a, b], 1f);
        Assert.Equal(5f, norm, 1e-5f);
        Close.All(a.Grad.Data, new[] { 0.6f, 0f }, "a", atol: 1e-5);
        Close.All(b.Grad.Data, new[] { 0.8f }, "b", atol: 1e-5);
    }
}

public class OptimizerFreezeTests
{
    [Fact]
    public void AdamWLeavesFrozenParametersAloneAndCountsStepsPerParameter()
    {
        var a = new Parameter([1f, 2f]);
        var b = new Parameter([3f]);
        var opt = new AdamW([a, b], lr: 0.1f, weightDecay: 0.5f);
        a.Grad = Tensor.FromArray([1f, 1f], 2); b.Grad = Tensor.FromArray([1f], 1);
        b.RequiresGrad = false;
        opt.Step();
        Assert.Equal(3f, b.Data[0]);
        Assert.NotEqual(1f, a.Data[0]);
        var steps = opt.State().Single(s => s.Name == "step").Value.ToArray();
        Assert.Equal(new[] { 1f, 0f }, steps);
    }
}
