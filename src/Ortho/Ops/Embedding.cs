using System.Numerics.Tensors;

namespace Ortho;

public static partial class Functional
{
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
}
