using Ortho.Kernels;

namespace Ortho;

/// <summary>Stateless neural-network functions with hand-written (fused) backward passes, like torch.nn.functional.</summary>
public static partial class Functional
{
    /// <summary>y = x W^T + b for x [..., in], W [out, in], b [out] (optional): one GEMM each way, no transposes.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) => LinearCore(x, weight, bias, residual: null);

    /// <summary>
    /// residual + (x W^T + b), as <c>residual + Linear(x, weight, bias)</c> with the same bits, the sum taken by the GEMM
    /// as it writes each tile (a transformer block's output projection joining the residual stream): no pass over memory
    /// for the sum going forward, and none for its gradient going back (the residual takes the output's gradient as it is).
    /// </summary>
    /// <param name="x">Input [..., in].</param>
    /// <param name="weight">W [out, in].</param>
    /// <param name="bias">b [out], or null.</param>
    /// <param name="residual">Added to the product; the shape of the output, [..., out].</param>
    public static Tensor LinearResidual(Tensor x, Tensor weight, Tensor? bias, Tensor residual) =>
        LinearCore(x, weight, bias, residual);

    private static Tensor LinearCore(Tensor x, Tensor weight, Tensor? bias, Tensor? residual)
    {
        if (weight.Rank != 2 || x.Rank < 1 || x.Size(-1) != weight.Size(1))
            throw new ArgumentException($"Linear: input {Tensor.ShapeString(x.ShapeSpan)} does not match weight {Tensor.ShapeString(weight.ShapeSpan)} (expected [..., {(weight.Rank == 2 ? weight.Size(1) : -1)}]).");
        int inF = weight.Size(1), outF = weight.Size(0), rows = 1;
        for (int d = 0; d < x.Rank - 1; d++) rows *= x.Size(d);
        if (bias != null && (bias.Rank != 1 || bias.Length != outF))
            throw new ArgumentException($"Linear: bias {Tensor.ShapeString(bias.ShapeSpan)} does not match {outF} output features.");
        var outShape = x.Shape;
        outShape[^1] = outF;
        if (residual != null && !residual.ShapeSpan.SequenceEqual(outShape))
            throw new ArgumentException($"LinearResidual: residual {Tensor.ShapeString(residual.ShapeSpan)} does not match the output {Tensor.ShapeString(outShape)}.");
        var y = Tensor.Empty(outShape);
        // The bias (and the residual) are added by the GEMM to each tile while it is in cache: no pass over y of their own.
        Gemm.Sgemm(false, true, rows, outF, inF, 1f, x.Data, inF, weight.Data, inF, 0f, y.Data, outF,
            bias == null ? default : bias.Data, residual == null ? default : residual.Data, outF);
        Tensor[] inputs = bias == null ? [x, weight] : [x, weight, bias];
        if (residual != null) inputs = [.. inputs, residual];
        return Tensor.Record(y, residual == null ? "linear" : "linear_residual", inputs, g =>
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
            // Last, once the products above have read g: the residual may take g's buffer as its gradient.
            if (residual is { RequiresGrad: true }) residual.TakeGrad(g);
        });
    }
}
