using Ortho;
using Ortho.Training;
using Xunit;
using Xunit.Abstractions;

namespace Ortho.Tests.Training;

[Collection("pool")]
public class AllocationTests(ITestOutputHelper output)
{
    /// <summary>
    /// After warm-up the trainer's step (the task's batch, then the guarded <see cref="TrainStep"/>: loss and gradient
    /// checks, clip, AdamW) takes all tensor storage from the pool: the pool allocates nothing, and the managed
    /// allocations left are bookkeeping objects (tensor headers, tape nodes, closures), bounded per step.
    /// </summary>
    [Theory]
    [InlineData("gelu")]
    [InlineData("hermite:3")]
    [InlineData("fourier:5")]
    [InlineData("tropical:5")]
    public void SteadyStateGptStepAllocatesNoTensorStorage(string activation)
    {
        var recipe = new LmRecipe
        {
            Train = LmRecipe.DefaultTrain with { Batch = 4 }, Block = 32, Layers = 2, Heads = 2, Embd = 64, Activation = activation,
        };
        var rng = new Rng(1);
        var corpus = new byte[4096];
        for (int i = 0; i < corpus.Length; i++) corpus[i] = (byte)rng.NextInt(256);
        var task = new LmTask(recipe, corpus, corpus);
        var train = TrainStep.ForTask(task);
        Assert.Equal(1f, train.Clip); // the clipping path
        Func<Tensor> loss = task.Loss;
        int n = 0;
        void Step()
        {
            task.NextBatch();
            train.Run(n++, recipe.Train.Lr, loss);
        }
        int saved = EngineSettings.Threads;
        EngineSettings.Threads = 1; // per-thread allocation counters see everything on one thread
        try
        {
            for (int i = 0; i < 3; i++) Step();
            long pool = TensorPool.Allocated;
            long before = GC.GetAllocatedBytesForCurrentThread();
            const int steps = 5;
            for (int i = 0; i < steps; i++) Step();
            long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / steps;
            output.WriteLine($"{activation}: {perStep} managed bytes per step; pool allocations {TensorPool.Allocated - pool}");
            Assert.Equal(pool, TensorPool.Allocated);
            // Bookkeeping only: the step's activations alone are ~1.5 MB of floats, so this bound excludes any storage.
            Assert.True(perStep < 64 * 1024, $"{perStep} bytes allocated per step (bound 64 KiB)");
        }
        finally { EngineSettings.Threads = saved; }
    }
}
