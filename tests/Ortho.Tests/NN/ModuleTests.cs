using Ortho;
using Ortho.NN;
using Ortho.Optim;
using Xunit;

namespace Ortho.Tests.NN;

public class ModuleTests
{
    private sealed class Mlp : UnaryModule
    {
        public Mlp(int hidden, Rng rng)
        {
            Layers = RegisterModule("layers", new Sequential(new Linear(2, hidden, rng: rng), new Gelu(), new Linear(hidden, 1, rng: rng)));
            Norm = RegisterModule("norm", new ModuleList<Linear>([new Linear(1, 1, rng: rng)]));
        }
        public Sequential Layers { get; }
        public ModuleList<Linear> Norm { get; }
        protected override Tensor ForwardCore(Tensor x) => Norm[0].Forward(Layers.Forward(x));
    }

    [Fact]
    public void StateDictKeysFollowPyTorchNaming()
    {
        var m = new Mlp(4, new Rng(0));
        Assert.Equal(new[] { "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "norm.0.weight", "norm.0.bias" },
            m.StateDict().Keys.ToArray());
        Assert.Equal(4 * 2 + 4 + 4 + 1 + 1 + 1, m.ParameterCount());
    }

    [Fact]
    public void LoadStateDictCopiesValuesAndListsEveryProblem()
    {
        var a = new Mlp(4, new Rng(1));
        var b = new Mlp(4, new Rng(2));
        b.LoadStateDict(a.StateDict());
        Assert.Equal(a.StateDict()["layers.0.weight"].ToArray(), b.StateDict()["layers.0.weight"].ToArray());

        var bad = a.StateDict();
        bad.Remove("layers.0.bias");
        bad["extra.weight"] = Tensor.Ones(1);
        bad["layers.2.weight"] = Tensor.Ones(3, 3);
        var e = Assert.Throws<StateDictException>(() => b.LoadStateDict(bad));
        Assert.Contains("layers.0.bias", e.Message);
        Assert.Contains("extra.weight", e.Message);
        Assert.Contains("layers.2.weight", e.Message);
        Assert.Single(e.MissingKeys);
        Assert.Single(e.UnexpectedKeys);
        Assert.Single(e.ShapeMismatches);
    }

    [Fact]
    public void TrainEvalPropagates()
    {
        var m = new Mlp(4, new Rng(1));
        m.Eval();
        Assert.All(m.NamedModules(), x => Assert.False(x.Module.Training));
        m.Train();
        Assert.All(m.NamedModules(), x => Assert.True(x.Module.Training));
    }

    /// <summary>End to end: a 2-layer MLP learns y = sin(x0) * x1 on a fixed sample.</summary>
    [Fact]
    public void TwoLayerMlpLearnsASmoothFunction()
    {
        var rng = new Rng(123);
        var x = Tensor.Uniform(rng, [256, 2], -2f, 2f).Keep();
        var yData = new float[256];
        for (int i = 0; i < 256; i++) yData[i] = MathF.Sin(x[i, 0]) * x[i, 1];
        var y = Tensor.FromArray(yData, 256, 1);
        var model = new Sequential(new Linear(2, 32, rng: rng), new Tanh(), new Linear(32, 1, rng: rng));
        var opt = new AdamW(model.Parameters(), lr: 1e-2f, weightDecay: 0f);
        float first = 0, last = 0;
        for (int step = 0; step < 300; step++)
        {
            using var scope = Tensor.Scope();
            var d = model.Forward(x) - y;
            var loss = (d * d).Mean();
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(first > 0.5f, $"initial loss {first}");
        Assert.True(last < 0.02f, $"loss after 300 steps is {last} (initial {first}); expected < 0.02");
    }
}
