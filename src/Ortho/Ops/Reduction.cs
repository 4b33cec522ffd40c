using System.Numerics.Tensors;

namespace Ortho;

public partial class Tensor
{
    /// <summary>Sum of all elements (a scalar tensor), accumulated in double in a fixed order.</summary>
    public Tensor Sum()
    {
        var y = Empty([]);
        y.Data[0] = Ops.Broadcast.SumDouble(Data);
        return Record(y, "sum", [this], g =>
        {
            var dx = GradSpan();
            TensorPrimitives.Add(dx, g.Data[0], dx);
        });
    }

    /// <summary>Mean of all elements (a scalar tensor).</summary>
    public Tensor Mean() => Sum() * (1f / Math.Max(1, Length));

    /// <summary>Sum over one dimension.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => ReduceAxis(dim, keepDim, mean: false);

    /// <summary>Mean over one dimension.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => ReduceAxis(dim, keepDim, mean: true);

    private (int Outer, int N, int Inner, int[] OutShape) AxisGeometry(int dim, bool keepDim, string op)
    {
        int d = NormalizeDim(dim, Rank, op);
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= _shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= _shape[i];
        var outShape = keepDim ? _shape.Select((s, i) => i == d ? 1 : s).ToArray() : _shape.Where((_, i) => i != d).ToArray();
        return (outer, _shape[d], inner, outShape);
    }

    private Tensor ReduceAxis(int dim, bool keepDim, bool mean)
    {
        var (outer, n, inner, outShape) = AxisGeometry(dim, keepDim, mean ? "mean" : "sum");
        float scale = mean ? 1f / Math.Max(1, n) : 1f;
        var y = Empty(outShape);
        var x = Data;
        var yd = y.Data;
        yd.Clear();
        for (int o = 0; o < outer; o++)
        {
            var dst = yd.Slice(o * inner, inner);
            for (int j = 0; j < n; j++) TensorPrimitives.Add(dst, x.Slice((o * n + j) * inner, inner), dst);
            if (mean) TensorPrimitives.Multiply(dst, scale, dst);
        }
        return Record(y, mean ? "mean" : "sum", [this], g =>
        {
            var dx = GradSpan();
            var gd = g.Data;
            for (int o = 0; o < outer; o++)
            {
                var src = gd.Slice(o * inner, inner);
                for (int j = 0; j < n; j++)
                {
                    var dst = dx.Slice((o * n + j) * inner, inner);
                    TensorPrimitives.MultiplyAdd(src, scale, dst, dst);
                }
            }
        });
    }

    /// <summary>Maximum of all elements; the gradient goes to the first maximal element.</summary>
    public Tensor Max()
    {
        if (Length == 0) throw new InvalidOperationException("Max() of an empty tensor.");
        int arg = TensorPrimitives.IndexOfMax(Data);
        var y = Empty([]);
        y.Data[0] = Data[arg];
        return Record(y, "max", [this], g => GradSpan()[arg] += g.Data[0]);
    }

    /// <summary>Maximum over one dimension; the gradient goes to the first maximal element of each slice.</summary>
    public Tensor Max(int dim, bool keepDim = false)
    {
        var (outer, n, inner, outShape) = AxisGeometry(dim, keepDim, "max");
        if (n == 0) throw new InvalidOperationException($"Max over dimension {dim} of size 0.");
        var y = Empty(outShape);
        var arg = new int[outer * inner];
        var x = Data;
        var yd = y.Data;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                float bv = x[o * n * inner + i];
                for (int j = 1; j < n; j++)
                {
                    float v = x[(o * n + j) * inner + i];
                    if (v > bv || (float.IsNaN(v) && !float.IsNaN(bv))) { bv = v; best = j; }
                }
                yd[o * inner + i] = bv;
                arg[o * inner + i] = best;
            }
        return Record(y, "max", [this], g =>
        {
            var dx = GradSpan();
            var gd = g.Data;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                    dx[(o * n + arg[o * inner + i]) * inner + i] += gd[o * inner + i];
        });
    }
}
