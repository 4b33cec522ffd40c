using Ortho;
using Ortho.Activations;
using Ortho.NN;
using Ortho.Optim;
using Xunit;

namespace Ortho.Tests;

/// <summary>The README's library example, verbatim but for the assertions: it must keep compiling and learning.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void HermiteMlpExampleLearnsAndMovesItsCoefficients()
    {
        var rng = new Rng(42);
        var x = Tensor.Uniform(rng, [256, 2], -2f, 2f);
        var y = Tensor.FromArray(Enumerable.Range(0, 256).Select(i => MathF.Sin(x[i, 0]) * x[i, 1]).ToArray(), 256, 1);
        var act = new HermiteActivation(degree: 3);
        var model = new Sequential(new Linear(2, 32, rng: rng), act, new Linear(32, 1, rng: rng));
        var opt = AdamW.ForModel(model, lr: 1e-2f, weightDecay: 0f);
        var initial = act.Coefficients.ToArray();
        float first = 0, last = 0;
        for (int step = 0; step < 200; step++)
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
        Assert.True(last < 0.2f * first, $"loss {first} -> {last}");
        Assert.NotEqual(initial, act.Coefficients.ToArray());
    }
}
