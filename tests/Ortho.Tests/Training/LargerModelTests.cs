using Ortho;
using Ortho.Models;
using Ortho.Training;
using Xunit;
using Xunit.Abstractions;

namespace Ortho.Tests.Training;

/// <summary>What the small test model has must hold at larger sizes: the same numbers on any thread count, memory linear in T.</summary>
[Collection("pool")]
public class LargerModelTests(ITestOutputHelper output)
{
    /// <summary>
    /// Three trainer steps of the larger GPT (<see cref="AllocationTests.Larger"/>) on one thread and on two give
    /// bit-identical losses, gradient norms and weights: every kernel's split over threads reduces in a fixed order.
    /// </summary>
    [Theory]
    [InlineData("gelu")]
    [InlineData("hermite:3")]
    [InlineData("fourier:5")]
    [InlineData("tropical:5")]
    public void TrainingIsBitIdenticalOnOneAndTwoThreads(string activation)
    {
        var recipe = AllocationTests.Larger(activation);
        var one = Train(recipe, 1);
        var two = Train(recipe, 2);
        Assert.Equal(one.Losses, two.Losses);
        Assert.Equal(one.Norms, two.Norms);
        Assert.Equal(one.Weights.Count, two.Weights.Count);
        foreach (var (name, w) in one.Weights)
            Assert.True(w.AsSpan().SequenceEqual(two.Weights[name]), $"{name} differs between 1 and 2 threads after 3 steps");
        output.WriteLine($"{activation}: losses {string.Join(", ", one.Losses)}");
    }

    private static (float[] Losses, float[] Norms, Dictionary<string, float[]> Weights) Train(LmRecipe recipe, int threads)
    {
        int saved = EngineSettings.Threads;
        EngineSettings.Threads = threads;
        try
        {
            var rng = new Rng(5);
            var corpus = new byte[16384];
            for (int i = 0; i < corpus.Length; i++) corpus[i] = (byte)rng.NextInt(256);
            var task = new LmTask(recipe, corpus, corpus);
            var step = TrainStep.ForTask(task);
            const int steps = 3;
            var losses = new float[steps];
            var norms = new float[steps];
            for (int i = 0; i < steps; i++)
            {
                task.NextBatch();
                (losses[i], norms[i]) = step.Run(i + 1, recipe.Train.Lr, task.Loss);
            }
            return (losses, norms, task.Model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray()));
        }
        finally { EngineSettings.Threads = saved; }
    }

    /// <summary>
    /// The peak of live tensor storage in a training step grows linearly with the sequence length: from T = 256 to
    /// T = 1024 it grows about 4x (activations, logits), where a T x T score matrix per head would make it grow 16x
    /// (at T = 1024 such matrices alone would be 4 heads x 4 MB, several times the rest).
    /// </summary>
    [Fact]
    public void StepMemoryIsLinearInTheSequenceLength()
    {
        long Peak(int t)
        {
            var model = new Gpt(new GptConfig(256, t, 1, 4, 64), new Rng(1));
            var step = new TrainStep(model, LmRecipe.DefaultTrain.CreateOptimizer(model), 1f);
            var rng = new Rng(2);
            var x = new int[t];
            var y = new int[t];
            for (int i = 0; i < t; i++) { x[i] = rng.NextInt(256); y[i] = rng.NextInt(256); }
            step.Run(1, 1e-3f, () => model.Loss(x, y, 1, t)); // the pool holds every size the step needs from here on
            TensorPool.ResetPeak();
            long before = TensorPool.LiveBytes;
            step.Run(2, 1e-3f, () => model.Loss(x, y, 1, t));
            return TensorPool.PeakBytes - before;
        }
        long p256 = Peak(256), p1024 = Peak(1024);
        double ratio = (double)p1024 / p256;
        output.WriteLine($"peak step storage: T=256 {p256 / 1024} KiB, T=1024 {p1024 / 1024} KiB, ratio {ratio:F2}");
        Assert.InRange(ratio, 3, 6);
    }
}
