using Ortho.Kernels;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Kernels;

public class PoolTests
{
    [Theory]
    [InlineData(3, 128, 3, 3)]
    [InlineData(2, 37, 5, 7)]
    [InlineData(1, 1, 1, 1)]
    [InlineData(4, 20, 14, 14)]
    public void GlobalAvgPoolMatchesReferenceInBothLayouts(int n, int c, int h, int w)
    {
        var x = new float[n * c * h * w];
        new Rng((ulong)(n * c + h)).FillNormal(x);
        var dy = new float[n * c];
        new Rng(99).FillNormal(dy);
        // Reference on NCHW data in double.
        var yRef = new double[n * c];
        for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++)
        {
            double s = 0;
            for (int p = 0; p < h * w; p++) s += x[(i * c + ch) * h * w + p];
            yRef[i * c + ch] = s / (h * w);
        }
        var y = new float[n * c];
        GlobalAvgPoolKernels.Forward(y, x, n, c, h, w, ImageLayout.ChannelsFirst);
        Close.All(y.Select(v => (double)v).ToArray(), yRef, "y NCHW", 1e-6, 1e-5);
        var yl = new float[n * c];
        GlobalAvgPoolKernels.Forward(yl, Perm.ToNhwc(x, n, c, h, w), n, c, h, w, ImageLayout.ChannelsLast);
        Close.All(yl.Select(v => (double)v).ToArray(), yRef, "y NHWC", 1e-6, 1e-5);

        // Backward accumulates dy / (h w) into every pixel.
        var init = new float[x.Length];
        new Rng(7).FillNormal(init);
        var dx = (float[])init.Clone();
        GlobalAvgPoolKernels.Backward(dx, dy, n, c, h, w, ImageLayout.ChannelsFirst);
        var dxl = Perm.ToNhwc(init, n, c, h, w);
        GlobalAvgPoolKernels.Backward(dxl, dy, n, c, h, w, ImageLayout.ChannelsLast);
        var dxlc = Perm.ToNchw(dxl, n, c, h, w);
        for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) for (int p = 0; p < h * w; p++)
        {
            int k = (i * c + ch) * h * w + p;
            double expect = init[k] + (double)dy[i * c + ch] / (h * w);
            Assert.True(Math.Abs(dx[k] - expect) <= 1e-6 + 1e-6 * Math.Abs(expect), $"NCHW dx[{k}] = {dx[k]}, expected {expect}");
            Assert.True(Math.Abs(dxlc[k] - expect) <= 1e-6 + 1e-6 * Math.Abs(expect), $"NHWC dx[{k}] = {dxlc[k]}, expected {expect}");
        }
    }

    [Fact]
    public void GlobalAvgPoolRejectsShortBuffers()
    {
        Assert.Throws<ArgumentException>(() => GlobalAvgPoolKernels.Forward(new float[3], new float[2 * 2 * 4], 2, 2, 2, 2));
        Assert.Throws<ArgumentException>(() => GlobalAvgPoolKernels.Forward(new float[4], new float[15], 2, 2, 2, 2));
    }
}
