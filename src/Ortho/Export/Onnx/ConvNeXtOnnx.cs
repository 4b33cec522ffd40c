using Ortho.Models;
using Ortho.NN;

namespace Ortho.Export.Onnx;

/// <summary>
/// The ConvNeXt as an ONNX graph: <c>images</c> float [B, C, S, S] to <c>logits</c> float [B, classes]. The residual
/// stream stays NCHW (Conv's layout): the stem and downsampling convolutions and the depthwise 7x7 are Conv nodes
/// with PyTorch's weights as they are; each block turns the pixels into rows [B*H*W, C] (channels-last) for
/// LayerNorm, the two Linears (Gemm), the activation and the layer scale, and back; GlobalAveragePool, LayerNorm and
/// the head end it.
/// </summary>
internal static class ConvNeXtOnnx
{
    public const string Input = "images", Output = "logits";

    public static void Build(OnnxLayers layers, ConvNeXt model, OnnxExportOptions options)
    {
        var g = layers.Graph;
        var c = model.Config;
        int size = options.ImageSize ?? c.ImageSize;
        (c with { ImageSize = size }).Validate();
        g.Input(Input, OnnxDataType.Float, options.Batch, c.InChans, size, size);
        string x = Input;
        size /= c.Stem;
        for (int i = 0; i < model.Stages.Count; i++)
        {
            if (i > 0) size /= 2; // a 2x2 stride-2 convolution floors odd sizes
            var down = (ConvNeXtStem)model.DownsampleLayers[i];
            string p = $"downsample_layers.{i}";
            using (g.Scope(p))
            {
                // The stem is conv then norm; between stages, norm then conv.
                if (i > 0) x = ChannelNorm(layers, x, down.Norm);
                x = PatchConv(g, x, down.Conv);
                if (i == 0) x = ChannelNorm(layers, x, down.Norm);
            }
            for (int j = 0; j < model.Stages[i].Count; j++)
                x = Block(layers, x, (ConvNeXtBlock)model.Stages[i][j], $"stages.{i}.{j}", size);
        }
        using (g.Scope("norm"))
        {
            x = g.Node("Flatten", [g.Node("GlobalAveragePool", [x])], OnnxAttribute.Int("axis", 1));
            x = layers.LayerNorm(x, model.Norm);
        }
        using (g.Scope("head")) x = layers.Linear(x, model.Head);
        g.Output(Output, x, OnnxDataType.Float, options.Batch, c.Classes);
    }

    private static string Block(OnnxLayers layers, string x, ConvNeXtBlock block, string p, int size)
    {
        var g = layers.Graph;
        int ch = block.Dwconv.Weight.Size(0);
        string y;
        using (g.Scope(p + ".dwconv"))
        {
            y = g.Node("Conv", [x, g.Weight(block.Dwconv.Weight), g.Weight(block.Dwconv.Bias)], OnnxAttribute.Ints("kernel_shape", 7, 7),
                OnnxAttribute.Ints("pads", 3, 3, 3, 3), OnnxAttribute.Int("group", ch));
            y = g.Node("Reshape", [ToChannelsLast(g, y), g.Int64s(-1, ch)]);
        }
        using (g.Scope(p + ".norm")) y = layers.LayerNorm(y, block.Norm);
        using (g.Scope(p + ".pwconv1")) y = layers.Linear(y, block.Pwconv1);
        using (g.Scope(p + ".act")) y = layers.Activation(y, block.Act);
        using (g.Scope(p + ".pwconv2")) y = layers.Linear(y, block.Pwconv2);
        using (g.Scope(p))
        {
            y = g.Node("Reshape", [g.Mul(y, g.Weight(block.Gamma)), g.Int64s(-1, size, size, ch)]);
            return g.Add(x, ToChannelsFirst(g, y));
        }
    }

    private static string PatchConv(OnnxGraphBuilder g, string x, PatchConv conv) =>
        g.Node("Conv", [x, g.Weight(conv.Weight), g.Weight(conv.Bias)], OnnxAttribute.Ints("kernel_shape", conv.Kernel, conv.Kernel),
            OnnxAttribute.Ints("strides", conv.Kernel, conv.Kernel));

    private static string ChannelNorm(OnnxLayers layers, string x, LayerNorm norm) =>
        ToChannelsFirst(layers.Graph, layers.LayerNorm(ToChannelsLast(layers.Graph, x), norm));

    private static string ToChannelsLast(OnnxGraphBuilder g, string x) => g.Node("Transpose", [x], OnnxAttribute.Ints("perm", 0, 2, 3, 1));

    private static string ToChannelsFirst(OnnxGraphBuilder g, string x) => g.Node("Transpose", [x], OnnxAttribute.Ints("perm", 0, 3, 1, 2));
}
