using Ortho.Kernels;

namespace Ortho;

public static partial class Functional
{
    /// <summary>
    /// Layer normalization over the last dimension (single fused pass; mean and 1/std saved for backward).
    /// <paramref name="weight"/> and <paramref name="bias"/> are [C] or null.
    /// </summary>
    public static Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps = 1e-5f)
    {
        int c = x.Size(-1), rows = x.Length / Math.Max(1, c);
        if (weight != null && weight.Length != c || bias != null && bias.Length != c)
            throw new ArgumentException($"LayerNorm: input {Tensor.ShapeString(x.ShapeSpan)} needs weight and bias of {c} values, got {weight?.Length} and {bias?.Length}.");
        var y = Tensor.Empty(x.Shape);
        var mean = Tensor.Empty([rows]);
        var rstd = Tensor.Empty([rows]);
        LayerNormKernels.Forward(y.Data, mean.Data, rstd.Data, x.Data, weight != null ? weight.Data : default, bias != null ? bias.Data : default, rows, c, eps);
        Tensor[] inputs = new[] { x, weight, bias }.OfType<Tensor>().ToArray();
        return Tensor.Record(y, "layer_norm", inputs, g => LayerNormKernels.Backward(
            x.GradSpanIfRequired(),
            weight == null ? default : weight.GradSpanIfRequired(),
            bias == null ? default : bias.GradSpanIfRequired(),
            g.Data, x.Data, weight != null ? weight.Data : default, mean.Data, rstd.Data, rows, c));
    }
}
