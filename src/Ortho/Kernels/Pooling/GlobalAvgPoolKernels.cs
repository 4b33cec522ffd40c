using System.Numerics.Tensors;

namespace Ortho.Kernels;

/// <summary>
/// Global average pooling over the spatial axes: [N, H, W, C] (channels-last) or [N, C, H, W] -> [N, C].
/// Sums run over pixels in increasing order (deterministic); the mean is the sum divided by H W.
/// </summary>
public static class GlobalAvgPoolKernels
{
    /// <summary>y[n, c] = mean over (h, w) of x (overwritten).</summary>
    /// <param name="y">Output [N, C].</param>
    /// <param name="x">Input [N, H, W, C] or [N, C, H, W] per <paramref name="layout"/>.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="layout">Layout of <paramref name="x"/>.</param>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, int batch, int channels, int height, int width, ImageLayout layout = ImageLayout.ChannelsLast)
    {
        int hw = Check(y.Length, x.Length, batch, channels, height, width);
        for (int n = 0; n < batch; n++)
        {
            var yn = y.Slice(n * channels, channels);
            var xn = x.Slice(n * hw * channels, hw * channels);
            if (layout == ImageLayout.ChannelsLast)
            {
                xn[..channels].CopyTo(yn);
                for (int p = 1; p < hw; p++) TensorPrimitives.Add(yn, xn.Slice(p * channels, channels), yn);
                TensorPrimitives.Divide(yn, hw, yn);
            }
            else
            {
                for (int c = 0; c < channels; c++) yn[c] = TensorPrimitives.Sum(xn.Slice(c * hw, hw)) / hw;
            }
        }
    }

    /// <summary>dx[n, h, w, c] += dy[n, c] / (H W) (accumulated).</summary>
    /// <param name="dx">Input gradient [N, H, W, C] or [N, C, H, W] per <paramref name="layout"/>, accumulated.</param>
    /// <param name="dy">Output gradient [N, C].</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="layout">Layout of <paramref name="dx"/>.</param>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> dy, int batch, int channels, int height, int width, ImageLayout layout = ImageLayout.ChannelsLast)
    {
        int hw = Check(dy.Length, dx.Length, batch, channels, height, width);
        Span<float> g = channels <= 1024 ? stackalloc float[channels] : new float[channels];
        for (int n = 0; n < batch; n++)
        {
            TensorPrimitives.Divide(dy.Slice(n * channels, channels), hw, g);
            var dxn = dx.Slice(n * hw * channels, hw * channels);
            if (layout == ImageLayout.ChannelsLast)
            {
                for (int p = 0; p < hw; p++)
                {
                    var row = dxn.Slice(p * channels, channels);
                    TensorPrimitives.Add(row, g, row);
                }
            }
            else
            {
                for (int c = 0; c < channels; c++)
                {
                    var plane = dxn.Slice(c * hw, hw);
                    TensorPrimitives.Add(plane, g[c], plane);
                }
            }
        }
    }

    private static int Check(int yLength, int xLength, int batch, int channels, int height, int width)
    {
        if (batch < 0 || channels <= 0 || height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(batch), "sizes must be positive.");
        int hw = checked(height * width);
        if (yLength < (long)batch * channels) throw new ArgumentException($"pooled buffer needs {batch * channels} floats, has {yLength}.");
        if (xLength < (long)batch * channels * hw) throw new ArgumentException($"image buffer needs {(long)batch * channels * hw} floats, has {xLength}.");
        return hw;
    }
}
