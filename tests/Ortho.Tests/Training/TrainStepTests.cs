using Ortho;
using Ortho.NN;
using Ortho.Optim;
using Ortho.Training;
using Xunit;

namespace Ortho.Tests.Training;

public class TrainStepTests
{
    /// <summary>A one-weight-row model whose loss sum(sqrt(w)) has gradient 1/(2 sqrt(w)): infinite at w = 0, NaN loss for w &lt; 0.</summary>
    private static (Linear Model, TrainStep Step, Func<Tensor> Loss) Sqrt(float w0, float w1, float clip = 0f)
    {
        var model = new Linear(2, 1, bias: false, rng: new Rng(0));
        model.Weight[0, 0] = w0;
        model.Weight[0, 1] = w1;
        var step = new TrainStep(model, new Sgd(model.Parameters(), lr: 0.1f), clip);
        return (model, step, () => model.Weight.Sqrt().Sum());
    }

    [Fact]
    public void StepReturnsLossAndNormBeforeClippingAndUpdates()
    {
        var (model, step, loss) = Sqrt(4f, 1f, clip: 0.1f);
        var (l, norm) = step.Run(0, 0.5f, loss);
        Assert.Equal(3f, l);
        Assert.Equal(MathF.Sqrt(0.25f * 0.25f + 0.5f * 0.5f), norm, 6);
        Assert.Equal(0.5f, step.Optimizer.Lr);
        // Clipped to norm 0.1, then w -= lr * g.
        float scale = 0.1f / (norm + 1e-6f);
        Assert.Equal(4f - 0.5f * 0.25f * scale, model.Weight[0, 0], 5);
        Assert.Equal(1f - 0.5f * 0.5f * scale, model.Weight[0, 1], 5);
    }

    [Fact]
    public void NonFiniteLossNamesTheStepAndWhatTheDiagnosisFound()
    {
        var (model, step, loss) = Sqrt(-1f, 1f);
        var e = Assert.Throws<NonFiniteLossException>(() => step.Run(7, 0.1f, loss, () => "layer.act"));
        Assert.Equal(7, e.Step);
        Assert.Equal("layer.act", e.Module);
        Assert.Equal(NonFiniteKind.Loss, e.Kind);
        Assert.Equal("The loss became NaN at step 7; first non-finite output: layer.act. Nothing of step 7 reached the weights.", e.Message);
        Assert.Contains("(none found: the loss itself)", Assert.Throws<NonFiniteLossException>(() => step.Run(8, 0.1f, loss)).Message);
        Assert.Equal(new[] { -1f, 1f }, model.Weight.ToArray());
    }

    [Fact]
    public void NonFiniteGradientStopsBeforeTheUpdateAndNamesTheParameter()
    {
        var (model, step, loss) = Sqrt(0f, 1f, clip: 1f);
        var e = Assert.Throws<NonFiniteLossException>(() => step.Run(3, 0.1f, loss));
        Assert.Equal(3, e.Step);
        Assert.Equal("gradient of weight", e.Module);
        Assert.Equal(NonFiniteKind.Gradient, e.Kind);
        Assert.StartsWith("A gradient became non-finite at step 3", e.Message);
        Assert.Equal(new[] { 0f, 1f }, model.Weight.ToArray()); // neither clipped into NaN nor updated
        Assert.Equal(0, step.Optimizer.StepCount);
    }

    /// <summary>A finite gradient whose update overflows (here an infinite learning rate): the step says the weights became non-finite.</summary>
    [Fact]
    public void WeightsThatOverflowInTheUpdateAreReported()
    {
        var (model, step, loss) = Sqrt(4f, 1f);
        var e = Assert.Throws<NonFiniteLossException>(() => step.Run(2, float.PositiveInfinity, loss));
        Assert.Equal(NonFiniteKind.Weights, e.Kind);
        Assert.Equal("weight", e.Module);
        Assert.StartsWith("The weights became non-finite after the update of step 2 (loss 3): weight.", e.Message);
    }

    [Fact]
    public void NegativeClipIsRejected()
    {
        var model = new Linear(2, 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TrainStep(model, new Sgd(model.Parameters(), 0.1f), -1f));
        Assert.Contains("clip", e.Message);
    }
}
