using Ortho.Activations;
using Ortho.NN;

namespace Ortho.Export.Onnx;

/// <summary>
/// The layers the models share, written into one graph: Linear (Gemm with transB on rows [N, in]: the weight keeps
/// PyTorch's [out, in] layout and state-dict name, and the bias add is part of the product), LayerNorm
/// (LayerNormalization over the last axis) and the activations (classic ones here, learnable ones by their family).
/// The models keep their activations as rows [N, C] around the Linears, reshaping only where attention or a
/// convolution needs more axes.
/// </summary>
internal sealed class OnnxLayers(OnnxGraphBuilder g)
{
    public OnnxGraphBuilder Graph => g;

    /// <summary>x W^T + b for rows x [N, in].</summary>
    public string Linear(string x, Linear layer) => Linear(x, layer.Weight, layer.Bias);

    /// <summary>x W^T (+ b) for rows x [N, in], W [out, in].</summary>
    public string Linear(string x, Tensor weight, Tensor? bias)
    {
        string[] inputs = bias is null ? [x, g.Weight(weight)] : [x, g.Weight(weight), g.Weight(bias)];
        return g.Node("Gemm", inputs, OnnxAttribute.Int("transB", 1));
    }

    /// <summary>LayerNorm over the last axis.</summary>
    public string LayerNorm(string x, LayerNorm norm)
    {
        string scale = norm.Weight is { } w ? g.Weight(w) : g.Constant("ones", Enumerable.Repeat(1f, ChannelsOf(norm)).ToArray(), ChannelsOf(norm));
        string[] inputs = norm.Bias is { } b ? [x, scale, g.Weight(b)] : [x, scale];
        return g.Node("LayerNormalization", inputs, OnnxAttribute.Int("axis", -1), OnnxAttribute.Float("epsilon", norm.Eps));
    }

    private static int ChannelsOf(LayerNorm norm) => norm.Weight?.Length
        ?? throw new NotSupportedException("ONNX export: a LayerNorm without a learnable weight does not record its width.");

    /// <summary>An activation module: a learnable one through its family's <see cref="ActivationFamily.EmitOnnx"/>, or a classic one.</summary>
    public string Activation(string x, UnaryModule act)
    {
        if (act is LearnableActivation la) return la.Family.EmitOnnx(g, x, la);
        return act switch
        {
            Gelu gelu => Gelu(x, gelu.Approximate == "tanh"),
            Relu => g.Node("Relu", [x]),
            Silu => g.Mul(x, g.Node("Sigmoid", [x])),
            Tanh => g.Node("Tanh", [x]),
            Sigmoid => g.Node("Sigmoid", [x]),
            _ => throw new NotSupportedException($"ONNX export: the activation {act.GetType().Name} has no ONNX form."),
        };
    }

    // Opset 20 has Gelu; before, the formulas (the pattern PyTorch exports, which ONNX Runtime fuses back into Gelu).
    private string Gelu(string x, bool tanh)
    {
        if (g.Opset >= 20) return g.Node("Gelu", [x], OnnxAttribute.String("approximate", tanh ? "tanh" : "none"));
        string inner;
        if (tanh)
        {
            string cube = g.Mul(g.Mul(x, x), x);
            inner = g.Node("Tanh", [g.Mul(g.Add(x, g.Mul(cube, g.Scalar(0.044715f))), g.Scalar((float)Math.Sqrt(2 / Math.PI)))]);
        }
        else inner = g.Node("Erf", [g.Div(x, g.Scalar((float)Math.Sqrt(2)))]);
        return g.Mul(g.Mul(x, g.Add(inner, g.Scalar(1f))), g.Scalar(0.5f));
    }
}
