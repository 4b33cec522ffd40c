using Ortho.Kernels;

namespace Ortho;

public static partial class Functional
{
    /// <summary>Softmax over the last dimension.</summary>
    public static Tensor Softmax(Tensor x)
    {
        int c = x.Size(-1), rows = x.Length / Math.Max(1, c);
        var y = Tensor.Empty(x.Shape);
        SoftmaxKernels.Forward(y.Data, x.Data, rows, c);
        return Tensor.Record(y, "softmax", [x], g => SoftmaxKernels.Backward(x.GradSpan(), y.Data, g.Data, rows, c));
    }

    /// <summary>Log-softmax over the last dimension.</summary>
    public static Tensor LogSoftmax(Tensor x)
    {
        int c = x.Size(-1), rows = x.Length / Math.Max(1, c);
        var y = Tensor.Empty(x.Shape);
        LogSoftmaxKernels.Forward(y.Data, x.Data, rows, c);
        return Tensor.Record(y, "log_softmax", [x], g => LogSoftmaxKernels.Backward(x.GradSpan(), y.Data, g.Data, rows, c));
    }
}
