using Ortho.Kernels;

namespace Ortho;

/// <summary>Stateless neural-network functions with hand-written (fused) backward passes, like torch.nn.functional.</summary>
public static partial class Functional
{
    /// <summary>y = x W^T + b for x [..., in], W [out, in], b [out] (optional): one GEMM each way, no transposes.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 2 || x.Rank < 1 || x.Size(-1) != weight.Size(1))
            throw new ArgumentException($"Linear: input {Tensor.ShapeString(x.ShapeSpan)} does not match weight {Tensor.ShapeString(weight.ShapeSpan)} (expected [..., {(weight.Rank == 2 ? weight.Size(1) : -1)}]).");
        int inF = weight.Size(1), outF = weight.Size(0), rows = 1;
        for (int d = 0; d < x.Rank - 1; d++) rows *= x.Size(d);
        if (bias != null && (bias.Rank != 1 || bias.Length != outF))
            throw new ArgumentException($"Linear: bias {Tensor.ShapeString(bias.ShapeSpan)} does not match {outF} output features.");
        var outShape = x.Shape;
        outShape[^1] = outF;
        var y = Tensor.Empty(outShape);
        // The bias is added by the GEMM to each tile while it is in cache: no pass over y of its own.
        if (bias == null) Gemm.Sgemm(false, true, rows, outF, inF, 1f, x.Data, inF, weight.Data, inF, 0f, y.Data, outF);
        else Gemm.Sgemm(false, true, rows, outF, inF, 1f, x.Data, inF, weight.Data, inF, 0f, y.Data, outF, bias.Data);
        Tensor[] inputs = bias == null ? [x, weight] : [x, weight, bias];
        return Tensor.Record(y, "linear", inputs, g =>
        {
            var gd = g.Data;
            bool needDx = x.RequiresGrad, needDw = weight.RequiresGrad, fresh = false;
            var dx = needDx ? x.GradSpan(out fresh) : default;
            // The first gradient to reach x is written (beta = 0), so its buffer needs no zeroing pass.
            var inputGrad = new GemmOperands(false, false, rows, inF, outF, gd, outF, weight.Data, inF, fresh ? 0f : 1f, dx, inF);
            var weightGrad = new GemmOperands(true, false, outF, inF, rows, gd, outF, x.Data, inF, 1f,
                needDw ? weight.GradSpan() : default, inF);
            // Both together share the threads (the same FLOPs each); in turn when they share memory (x is the weight
            // itself, as in W W^T).
            if (needDx && needDw) Gemm.SgemmBoth(inputGrad, weightGrad);
            else
            {
                if (needDx) Gemm.Sgemm(inputGrad);
                if (needDw) Gemm.Sgemm(weightGrad);
            }
            if (bias is { RequiresGrad: true }) BiasKernels.Backward(bias.GradSpan(), gd, rows, outF);
        });
    }
}
