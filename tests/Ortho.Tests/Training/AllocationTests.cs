using Ortho;
using Ortho.Models;
using Ortho.Optim;
using Xunit;
using Xunit.Abstractions;

namespace Ortho.Tests.Training;

[Collection("pool")]
public class AllocationTests(ITestOutputHelper output)
{
    /// <summary>
    /// After warm-up a GPT training step takes all tensor storage from the pool: the pool allocates nothing, and the
    /// managed allocations left are bookkeeping objects (tensor headers, tape nodes, closures), bounded per step.
    /// </summary>
    [Theory]
    [InlineData("gelu")]
    [InlineData("hermite:3")]
    [InlineData("fourier:5")]
    [InlineData("tropical:5")]
    public void SteadyStateGptStepAllocatesNoTensorStorage(string activation)
    {
        const int B = 4, T = 32;
        var model = new Gpt(new GptConfig(256, T, 2, 2, 64, activation), new Rng(0));
        var opt = AdamW.ForModel(model, 1e-3f, 0.1f);
        var rng = new Rng(1);
        var x = new int[B * T]; var y = new int[B * T];
        for (int i = 0; i < x.Length; i++) { x[i] = rng.NextInt(256); y[i] = rng.NextInt(256); }
        void Step()
        {
            using (Tensor.Scope())
            {
                var loss = model.Loss(x, y, B, T);
                opt.ZeroGrad();
                loss.Backward();
            }
            GradClip.ClipGradNorm(model.Parameters(), 1f);
            opt.Step();
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
