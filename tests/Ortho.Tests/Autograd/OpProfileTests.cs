using System.Diagnostics;
using Ortho;
using Ortho.Autograd;
using Ortho.Training;
using Ortho.Tests.Training;
using Xunit;
using Xunit.Abstractions;

namespace Ortho.Tests.Autograd;

[Collection("pool")]
public class OpProfileTests(ITestOutputHelper output)
{
    /// <summary>
    /// The profile of trainer steps: the rows add up to the steps' wall time as a stopwatch around them measures it,
    /// every family of a GPT step shows up in its phase, the tape's own bookkeeping is a small part, and the matrix
    /// FLOPs counted are exactly those of the model's shapes.
    /// </summary>
    [Fact]
    public void ProfileOfGptStepsSumsToTheirTimeAndCountsTheirFlops()
    {
        var recipe = AllocationTests.Larger("hermite:3");
        var (step, _) = AllocationTests.Stepper(recipe);
        int saved = EngineSettings.Threads;
        EngineSettings.Threads = 1;
        try
        {
            step();
            using var profile = OpProfile.Start();
            const int steps = 3;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++)
            {
                profile.BeginStep();
                step();
                profile.EndStep();
            }
            double wall = sw.Elapsed.TotalSeconds;
            Assert.Equal(steps, profile.Steps);
            double rows = profile.Rows.Sum(r => r.Seconds);
            output.WriteLine($"wall {wall * 1e3:F1} ms, profiled steps {profile.StepSeconds * 1e3:F1} ms, rows {rows * 1e3:F1} ms");
            Assert.Equal(profile.StepSeconds, rows, 1e-9);
            Assert.InRange(rows, 0.9 * wall, wall);

            double Share(OpFamily f, StepPhase p) => profile.Rows.Where(r => r.Family == f && r.Phase == p).Sum(r => r.Seconds) / rows;
            foreach (var f in new[] { OpFamily.Gemm, OpFamily.Attention, OpFamily.LayerNorm, OpFamily.Activation, OpFamily.CrossEntropy, OpFamily.Embedding })
                foreach (var p in new[] { StepPhase.Forward, StepPhase.Backward })
                    Assert.True(Share(f, p) > 0, $"no time charged to {f} {p}");
            Assert.True(Share(OpFamily.Optimizer, StepPhase.Update) > 0, "no time charged to the optimizer");
            Assert.True(Share(OpFamily.Gemm, StepPhase.Forward) + Share(OpFamily.Gemm, StepPhase.Backward) > 0.2, "GEMMs take under 20% of a GPT step");
            Assert.True(profile.Rows.Where(r => r.Family == OpFamily.Other).Sum(r => r.Seconds) / rows < 0.2, "bookkeeping takes over 20% of the step");
            Assert.Equal(steps, profile.Rows.Single(r => r.Label == "adamw").Calls);

            // Linear layers: 2 FLOPs per multiply-add, the backward's dx and dW twice the forward; attention over the
            // causal half of T x T, its backward 2.5 times the forward (scores recomputed).
            double n = recipe.Train.Batch * recipe.Block, c = recipe.Embd, t = recipe.Block, layers = recipe.Layers, vocab = 256;
            double linear = layers * 2 * n * 12 * c * c + 2 * n * c * vocab;
            double attention = layers * 2 * recipe.Train.Batch * c * t * (t + 1);
            Assert.Equal(3 * linear + 3.5 * attention, profile.FlopsPerStep, 1e-6);
        }
        finally { EngineSettings.Threads = saved; }
    }

    /// <summary>
    /// Profiling allocates nothing per step once its rows exist, and leaves nothing behind: the steady-state step's
    /// managed allocations are the same before, during and after a profile, and the pool allocates no storage.
    /// </summary>
    [Fact]
    public void ProfilingOnOrOffAllocatesNothingPerStep()
    {
        var (step, _) = AllocationTests.Stepper(AllocationTests.Small("gelu"));
        int saved = EngineSettings.Threads;
        EngineSettings.Threads = 1; // the per-thread counter sees everything
        try
        {
            const int steps = 4;
            long PerStep(OpProfile? p)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < steps; i++)
                {
                    p?.BeginStep();
                    step();
                    p?.EndStep();
                }
                return (GC.GetAllocatedBytesForCurrentThread() - before) / steps;
            }
            // The least of two windows each: a one-time allocation elsewhere in the runtime (a shared pool trimmed by a
            // garbage collection that another test's work set off) lands in one window, an allocation per step in both.
            long Least(OpProfile? p) => Math.Min(PerStep(p), PerStep(p));
            for (int i = 0; i < 3; i++) step();
            long pool = TensorPool.Allocated;
            long off = Least(null);
            long on;
            using (var profile = OpProfile.Start())
            {
                PerStep(profile); // creates the rows
                on = Least(profile);
            }
            long offAgain = Least(null);
            output.WriteLine($"managed bytes per step: off {off}, on {on}, off again {offAgain}");
            Assert.Equal(pool, TensorPool.Allocated);
            Assert.InRange(on, off - 64, off + 64);
            Assert.InRange(offAgain, off - 64, off + 64);
        }
        finally { EngineSettings.Threads = saved; }
    }

    [Fact]
    public void OneProfilePerThreadAndNoneAfterDispose()
    {
        Assert.Null(OpProfile.Current);
        using (var p = OpProfile.Start())
        {
            Assert.Same(p, OpProfile.Current);
            Assert.Throws<InvalidOperationException>(() => OpProfile.Start());
            Assert.Throws<InvalidOperationException>(p.EndStep);
        }
        Assert.Null(OpProfile.Current);
    }

    /// <summary>Ops outside BeginStep/EndStep are not charged, and a node recorded before the profile still back-propagates.</summary>
    [Fact]
    public void OnlyStepsAreChargedAndEarlierGraphsStillBackpropagate()
    {
        var x = Tensor.FromArray([1f, 2f, 3f], 3);
        x.RequiresGrad = true;
        var before = (x * x).Sum();
        using var p = OpProfile.Start();
        var outside = (x * 2f).Sum();
        Assert.DoesNotContain(p.Rows, r => r.Calls > 0);
        p.BeginStep();
        before.Backward();
        p.EndStep();
        Assert.Equal(new[] { 2f, 4f, 6f }, x.Grad!.ToArray());
        Assert.Contains(p.Rows, r => r.Label == "backward of ops recorded before the profile" && r.Calls > 0);
        Assert.Equal(1, p.Steps);
        GC.KeepAlive(outside);
    }
}
