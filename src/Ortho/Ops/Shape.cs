using System.Numerics.Tensors;

namespace Ortho;

public partial class Tensor
{
    /// <summary>A view with a new shape and the same elements (one dimension may be -1). No copy.</summary>
    public Tensor Reshape(params int[] shape)
    {
        var s = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape {ShapeString(_shape)} -> {ShapeString(shape)}: only one dimension can be -1.");
                infer = i;
            }
            else if (s[i] < 0) throw new ArgumentException($"Reshape {ShapeString(_shape)} -> {ShapeString(shape)}: negative dimension.");
            else known *= s[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || Length % known != 0) throw new ArgumentException($"Reshape {ShapeString(_shape)} -> {ShapeString(shape)}: cannot infer the -1 dimension from {Length} elements.");
            s[infer] = (int)(Length / known);
        }
        if (CheckedLength(s) != Length) throw new ArgumentException($"Reshape {ShapeString(_shape)} -> {ShapeString(shape)}: {Length} elements do not fit.");
        ThrowIfReleased();
        Store.AddRef();
        var y = new Tensor(Store, Offset, s);
        return Record(y, "reshape", [this], TakeGrad);
    }

    /// <summary>Reshape alias, as in PyTorch.</summary>
    public Tensor View(params int[] shape) => Reshape(shape);

    /// <summary>Inserts a dimension of size 1.</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = dim < 0 ? dim + Rank + 1 : dim;
        if (d < 0 || d > Rank) throw new ArgumentOutOfRangeException(nameof(dim), $"Unsqueeze: dimension {dim} out of range for rank {Rank}.");
        var s = _shape.ToList();
        s.Insert(d, 1);
        return Reshape(s.ToArray());
    }

    /// <summary>Removes a dimension of size 1.</summary>
    public Tensor Squeeze(int dim)
    {
        int d = NormalizeDim(dim, Rank, "Squeeze");
        if (_shape[d] != 1) throw new ArgumentException($"Squeeze: dimension {dim} of shape {ShapeString(_shape)} has size {_shape[d]}, not 1.");
        return Reshape(_shape.Where((_, i) => i != d).ToArray());
    }

    /// <summary>Reorders dimensions (copies into a contiguous tensor).</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank || dims.Distinct().Count() != Rank || dims.Any(d => d < 0 || d >= Rank))
            throw new ArgumentException($"Permute: {ShapeString(dims)} is not a permutation of the {Rank} dimensions of {ShapeString(_shape)}.");
        var outShape = dims.Select(d => _shape[d]).ToArray();
        var y = Empty(outShape);
        PermuteCopy(Data, _shape, dims, y.Data, accumulate: false);
        var inverse = new int[Rank];
        for (int i = 0; i < Rank; i++) inverse[dims[i]] = i;
        return Record(y, "permute", [this], g => PermuteCopy(g.Data, outShape, inverse, GradSpan(), accumulate: true));
    }

    /// <summary>Swaps two dimensions (copies).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int a = NormalizeDim(dim0, Rank, "Transpose"), b = NormalizeDim(dim1, Rank, "Transpose");
        var p = Enumerable.Range(0, Rank).ToArray();
        (p[a], p[b]) = (p[b], p[a]);
        return Permute(p);
    }

    /// <summary>dst[permuted index] (+)= src[index], with dst's dims = src dims reordered by <paramref name="dims"/>.</summary>
    private static void PermuteCopy(ReadOnlySpan<float> src, ReadOnlySpan<int> srcShape, int[] dims, Span<float> dst, bool accumulate)
    {
        int r = srcShape.Length;
        if (r == 0) { if (accumulate) dst[0] += src[0]; else dst[0] = src[0]; return; }
        Span<int> srcStride = stackalloc int[r];
        int st = 1;
        for (int i = r - 1; i >= 0; i--) { srcStride[i] = st; st *= srcShape[i]; }
        // Walk dst in order; the source offset follows the permuted strides.
        Span<int> outShape = stackalloc int[r];
        Span<int> step = stackalloc int[r];
        for (int i = 0; i < r; i++) { outShape[i] = srcShape[dims[i]]; step[i] = srcStride[dims[i]]; }
        int inner = outShape[r - 1], innerStep = step[r - 1];
        int rows = inner == 0 ? 0 : dst.Length / inner;
        Span<int> idx = stackalloc int[r];
        int so = 0;
        for (int q = 0; q < rows; q++)
        {
            var d = dst.Slice(q * inner, inner);
            if (innerStep == 1)
            {
                if (accumulate) TensorPrimitives.Add(d, src.Slice(so, inner), d);
                else src.Slice(so, inner).CopyTo(d);
            }
            else if (accumulate) for (int j = 0; j < inner; j++) d[j] += src[so + j * innerStep];
            else for (int j = 0; j < inner; j++) d[j] = src[so + j * innerStep];
            for (int k = r - 2; k >= 0; k--)
            {
                idx[k]++;
                so += step[k];
                if (idx[k] < outShape[k]) break;
                so -= step[k] * outShape[k];
                idx[k] = 0;
            }
        }
    }

    /// <summary>The elements [start, start + length) along <paramref name="dim"/> (a copy).</summary>
    public Tensor Slice(int dim, int start, int length)
    {
        int d = NormalizeDim(dim, Rank, "Slice");
        if (start < 0 || length < 0 || start + length > _shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice [{start}, {start + length}) is outside dimension {dim} of size {_shape[d]} (shape {ShapeString(_shape)}).");
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= _shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= _shape[i];
        var outShape = (int[])_shape.Clone();
        outShape[d] = length;
        var y = Empty(outShape);
        int n = _shape[d], block = length * inner;
        var x = Data;
        var yd = y.Data;
        for (int o = 0; o < outer; o++) x.Slice((o * n + start) * inner, block).CopyTo(yd.Slice(o * block, block));
        return Record(y, "slice", [this], g =>
        {
            var dx = GradSpan();
            var gd = g.Data;
            for (int o = 0; o < outer; o++)
            {
                var dst = dx.Slice((o * n + start) * inner, block);
                TensorPrimitives.Add(dst, gd.Slice(o * block, block), dst);
            }
        });
    }

    /// <summary>Splits along <paramref name="dim"/> into pieces of the given sizes (which must add up to the dimension).</summary>
    public Tensor[] Split(int[] sizes, int dim)
    {
        int d = NormalizeDim(dim, Rank, "Split");
        if (sizes.Sum() != _shape[d]) throw new ArgumentException($"Split: sizes {ShapeString(sizes)} do not add up to dimension {dim} of size {_shape[d]}.");
        var parts = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++) { parts[i] = Slice(d, start, sizes[i]); start += sizes[i]; }
        return parts;
    }

    /// <summary>Joins tensors along <paramref name="dim"/>; all other dimensions must match.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int dim)
    {
        if (tensors.Count == 0) throw new ArgumentException("Concat: no tensors.");
        var first = tensors[0];
        int d = NormalizeDim(dim, first.Rank, "Concat");
        int total = 0;
        foreach (var t in tensors)
        {
            if (t.Rank != first.Rank || Enumerable.Range(0, t.Rank).Any(i => i != d && t._shape[i] != first._shape[i]))
                throw new ArgumentException($"Concat along {dim}: shape {ShapeString(t._shape)} does not match {ShapeString(first._shape)}.");
            total += t._shape[d];
        }
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= first._shape[i];
        for (int i = d + 1; i < first.Rank; i++) inner *= first._shape[i];
        var outShape = (int[])first._shape.Clone();
        outShape[d] = total;
        var y = Empty(outShape);
        var yd = y.Data;
        int offset = 0;
        foreach (var t in tensors)
        {
            int block = t._shape[d] * inner;
            var x = t.Data;
            for (int o = 0; o < outer; o++) x.Slice(o * block, block).CopyTo(yd.Slice(o * total * inner + offset, block));
            offset += block;
        }
        var inputs = tensors.ToArray();
        return Record(y, "concat", inputs, g =>
        {
            var gd = g.Data;
            int off = 0;
            foreach (var t in inputs)
            {
                int block = t._shape[d] * inner;
                if (t.RequiresGrad)
                {
                    var dx = t.GradSpan();
                    for (int o = 0; o < outer; o++)
                    {
                        var dst = dx.Slice(o * block, block);
                        TensorPrimitives.Add(dst, gd.Slice(o * total * inner + off, block), dst);
                    }
                }
                off += block;
            }
        });
    }
}
