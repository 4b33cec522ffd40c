using Ortho.Activations;
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

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsAreBitIdenticalForOneAndTwoThreads(string activation, bool perturb)
    {
        const int length = 1 << 20; // 1M elements: 32 reduction blocks, several chunks per thread
        var spec = ActivationSpec.Parse(activation);
        var p = Params(spec.Family, spec.Degree, 17, perturb);
        float[] x = Normal(length, 18), dy = Normal(length, 19, 1f);
        int saved = EngineSettings.Threads;
        try
        {
            EngineSettings.Threads = 1;
            var one = Run(p, x, dy);
            EngineSettings.Threads = 2;
            var two = Run(p, x, dy);
            EngineSettings.Threads = 3;
            var three = Run(p, x, dy);
            Assert.True(one.Y.AsSpan().SequenceEqual(two.Y));
            Assert.True(one.Dx.AsSpan().SequenceEqual(two.Dx));
            foreach (var name in p.Names)
            {
                Assert.True(one.Grads[name].AsSpan().SequenceEqual(two.Grads[name]), $"d{name} differs between 1 and 2 threads");
                Assert.True(one.Grads[name].AsSpan().SequenceEqual(three.Grads[name]), $"d{name} differs between 1 and 3 threads");
            }
        }
        finally { EngineSettings.Threads = saved; }
    }
}
