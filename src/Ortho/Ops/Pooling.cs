using Ortho.Kernels;

namespace Ortho;

public static partial class Functional
{
    /// <summary>Mean over the spatial dimensions of channels-last x [N, H, W, C], giving [N, C].</summary>
    public static Tensor GlobalAvgPool(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"GlobalAvgPool: expected [N, H, W, C], got {Tensor.ShapeString(x.ShapeSpan)}.");
        int n = x.Size(0), h = x.Size(1), w = x.Size(2), c = x.Size(3);
        var y = Tensor.Empty([n, c]);
        GlobalAvgPoolKernels.Forward(y.Data, x.Data, n, c, h, w);
        return Tensor.Record(y, "global_avg_pool", [x], dy => GlobalAvgPoolKernels.Backward(x.GradSpan(), dy.Data, n, c, h, w));
    }
}
