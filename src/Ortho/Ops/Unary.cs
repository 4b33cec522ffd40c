using System.Numerics.Tensors;

namespace Ortho;

public partial class Tensor
{
    /// <summary>dx += (or, when <paramref name="accumulate"/> is false, dx =) the input gradient from (x, y, dy) for an elementwise op.</summary>
    internal delegate void UnaryBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, bool accumulate);

    /// <summary>Elementwise op with a hand-written backward; the forward saves x and y. <paramref name="activation"/>:
    /// the op is an activation function (tanh, sigmoid, relu, silu, gelu). The first gradient to reach x is written
    /// (<c>accumulate: false</c>), so its buffer needs no zeroing pass, and may be written over dy itself:
    /// <paramref name="backward"/> must be element-wise (read dy[i] before writing dx[i], never dy[j] for j != i).</summary>
    internal Tensor Unary(string op, SpanAction forward, UnaryBackward backward, bool activation = false)
    {
        var y = Empty(_shape);
        forward(Data, y.Data);
        return Record(y, op, [this], g =>
        {
            // Element-wise: dx may be dy's own buffer (every backward below reads dy[i] before it writes dx[i]).
            var dx = GradSpanInPlaceOf(g, out bool fresh);
            backward(Data, y.Data, g.Data, dx, accumulate: !fresh);
        }, activation);
    }

    /// <summary>Maps x to y elementwise.</summary>
    internal delegate void SpanAction(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>e^x.</summary>
    public Tensor Exp() => Unary("exp", static (x, y) => Kernels.ElementwiseKernels.Exp(y, x), static (x, y, dy, dx, acc) =>
    {
        if (acc) TensorPrimitives.MultiplyAdd(dy, y, dx, dx);
        else TensorPrimitives.Multiply(dy, y, dx);
    });

    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Unary("log", TensorPrimitives.Log, static (x, y, dy, dx, acc) =>
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = (acc ? dx[i] : 0f) + dy[i] / x[i];
    });

    /// <summary>Square root.</summary>
    public Tensor Sqrt() => Unary("sqrt", TensorPrimitives.Sqrt, static (x, y, dy, dx, acc) =>
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = (acc ? dx[i] : 0f) + 0.5f * dy[i] / y[i];
    });

    /// <summary>x raised to a constant power.</summary>
    public Tensor Pow(float exponent) => Unary("pow", (x, y) => TensorPrimitives.Pow(x, exponent, y), (x, y, dy, dx, acc) =>
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = (acc ? dx[i] : 0f) + dy[i] * exponent * MathF.Pow(x[i], exponent - 1f);
    });

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh() => Unary("tanh", static (x, y) => Kernels.TanhKernels.Forward(y, x), static (x, y, dy, dx, acc) => Kernels.TanhKernels.BackwardFromOutput(dx, y, dy, acc), activation: true);

    /// <summary>Logistic sigmoid.</summary>
    public Tensor Sigmoid() => Unary("sigmoid", static (x, y) => Kernels.SigmoidKernels.Forward(y, x), static (x, y, dy, dx, acc) => Kernels.SigmoidKernels.BackwardFromOutput(dx, y, dy, acc), activation: true);

    /// <summary>max(x, 0).</summary>
    public Tensor Relu() => Unary("relu", static (x, y) => Kernels.ReluKernels.Forward(y, x), static (x, y, dy, dx, acc) => Kernels.ReluKernels.Backward(dx, x, dy, acc), activation: true);

    /// <summary>x * sigmoid(x).</summary>
    public Tensor Silu() => Unary("silu", static (x, y) => Kernels.SiluKernels.Forward(y, x), static (x, y, dy, dx, acc) => Kernels.SiluKernels.Backward(dx, x, dy, acc), activation: true);

    /// <summary>GELU, exact erf form 0.5 x (1 + erf(x / sqrt 2)).</summary>
    public Tensor Gelu() => Unary("gelu", static (x, y) => Kernels.GeluKernels.Forward(y, x), static (x, y, dy, dx, acc) => Kernels.GeluKernels.Backward(dx, x, dy, acc), activation: true);

    /// <summary>GELU, tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
    public Tensor GeluTanh() => Unary("gelu_tanh", static (x, y) => Kernels.GeluTanhKernels.Forward(y, x), static (x, y, dy, dx, acc) => Kernels.GeluTanhKernels.Backward(dx, x, dy, acc), activation: true);
}
