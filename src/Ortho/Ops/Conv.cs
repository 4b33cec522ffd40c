using Ortho.Kernels;

namespace Ortho;

public static partial class Functional
{
    /// <summary>
    /// 2-D convolution of x [N, Cin, H, W] (NCHW, as PyTorch) with weight [Cout, Cin/groups, KH, KW] and optional
    /// bias [Cout], any stride, padding and groups; gives [N, Cout, OH, OW].
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, int stride = 1, int padding = 0, int groups = 1)
    {
        if (x.Rank != 4 || weight.Rank != 4 || weight.Size(1) * groups != x.Size(1))
            throw new ArgumentException($"Conv2d: input {Tensor.ShapeString(x.ShapeSpan)} (NCHW) does not match weight {Tensor.ShapeString(weight.ShapeSpan)} with {groups} group(s).");
        var g = new Conv2dGeometry(x.Size(0), x.Size(1), x.Size(2), x.Size(3), weight.Size(0), weight.Size(2), weight.Size(3), stride, stride, padding, padding, groups);
        var y = Tensor.Empty([g.Batch, g.OutChannels, g.OutHeight, g.OutWidth]);
        Conv2dKernels.Forward(y.Data, x.Data, weight.Data, BiasData(bias, g), g);
        return Tensor.Record(y, "conv2d", Inputs(x, weight, bias), dy => Conv2dKernels.Backward(
            x.GradSpanIfRequired(), weight.GradSpanIfRequired(), bias == null ? default : bias.GradSpanIfRequired(), dy.Data, x.Data, weight.Data, g));
    }

    /// <summary>
    /// k x k convolution with stride k (patchify: the ConvNeXt stem and downsampling) on channels-last x [N, H, W, Cin]
    /// with PyTorch's weight layout [Cout, Cin, k, k]; gives [N, H/k, W/k, Cout].
    /// </summary>
    public static Tensor PatchConvNhwc(Tensor x, Tensor weight, Tensor? bias, int k)
    {
        if (x.Rank != 4 || weight.Rank != 4 || weight.Size(1) != x.Size(3) || weight.Size(2) != k || weight.Size(3) != k)
            throw new ArgumentException($"PatchConvNhwc: input {Tensor.ShapeString(x.ShapeSpan)} (NHWC) does not match weight {Tensor.ShapeString(weight.ShapeSpan)} with kernel {k}.");
        var g = new Conv2dGeometry(x.Size(0), x.Size(3), x.Size(1), x.Size(2), weight.Size(0), k, k, 0, 1);
        var y = Tensor.Empty([g.Batch, g.OutHeight, g.OutWidth, g.OutChannels]);
        Conv2dKernels.PatchifyForward(y.Data, x.Data, weight.Data, BiasData(bias, g), g);
        return Tensor.Record(y, "patch_conv", Inputs(x, weight, bias), dy => Conv2dKernels.PatchifyBackward(
            x.GradSpanIfRequired(), weight.GradSpanIfRequired(), bias == null ? default : bias.GradSpanIfRequired(), dy.Data, x.Data, weight.Data, g));
    }

    /// <summary>
    /// Depthwise 7x7 convolution, padding 3, stride 1 (the ConvNeXt block's) on channels-last x [N, H, W, C] with
    /// PyTorch's weight layout [C, 1, 7, 7]; vectorized over channels, deterministic weight-gradient reduction.
    /// </summary>
    public static Tensor DepthwiseConv7Nhwc(Tensor x, Tensor weight, Tensor? bias)
    {
        if (x.Rank != 4 || weight.Rank != 4 || weight.Size(0) != x.Size(3) || weight.Size(1) != 1 || weight.Size(2) != 7 || weight.Size(3) != 7)
            throw new ArgumentException($"DepthwiseConv7Nhwc: input {Tensor.ShapeString(x.ShapeSpan)} (NHWC) does not match weight {Tensor.ShapeString(weight.ShapeSpan)} (expected [C, 1, 7, 7]).");
        int c = x.Size(3);
        var g = new Conv2dGeometry(x.Size(0), c, x.Size(1), x.Size(2), c, 7, 1, 3, c);
        var y = Tensor.Empty(x.Shape);
        Conv2dKernels.DepthwiseForward(y.Data, x.Data, weight.Data, BiasData(bias, g), g);
        return Tensor.Record(y, "depthwise_conv7", Inputs(x, weight, bias), dy => Conv2dKernels.DepthwiseBackward(
            x.GradSpanIfRequired(), weight.GradSpanIfRequired(), bias == null ? default : bias.GradSpanIfRequired(), dy.Data, x.Data, weight.Data, g));
    }

    private static ReadOnlySpan<float> BiasData(Tensor? bias, in Conv2dGeometry g)
    {
        if (bias == null) return default;
        if (bias.Length != g.OutChannels) throw new ArgumentException($"Conv: bias has {bias.Length} values for {g.OutChannels} output channels.");
        return bias.Data;
    }

    private static Tensor[] Inputs(Tensor x, Tensor w, Tensor? b) => b == null ? [x, w] : [x, w, b];
}
