namespace Ortho.Kernels;

/// <summary>Memory order of a batch of images (activations of a convolutional network).</summary>
public enum ImageLayout
{
    /// <summary>[N, C, H, W] (PyTorch's default).</summary>
    ChannelsFirst,

    /// <summary>[N, H, W, C], channels contiguous (what ConvNeXt blocks use internally).</summary>
    ChannelsLast,
}

/// <summary>
/// Shape of a 2-D convolution: input [N, Cin, H, W] (in either <see cref="ImageLayout"/>), weight in PyTorch's
/// layout [Cout, Cin / groups, KH, KW], bias [Cout], output [N, Cout, OH, OW] with
/// OH = (H + 2 PadH - KH) / StrideH + 1 (floor) and likewise OW.
/// </summary>
public readonly record struct Conv2dGeometry
{
    /// <summary>Square kernel, equal strides and paddings on both axes.</summary>
    /// <param name="batch">N.</param>
    /// <param name="inChannels">Cin.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="outChannels">Cout.</param>
    /// <param name="kernelSize">KH = KW.</param>
    /// <param name="stride">Stride on both axes.</param>
    /// <param name="padding">Zero padding on all four sides.</param>
    /// <param name="groups">Groups; Cin and Cout must be multiples of it.</param>
    public Conv2dGeometry(int batch, int inChannels, int height, int width, int outChannels, int kernelSize, int stride = 1, int padding = 0, int groups = 1)
        : this(batch, inChannels, height, width, outChannels, kernelSize, kernelSize, stride, stride, padding, padding, groups) { }

    /// <summary>General form.</summary>
    /// <param name="batch">N.</param>
    /// <param name="inChannels">Cin.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="outChannels">Cout.</param>
    /// <param name="kernelH">KH.</param>
    /// <param name="kernelW">KW.</param>
    /// <param name="strideH">Vertical stride.</param>
    /// <param name="strideW">Horizontal stride.</param>
    /// <param name="padH">Zero rows added above and below.</param>
    /// <param name="padW">Zero columns added left and right.</param>
    /// <param name="groups">Groups; Cin and Cout must be multiples of it.</param>
    public Conv2dGeometry(int batch, int inChannels, int height, int width, int outChannels,
        int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, int groups)
    {
        if (batch < 0 || inChannels <= 0 || height <= 0 || width <= 0 || outChannels <= 0)
            throw new ArgumentOutOfRangeException(nameof(batch), "batch must be >= 0 and channels and sizes positive.");
        if (kernelH <= 0 || kernelW <= 0 || strideH <= 0 || strideW <= 0 || padH < 0 || padW < 0)
            throw new ArgumentOutOfRangeException(nameof(kernelH), "kernel sizes and strides must be positive, paddings non-negative.");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"groups {groups} must divide in_channels {inChannels} and out_channels {outChannels}.", nameof(groups));
        if (height + 2 * padH < kernelH || width + 2 * padW < kernelW)
            throw new ArgumentException("kernel larger than the padded input.", nameof(kernelH));
        Batch = batch; InChannels = inChannels; Height = height; Width = width; OutChannels = outChannels;
        KernelH = kernelH; KernelW = kernelW; StrideH = strideH; StrideW = strideW; PadH = padH; PadW = padW; Groups = groups;
    }

    /// <summary>N.</summary>
    public int Batch { get; }
    /// <summary>Cin.</summary>
    public int InChannels { get; }
    /// <summary>H.</summary>
    public int Height { get; }
    /// <summary>W.</summary>
    public int Width { get; }
    /// <summary>Cout.</summary>
    public int OutChannels { get; }
    /// <summary>KH.</summary>
    public int KernelH { get; }
    /// <summary>KW.</summary>
    public int KernelW { get; }
    /// <summary>Vertical stride.</summary>
    public int StrideH { get; }
    /// <summary>Horizontal stride.</summary>
    public int StrideW { get; }
    /// <summary>Zero padding above and below.</summary>
    public int PadH { get; }
    /// <summary>Zero padding left and right.</summary>
    public int PadW { get; }
    /// <summary>Groups.</summary>
    public int Groups { get; }

    /// <summary>OH = (H + 2 PadH - KH) / StrideH + 1.</summary>
    public int OutHeight => (Height + 2 * PadH - KernelH) / StrideH + 1;
    /// <summary>OW = (W + 2 PadW - KW) / StrideW + 1.</summary>
    public int OutWidth => (Width + 2 * PadW - KernelW) / StrideW + 1;
    /// <summary>N Cin H W.</summary>
    public int InputSize => checked(Batch * InChannels * Height * Width);
    /// <summary>N Cout OH OW.</summary>
    public int OutputSize => checked(Batch * OutChannels * OutHeight * OutWidth);
    /// <summary>Cout (Cin / groups) KH KW.</summary>
    public int WeightSize => checked(OutChannels * (InChannels / Groups) * KernelH * KernelW);

    /// <summary>True when the patchify fast path applies: square kernel equal to the stride, no padding, one group.</summary>
    public bool IsPatchify => KernelH == KernelW && StrideH == KernelH && StrideW == KernelW && PadH == 0 && PadW == 0 && Groups == 1;

    /// <summary>
    /// True when the depthwise fast path applies: groups = Cin = Cout, stride 1, padding at most kernel - 1
    /// (ConvNeXt's 7 x 7 with padding 3 is the case it is tuned for).
    /// </summary>
    public bool IsDepthwise => Groups == InChannels && OutChannels == InChannels && StrideH == 1 && StrideW == 1
                               && PadH <= KernelH - 1 && PadW <= KernelW - 1;
}
