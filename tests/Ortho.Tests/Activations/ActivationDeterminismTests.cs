using Ortho.Activations;
using Ortho.Kernels;
using Xunit;
using static Ortho.Tests.Activations.ActivationTestKit;

namespace Ortho.Tests.Activations;

[CollectionDefinition("EngineSettings.Threads", DisableParallelization = true)]
public class EngineThreadsCollection;

/// <summary>Changes the process-wide thread count, so it runs alone.</summary>
[Collection("EngineSettings.Threads")]
public class ActivationDeterminismTests
{
    public static IEnumerable<object[]> Cases() =>
    [
        ["hermite:3", false], ["hermite:8", true], ["hermite:5+clamp", true],
        ["fourier:5", false], ["fourier:5", true],
        ["tropical:5", true], ["tropical:100", true],
        ["tropical_rational:3", true],
    ];

    /// <summary>
    /// Forward and backward with 1, 2 and 3 threads, bit for bit. The input (4M elements, 128 reduction blocks) is large
    /// enough for every kind's forward and backward to be cut into several parallel chunks, and the test checks that
    /// they were (and that one thread ran inline).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void ResultsAreBitIdenticalForOneTwoAndThreeThreads(string activation, bool perturb)
    {
        const int length = 1 << 22;
        var spec = ActivationSpec.Parse(activation);
        var p = Params(spec.Family, spec.Degree, 17, perturb);
        float[] x = Normal(length, 18), dy = Normal(length, 19, 1f);
        int saved = EngineSettings.Threads;
        try
        {
            var one = RunWithThreads(1, p, x, dy);
            foreach (int threads in new[] { 2, 3 })
            {
                var many = RunWithThreads(threads, p, x, dy);
                Assert.True(one.Y.AsSpan().SequenceEqual(many.Y), $"y differs between 1 and {threads} threads");
                Assert.True(one.Dx.AsSpan().SequenceEqual(many.Dx), $"dx differs between 1 and {threads} threads");
                foreach (var name in p.Names)
                    Assert.True(one.Grads[name].AsSpan().SequenceEqual(many.Grads[name]), $"d{name} differs between 1 and {threads} threads");
            }
        }
        finally { EngineSettings.Threads = saved; }
    }

    private static Result RunWithThreads(int threads, ActivationParameters p, float[] x, float[] dy)
    {
        EngineSettings.Threads = threads;
        var y = new float[x.Length];
        Chunks(threads, "forward", () => ActivationKernels.Forward(p, y, x));
        var g = new ActivationParameters(p.Family, p.Degree);
        var dx = new float[x.Length];
        Chunks(threads, "backward", () => ActivationKernels.Backward(p, g, dx, x, dy));
        return new Result(y, dx, g);
    }

    // One thread runs inline; more run several chunks in parallel (ParallelChunks counts them per calling thread).
    private static void Chunks(int threads, string pass, Action kernel)
    {
        long before = ParallelChunks.ParallelChunksRun;
        kernel();
        long ran = ParallelChunks.ParallelChunksRun - before;
        if (threads == 1) Assert.True(ran == 0, $"{pass}: one thread ran {ran} parallel chunks");
        else Assert.True(ran > 1, $"{pass}: {threads} threads ran {ran} parallel chunks; the test must exercise the parallel path");
    }
}
