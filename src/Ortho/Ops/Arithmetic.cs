using Ortho.Kernels;
using System.Numerics.Tensors;
using Ortho.Ops;

namespace Ortho;

public partial class Tensor
{
    private enum BinaryOp { Add, Sub, Mul, Div }

    /// <summary>Elementwise sum with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Add);

    /// <summary>Elementwise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Sub);

    /// <summary>Elementwise product with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Mul);

    /// <summary>Elementwise quotient with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Div);

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, float s) => a.AffineScalar(1f, s, "add_scalar");

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(float s, Tensor a) => a.AffineScalar(1f, s, "add_scalar");

    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, float s) => a.AffineScalar(1f, -s, "sub_scalar");

    /// <summary>Scalar minus tensor.</summary>
    public static Tensor operator -(float s, Tensor a) => a.AffineScalar(-1f, s, "rsub_scalar");

    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor a, float s) => a.AffineScalar(s, 0f, "mul_scalar");

    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(float s, Tensor a) => a.AffineScalar(s, 0f, "mul_scalar");

    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, float s)
    {
        var y = Empty(a._shape);
        TensorPrimitives.Divide(a.Data, s, y.Data); // a true division, bit-equal to PyTorch's
        return Record(y, "div_scalar", [a], g =>
        {
            var dx = a.GradSpan();
            for (int i = 0; i < dx.Length; i++) dx[i] += g.Data[i] / s;
        });
    }

    /// <summary>Scalar divided by tensor.</summary>
    public static Tensor operator /(float s, Tensor a) => Full(s, a.ShapeSpan.ToArray()) / a;

    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.AffineScalar(-1f, 0f, "neg");

    /// <summary>Elementwise sum with broadcasting.</summary>
    public Tensor Add(Tensor other) => this + other;

    /// <summary>Elementwise difference with broadcasting.</summary>
    public Tensor Sub(Tensor other) => this - other;

    /// <summary>Elementwise product with broadcasting.</summary>
    public Tensor Mul(Tensor other) => this * other;

    /// <summary>Elementwise quotient with broadcasting.</summary>
    public Tensor Div(Tensor other) => this / other;

    /// <summary>Negation.</summary>
    public Tensor Neg() => -this;

    /// <summary>y = scale * x + shift.</summary>
    private Tensor AffineScalar(float scale, float shift, string op)
    {
        var y = Empty(_shape);
        var x = Data;
        TensorPrimitives.Multiply(x, scale, y.Data);
        if (shift != 0f) TensorPrimitives.Add(y.Data, shift, y.Data);
        return Record(y, op, [this], g =>
        {
            var dx = GradSpan();
            TensorPrimitives.MultiplyAdd(g.Data, scale, dx, dx);
        });
    }

    private static Tensor Binary(Tensor a, Tensor b, BinaryOp op)
    {
        string name = op.ToString().ToLowerInvariant();
        var shape = a.ShapeSpan.SequenceEqual(b.ShapeSpan) ? a.Shape : Broadcast.Shape(a.ShapeSpan, b.ShapeSpan, name);
        var y = Empty(shape);
        Compute(a.Data, a.ShapeSpan, b.Data, b.ShapeSpan, y.Data, shape, op);
        return Record(y, name, [a, b], g => BinaryBackward(a, b, y, g, op));
    }

    /// <summary>out = a (op) b with broadcasting, using contiguous vector loops over the last dimension.</summary>
    private static void Compute(ReadOnlySpan<float> a, ReadOnlySpan<int> aShape, ReadOnlySpan<float> b, ReadOnlySpan<int> bShape,
        Span<float> y, int[] shape, BinaryOp op)
    {
        if (a.Length == y.Length && b.Length == y.Length) { Vec(a, b, y, op); return; }
        if (b.Length == 1 && a.Length == y.Length) { VecScalar(a, b[0], y, op); return; }
        var sa = Broadcast.Strides(aShape, shape);
        var sb = Broadcast.Strides(bShape, shape);
        int inner = shape[^1];
        bool aInner = sa[^1] != 0 || inner == 1, bInner = sb[^1] != 0 || inner == 1;
        var it = new Broadcast.RowIterator(shape, sa, sb, stackalloc int[shape.Length]);
        while (it.MoveNext())
        {
            var dst = y.Slice(it.Out, inner);
            if (aInner && bInner) Vec(a.Slice(it.A, inner), b.Slice(it.B, inner), dst, op);
            else if (aInner) VecScalar(a.Slice(it.A, inner), b[it.B], dst, op);
            else if (bInner) ScalarVec(a[it.A], b.Slice(it.B, inner), dst, op);
            else dst.Fill(Apply(a[it.A], b[it.B], op));
        }
    }

    private static float Apply(float a, float b, BinaryOp op) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        _ => a / b,
    };

    private static void Vec(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, BinaryOp op)
    {
        switch (op)
        {
            case BinaryOp.Add: ElementwiseKernels.Add(a, b, y); break;
            case BinaryOp.Sub: ElementwiseKernels.Subtract(a, b, y); break;
            case BinaryOp.Mul: ElementwiseKernels.Multiply(a, b, y); break;
            default: ElementwiseKernels.Divide(a, b, y); break;
        }
    }

    private static void VecScalar(ReadOnlySpan<float> a, float b, Span<float> y, BinaryOp op)
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(a, b, y); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(a, b, y); break;
            default: TensorPrimitives.Divide(a, b, y); break;
        }
    }

    private static void ScalarVec(float a, ReadOnlySpan<float> b, Span<float> y, BinaryOp op)
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(b, a, y); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(b, a, y); break;
            default: TensorPrimitives.Divide(a, b, y); break;
        }
    }

    /// <summary>
    /// x.grad += g reduced to x's shape. When g has x's shape and no gradient reached x yet: x takes g's buffer if
    /// <paramref name="share"/> (only one input of an op may, see <see cref="Tensor.TakeGrad"/>), else a copy.
    /// </summary>
    private static void PassThrough(Tensor g, ReadOnlySpan<int> gShape, Tensor x, bool share)
    {
        if (x.Length != g.Length) Broadcast.AccumulateReduced(g.Data, gShape, x.GradSpan(), x.ShapeSpan);
        else if (share) x.TakeGrad(g);
        else x.AddToGrad(g.Data);
    }

    private static void BinaryBackward(Tensor a, Tensor b, Tensor y, Tensor g, BinaryOp op)
    {
        var yShape = y.ShapeSpan;
        var gd = g.Data;
        float[]? tmp = null;
        try
        {
            if (a.RequiresGrad)
            {
                switch (op)
                {
                    case BinaryOp.Add:
                    case BinaryOp.Sub:
                        PassThrough(g, yShape, a, share: true);
                        break;
                    default: // d(a*b)/da = b, d(a/b)/da = 1/b
                        tmp ??= TensorPool.Rent(gd.Length);
                        var t = tmp.AsSpan(0, gd.Length);
                        Compute(gd, yShape, b.Data, b.ShapeSpan, t, y._shape, op);
                        Broadcast.AccumulateReduced(t, yShape, a.GradSpan(), a.ShapeSpan);
                        break;
                }
            }
            if (b.RequiresGrad && op == BinaryOp.Add) PassThrough(g, yShape, b, share: false);
            else if (b.RequiresGrad)
            {
                tmp ??= TensorPool.Rent(gd.Length);
                var t = tmp.AsSpan(0, gd.Length);
                switch (op)
                {
                    case BinaryOp.Sub:
                        TensorPrimitives.Negate(gd, t);
                        Broadcast.AccumulateReduced(t, yShape, b.GradSpan(), b.ShapeSpan);
                        break;
                    case BinaryOp.Mul:
                        Compute(gd, yShape, a.Data, a.ShapeSpan, t, y._shape, BinaryOp.Mul);
                        Broadcast.AccumulateReduced(t, yShape, b.GradSpan(), b.ShapeSpan);
                        break;
                    default: // d(a/b)/db = -y/b
                        Compute(y.Data, yShape, b.Data, b.ShapeSpan, t, y._shape, BinaryOp.Div);
                        TensorPrimitives.Multiply(t, gd, t);
                        TensorPrimitives.Negate(t, t);
                        Broadcast.AccumulateReduced(t, yShape, b.GradSpan(), b.ShapeSpan);
                        break;
                }
            }
        }
        finally
        {
            if (tmp != null) TensorPool.Return(tmp);
        }
    }
}
