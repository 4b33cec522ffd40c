using Ortho.Data;
using Xunit;

namespace Ortho.Tests.Data;

public class ByteTokenizerTests
{
    [Fact]
    public void EncodesUtf8BytesAndDecodesBack()
    {
        Assert.Equal(new[] { 104, 195, 169, 108, 108, 111 }, ByteTokenizer.Encode("h\u00e9llo"));
        Assert.Equal(new byte[] { 104, 195, 169, 108, 108, 111 }, ByteTokenizer.EncodeBytes("h\u00e9llo"));
        Assert.Equal("h\u00e9llo \u6f22\n", ByteTokenizer.Decode(ByteTokenizer.Encode("h\u00e9llo \u6f22\n")));
        Assert.Equal("ab", ByteTokenizer.Decode(new byte[] { 97, 98 }));
        Assert.Equal("a\ufffd", ByteTokenizer.Decode(new[] { 97, 195 })); // cut-off UTF-8 sequence
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteTokenizer.Decode(new[] { 97, 256 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteTokenizer.Decode(new[] { -1 }));
        Assert.Equal(256, ByteTokenizer.VocabSize);
    }
}

public class LmBatchSamplerTests
{
    private static byte[] Ramp(int n) => Enumerable.Range(0, n).Select(i => (byte)i).ToArray();

    [Fact]
    public void RowsAreWindowsWithTargetsShiftedByOne()
    {
        byte[] data = Ramp(200); // data[i] = i, so a value names its position
        const int batch = 5, block = 8;
        var sampler = new LmBatchSampler(data, batch, block, new Rng(7));
        var reference = new Rng(7);
        for (int step = 0; step < 20; step++)
        {
            var (x, y) = sampler.Next();
            for (int b = 0; b < batch; b++)
            {
                int start = reference.NextInt(200 - block - 1); // uniform in [0, len - block - 1)
                for (int t = 0; t < block; t++)
                {
                    Assert.Equal(start + t, x[b * block + t]);
                    Assert.Equal(start + t + 1, y[b * block + t]);
                }
            }
        }
        Assert.Equal(reference.Offset, sampler.Rng.Offset);
    }

    [Fact]
    public void StartsCoverTheWholeRangeAndNoMore()
    {
        byte[] data = Ramp(20);
        const int block = 4; // starts in [0, 15)
        var sampler = new LmBatchSampler(data, 64, block, new Rng(3));
        var seen = new HashSet<int>();
        int[] x = new int[64 * block], y = new int[64 * block];
        for (int i = 0; i < 50; i++)
        {
            sampler.Next(x, y);
            for (int b = 0; b < 64; b++) seen.Add(x[b * block]);
        }
        Assert.Equal(Enumerable.Range(0, 15), seen.Order());
    }

    [Fact]
    public void SameSeedAndOffsetGiveSameBatches()
    {
        byte[] data = Ramp(250);
        var a = new LmBatchSampler(data, 4, 16, new Rng(11));
        a.Next();
        ulong offset = a.Rng.Offset;
        var (x1, y1) = a.Next();
        var b = new LmBatchSampler(data, 4, 16, new Rng(11) { Offset = offset });
        var (x2, y2) = b.Next();
        Assert.Equal(x1, x2);
        Assert.Equal(y1, y2);
        var (x3, _) = new LmBatchSampler(data, 4, 16, new Rng(12)).Next();
        Assert.NotEqual(x1, x3);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentException>(() => new LmBatchSampler(new byte[9], 1, 8, new Rng(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LmBatchSampler(new byte[100], 0, 8, new Rng(1)));
        var s = new LmBatchSampler(new byte[10], 2, 8, new Rng(1));
        Assert.Throws<ArgumentException>(() => s.Next(new int[15], new int[16]));
        s.Next(new int[16], new int[16]); // the shortest data allowed: one possible start
    }
}

public class ImageBatchSamplerTests
{
    /// <summary>Image i has all pixels equal to i, label i % 10.</summary>
    private static ImageDataset Numbered(int n) =>
        new(Enumerable.Range(0, n).SelectMany(i => Enumerable.Repeat((float)i, 6)).ToArray(),
            Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray(), 1, 2, 3);

    private static int[] Take(ImageBatchSampler s, out int count)
    {
        var images = new float[s.BatchSize * 6];
        var labels = new int[s.BatchSize];
        count = s.Next(images, labels);
        var ids = new int[count];
        for (int b = 0; b < count; b++)
        {
            ids[b] = (int)images[b * 6];
            Assert.All(images.AsSpan(b * 6, 6).ToArray(), v => Assert.Equal(ids[b], v));
            Assert.Equal(ids[b] % 10, labels[b]);
        }
        return ids;
    }

    [Fact]
    public void ShuffledEpochsVisitEachImageAtMostOnceAndDropTheRemainder()
    {
        var s = new ImageBatchSampler(Numbered(10), 4, new Rng(5));
        Assert.Equal(2, s.BatchesPerEpoch);
        var orders = new List<int[]>();
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var ids = Take(s, out int c1).Concat(Take(s, out int c2)).ToArray();
            Assert.Equal((4, 4), (c1, c2));
            Assert.Equal(epoch, s.Epoch);
            Assert.Equal(8, ids.Distinct().Count());
            Assert.Equal(s.Order[..8].ToArray(), ids);
            Assert.Equal(Enumerable.Range(0, 10), s.Order.ToArray().Order()); // a permutation
            orders.Add(s.Order.ToArray());
        }
        Assert.NotEqual(orders[0], orders[1]);
        Assert.NotEqual(orders[1], orders[2]);
        Assert.NotEqual(Enumerable.Range(0, 10).ToArray(), orders[0]);
    }

    [Fact]
    public void WithoutDropLastTheLastBatchIsPartialAndWithoutRngOrderIsSequential()
    {
        var s = new ImageBatchSampler(Numbered(10), 4, null, dropLast: false);
        Assert.Equal(3, s.BatchesPerEpoch);
        Assert.Equal(new[] { 0, 1, 2, 3 }, Take(s, out _));
        Assert.Equal(new[] { 4, 5, 6, 7 }, Take(s, out _));
        Assert.False(s.EpochFinished);
        Assert.Equal(new[] { 8, 9 }, Take(s, out int c));
        Assert.Equal(2, c);
        Assert.True(s.EpochFinished);
        Assert.Equal(new[] { 0, 1, 2, 3 }, Take(s, out _));
        Assert.Equal(1, s.Epoch);
    }

    [Fact]
    public void ShuffleIsAUniformPermutation()
    {
        // Over many epochs each image lands in each slot about equally often (Fisher-Yates with NextInt).
        const int n = 5, epochs = 5000;
        var s = new ImageBatchSampler(Numbered(n), n, new Rng(9));
        var counts = new int[n, n];
        for (int e = 0; e < epochs; e++)
        {
            var ids = Take(s, out _);
            for (int slot = 0; slot < n; slot++) counts[ids[slot], slot]++;
        }
        for (int i = 0; i < n; i++)
            for (int slot = 0; slot < n; slot++)
                Assert.InRange(counts[i, slot], 1000 - 150, 1000 + 150); // expected 1000, sd ~28
    }

    [Fact]
    public void StateRestoresTheSameSequence()
    {
        var data = Numbered(23);
        var a = new ImageBatchSampler(data, 5, new Rng(42));
        for (int i = 0; i < 6; i++) Take(a, out _); // into the second epoch
        var state = a.GetState();
        var next = Enumerable.Range(0, 7).Select(_ => Take(a, out _)).ToArray();

        var b = new ImageBatchSampler(data, 5, new Rng(42));
        b.SetState(state);
        Assert.Equal(state, b.GetState());
        var again = Enumerable.Range(0, 7).Select(_ => Take(b, out _)).ToArray();
        Assert.Equal(next, again);
        Assert.Equal(a.Rng!.Offset, b.Rng!.Offset);
    }

    [Fact]
    public void GatherAndCopyRangeCheckTheirArguments()
    {
        var d = Numbered(4);
        var images = new float[12];
        var labels = new int[2];
        d.CopyRange(2, 2, images, labels);
        Assert.Equal(new[] { 2f, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3 }, images);
        Assert.Equal(new[] { 2, 3 }, labels);
        Assert.Throws<ArgumentOutOfRangeException>(() => d.CopyRange(3, 2, images, labels));
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Gather(new[] { 4 }, images, labels));
        Assert.Throws<ArgumentException>(() => new ImageDataset(new float[5], new byte[1], 1, 2, 3));
        Assert.Throws<ArgumentException>(() => new ImageBatchSampler(d, 5, null));
    }
}
