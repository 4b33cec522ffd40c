using Ortho;
using Ortho.Training;
using Xunit;
using Xunit.Abstractions;

namespace Ortho.Tests.Training;

[Collection("pool")]
public class AllocationTests(ITestOutputHelper output)
{
    /// <summary>The tests' small GPT (B4 x T32, 2 layers x 64 dims).</summary>
    internal static LmRecipe Small(string activation) => new()
    {
        Train = LmRecipe.DefaultTrain with { Batch = 4 }, Block = 32, Layers = 2, Heads = 2, Embd = 64, Activation = activation,
    };

    /// <summary>
    /// A larger GPT: B4 x T128 (two 64-token attention tiles), 4 layers x 128 dims, 4 heads, the default recipe's
    /// model at a quarter of its batch, over 10 MB of activations per step.
    /// </summary>
    internal static LmRecipe Larger(string activation) => new()
    {
        Train = LmRecipe.DefaultTrain with { Batch = 4 }, Block = 128, Layers = 4, Heads = 4, Embd = 128, Activation = activation,
    };

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
    public void SteadyStateGptStepAllocatesNoTensorStorage(string activation) => SteadyState(Small(activation), threads: 1);

    /// <summary>The same at the larger model, on one thread and on two (kernels split over worker threads).</summary>
    [Theory]
    [InlineData("gelu", 1)]
    [InlineData("gelu", 2)]
    [InlineData("hermite:3", 2)]
    [InlineData("fourier:5", 2)]
    [InlineData("tropical:5", 2)]
    public void SteadyStateStepOfALargerGptAllocatesNoTensorStorage(string activation, int threads) => SteadyState(Larger(activation), threads);

    private void SteadyState(LmRecipe recipe, int threads)
    {
        var (step, train) = Stepper(recipe);
        Assert.Equal(1f, train.Clip); // the clipping path
        int saved = EngineSettings.Threads;
        // One thread: the per-thread allocation counter sees everything. Two: it sees the calling thread's share.
        EngineSettings.Threads = threads;
        try
        {
            for (int i = 0; i < 3; i++) step();
            long pool = TensorPool.Allocated;
            long before = GC.GetAllocatedBytesForCurrentThread();
            const int steps = 5;
            for (int i = 0; i < steps; i++) step();
            long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / steps;
            output.WriteLine($"{recipe.Activation}, {recipe.Layers} x {recipe.Embd}, B{recipe.Train.Batch} x T{recipe.Block}, {threads} thread(s): " +
                $"{perStep} managed bytes per step; pool allocations {TensorPool.Allocated - pool}");
            Assert.Equal(pool, TensorPool.Allocated);
            // Bookkeeping only: the step's activations alone are over 1.5 MB of floats, so this bound excludes any storage.
            // On two threads each parallel kernel call adds Parallel.For's task objects (about 70 KB per step here).
            int bound = threads == 1 ? 64 * 1024 : 256 * 1024;
            Assert.True(perStep < bound, $"{perStep} bytes allocated per step (bound {bound / 1024} KiB)");
        }
        finally { EngineSettings.Threads = saved; }
    }

    /// <summary>The trainer's step on random bytes: draw a batch, run the guarded step.</summary>
    internal static (Action Step, TrainStep Train) Stepper(LmRecipe recipe)
    {
        var rng = new Rng(1);
        var corpus = new byte[16384];
        for (int i = 0; i < corpus.Length; i++) corpus[i] = (byte)rng.NextInt(256);
        var task = new LmTask(recipe, corpus, corpus);
        var train = TrainStep.ForTask(task);
        Func<Tensor> loss = task.Loss;
        int n = 0;
        return (() =>
        {
            task.NextBatch();
            train.Run(n++, recipe.Train.Lr, loss);
        }, train);
    }
}
