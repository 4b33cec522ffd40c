using System.Numerics.Tensors;
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
        int inF = weight.Size(1), outF = weight.Size(0), rows = x.Length / Math.Max(1, inF);
        if (bias != null && (bias.Rank != 1 || bias.Length != outF))
            throw new ArgumentException($"Linear: bias {Tensor.ShapeString(bias.ShapeSpan)} does not match {outF} output features.");
        var outShape = x.Shape;
        outShape[^1] = outF;
        var y = Tensor.Empty(outShape);
        Gemm.Sgemm(false, true, rows, outF, inF, 1f, x.Data, inF, weight.Data, inF, 0f, y.Data, outF);
        if (bias != null)
        {
            var yd = y.Data;
            var bd = bias.Data;
            for (int r = 0; r < rows; r++) { var row = yd.Slice(r * outF, outF); TensorPrimitives.Add(row, bd, row); }
        }
        Tensor[] inputs = bias == null ? [x, weight] : [x, weight, bias];
        return Tensor.Record(y, "linear", inputs, g =>
        {
            var gd = g.Data;
            if (x.RequiresGrad) Gemm.Sgemm(false, false, rows, inF, outF, 1f, gd, outF, weight.Data, inF, 1f, x.GradSpan(), inF);
            if (weight.RequiresGrad) Gemm.Sgemm(true, false, outF, inF, rows, 1f, gd, outF, x.Data, inF, 1f, weight.GradSpan(), inF);
            if (bias is { RequiresGrad: true })
            {
                var db = bias.GradSpan();
                for (int r = 0; r < rows; r++) TensorPrimitives.Add(db, gd.Slice(r * outF, outF), db);
            }
        });
    }

    /// <summary>Rows of <paramref name="table"/> [V, C] picked by <paramref name="indices"/>, giving [..indexShape, C].</summary>
    public static Tensor Embedding(Tensor table, ReadOnlySpan<int> indices, params int[] indexShape)
    {
        if (table.Rank != 2) throw new ArgumentException($"Embedding: table must be [V, C], got {Tensor.ShapeString(table.ShapeSpan)}.");
        if (indexShape.Length == 0) indexShape = [indices.Length];
        if (Tensor.CheckedLength(indexShape) != indices.Length)
            throw new ArgumentException($"Embedding: {indices.Length} indices do not fill shape {Tensor.ShapeString(indexShape)}.");
        int v = table.Size(0), c = table.Size(1);
        var y = Tensor.Empty([.. indexShape, c]);
        var td = table.Data;
        var yd = y.Data;
        var ids = indices.ToArray();
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)v) throw new ArgumentOutOfRangeException(nameof(indices), $"Embedding: index {ids[i]} at position {i} is outside the table of {v} rows.");
            td.Slice(ids[i] * c, c).CopyTo(yd.Slice(i * c, c));
        }
        return Tensor.Record(y, "embedding", [table], g =>
        {
            var dt = table.GradSpan();
            var gd = g.Data;
            for (int i = 0; i < ids.Length; i++)
            {
                var dst = dt.Slice(ids[i] * c, c);
                TensorPrimitives.Add(dst, gd.Slice(i * c, c), dst);
            }
        });
    }

    /// <summary>Zeroes elements with probability <paramref name="p"/> and scales the rest by 1/(1-p) when training.</summary>
    public static Tensor Dropout(Tensor x, float p, bool training, Rng rng)
    {
        if (p < 0 || p >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1).");
        if (!training || p == 0) return x;
        var mask = Tensor.Empty(x.Shape);
        var md = mask.Data;
        rng.FillUniform(md);
        float scale = 1f / (1f - p);
        for (int i = 0; i < md.Length; i++) md[i] = md[i] >= p ? scale : 0f;
        return x * mask;
    }
}
