using Xunit;
using Ortho.NN;

namespace Ortho.Tests.Ops;

/// <summary>Where a tensor's elements live: pooled storage comes back for reuse, and data starts on a 64-byte line.</summary>
public class TensorStorageTests
{
    private static unsafe long Address(Span<float> data)
    {
        fixed (float* p = data) return (long)p;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(1000)]
    [InlineData(70_000)] // on the large-object side of the pinned heap
    public void TensorDataStartsOnACacheLine(int n)
    {
        using var scope = new TensorScope();
        foreach (var t in new[] { Tensor.Zeros(n), Tensor.Ones(n, 1), Tensor.Full(2f, n).Reshape(1, n) })
            Assert.Equal(0, Address(t.Data) % 64);
        var p = new Parameter(n);
        Assert.Equal(0, Address(p.Data) % 64);
        Assert.All(p.ToArray(), v => Assert.Equal(0f, v)); // a parameter starts at zero
    }

    [Fact]
    public void AlignedStorageSurvivesACollectionAndReuse()
    {
        long first;
        using (var scope = new TensorScope())
        {
            var t = Tensor.Full(3f, 5000);
            first = Address(t.Data);
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            Assert.Equal(first, Address(t.Data)); // pinned: it did not move
            Assert.All(t.ToArray(), v => Assert.Equal(3f, v));
        }
        using (var scope = new TensorScope())
        {
            var u = Tensor.Zeros(5000); // the same size class: the returned array, or a fresh one if another test took it
            Assert.Equal(0, Address(u.Data) % 64);
            Assert.Equal(5000, u.Data.Length);
        }
    }

    [Fact]
    public void ThePoolTakesBackOnlyItsOwnArrays()
    {
        var a = TensorPool.Rent(100);
        Assert.True(a.Length >= 100 + 16);
        TensorPool.Return(a);
        TensorPool.Return(new float[128]); // not from the pool: ignored, and not handed out later
        for (int i = 0; i < 4; i++)
        {
            var b = TensorPool.Rent(128);
            Assert.Equal(128 + 16, b.Length);
        }
    }
}
