namespace Ortho.Ops;

/// <summary>NumPy-style broadcasting: shapes, strides, and the reduction that undoes a broadcast in backward.</summary>
internal static class Broadcast
{
    public static int[] Shape(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int r = Math.Max(a.Length, b.Length);
        var s = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i < r - a.Length ? 1 : a[i - (r - a.Length)];
            int db = i < r - b.Length ? 1 : b[i - (r - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Tensor.ShapeString(a)} and {Tensor.ShapeString(b)} cannot be broadcast (dimension {i}: {da} vs {db}).");
            s[i] = da == 1 ? db : da;
        }
        return s;
    }

    /// <summary>Strides of <paramref name="shape"/> aligned right to <paramref name="outShape"/>, 0 where broadcast.</summary>
    public static int[] Strides(ReadOnlySpan<int> shape, ReadOnlySpan<int> outShape)
    {
        int r = outShape.Length;
        var st = new int[r];
        int stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            int o = i + (r - shape.Length);
            st[o] = shape[i] == 1 && outShape[o] != 1 ? 0 : stride;
            stride *= shape[i];
        }
        return st;
    }

    /// <summary>
    /// Walks the rows of the output's last dimension, yielding the offsets of the output and of the two
    /// (broadcast) operands for each row.
    /// </summary>
    public ref struct RowIterator
    {
        private readonly ReadOnlySpan<int> _shape;
        private readonly int[] _sa, _sb;
        private readonly int _rows, _inner;
        private readonly Span<int> _idx;
        private int _q;

        public RowIterator(ReadOnlySpan<int> outShape, int[] sa, int[] sb, Span<int> scratch)
        {
            _shape = outShape; _sa = sa; _sb = sb;
            _inner = outShape.Length == 0 ? 1 : outShape[^1];
            _rows = _inner == 0 ? 0 : Tensor.CheckedLength(outShape) / _inner;
            _idx = scratch[..Math.Max(outShape.Length, 1)];
            _idx.Clear();
            _q = -1; A = 0; B = 0;
        }

        public int Out => _q * _inner;
        public int A { get; private set; }
        public int B { get; private set; }

        public bool MoveNext()
        {
            if (_q >= 0)
            {
                for (int d = _shape.Length - 2; d >= 0; d--)
                {
                    _idx[d]++;
                    A += _sa[d];
                    B += _sb[d];
                    if (_idx[d] < _shape[d]) break;
                    A -= _sa[d] * _shape[d];
                    B -= _sb[d] * _shape[d];
                    _idx[d] = 0;
                }
            }
            return ++_q < _rows;
        }
    }

    /// <summary>dst (of <paramref name="dstShape"/>) += src (of <paramref name="srcShape"/>) summed over broadcast dimensions.</summary>
    public static void AccumulateReduced(ReadOnlySpan<float> src, ReadOnlySpan<int> srcShape, Span<float> dst, ReadOnlySpan<int> dstShape)
    {
        if (src.Length == dst.Length)
        {
            Kernels.ElementwiseKernels.AddInto(dst, src);
            return;
        }
        if (dst.Length == 1)
        {
            dst[0] += SumDouble(src);
            return;
        }
        var sd = Strides(dstShape, srcShape);
        int r = srcShape.Length;
        int inner = srcShape[r - 1];
        bool innerBroadcast = sd[r - 1] == 0;
        int rows = inner == 0 ? 0 : src.Length / inner;
        Span<int> idx = stackalloc int[r];
        int od = 0;
        for (int q = 0; q < rows; q++)
        {
            var s = src.Slice(q * inner, inner);
            if (innerBroadcast) dst[od] += SumDouble(s);
            else
            {
                var d = dst.Slice(od, inner);
                System.Numerics.Tensors.TensorPrimitives.Add(d, s, d);
            }
            for (int k = r - 2; k >= 0; k--)
            {
                idx[k]++;
                od += sd[k];
                if (idx[k] < srcShape[k]) break;
                od -= sd[k] * srcShape[k];
                idx[k] = 0;
            }
        }
    }

    /// <summary>Sum with a double accumulator in a fixed order.</summary>
    public static float SumDouble(ReadOnlySpan<float> s)
    {
        double acc = 0;
        foreach (var v in s) acc += v;
        return (float)acc;
    }
}
