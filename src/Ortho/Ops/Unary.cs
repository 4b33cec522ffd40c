using System.Numerics.Tensors;

namespace Ortho;

public partial class Tensor
{
    /// <summary>Accumulates dx from (x, y, dy) for an elementwise op.</summary>
    internal delegate void UnaryBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);

    /// <summary>Elementwise op with a hand-written backward; the forward saves x and y. <paramref name="activation"/>:
    /// the op is an activation function (tanh, sigmoid, relu, silu, gelu). <paramref name="backwardWrite"/>, when given,
    /// writes dx instead of adding to it, for the first gradient to reach x (no zeroing pass).</summary>
    internal Tensor Unary(string op, SpanAction forward, UnaryBackward backward, bool activation = false, UnaryBackward? backwardWrite = null)
    {
        var y = Empty(_shape);
        forward(Data, y.Data);
        return Record(y, op, [this], g =>
        {
            if (backwardWrite == null) { backward(Data, y.Data, g.Data, GradSpan()); return; }
            var dx = GradSpan(out bool fresh);
            (fresh ? backwardWrite : backward)(Data, y.Data, g.Data, dx);
        }, activation);
    }

    /// <summary>Maps x to y elementwise.</summary>
    internal delegate void SpanAction(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>e^x.</summary>
    public Tensor Exp() => Unary("exp", static (x, y) => Kernels.ElementwiseKernels.Exp(y, x), static (x, y, dy, dx) => TensorPrimitives.MultiplyAdd(dy, y, dx, dx));

    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Unary("log", TensorPrimitives.Log, static (x, y, dy, dx) =>
    {
        for (int i = 0; i < dx.Length; i++) dx[i] += dy[i] / x[i];
    });

    /// <summary>Square root.</summary>
    public Tensor Sqrt() => Unary("sqrt", TensorPrimitives.Sqrt, static (x, y, dy, dx) =>
    {
        for (int i = 0; i < dx.Length; i++) dx[i] += 0.5f * dy[i] / y[i];
    });

    /// <summary>x raised to a constant power.</summary>
    public Tensor Pow(float exponent) => Unary("pow", (x, y) => TensorPrimitives.Pow(x, exponent, y), (x, y, dy, dx) =>
    {
        for (int i = 0; i < dx.Length; i++) dx[i] += dy[i] * exponent * MathF.Pow(x[i], exponent - 1f);
    });

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh() => Unary("tanh", static (x, y) => Kernels.TanhKernels.Forward(y, x), static (x, y, dy, dx) => Kernels.TanhKernels.BackwardFromOutput(dx, y, dy), activation: true);

    /// <summary>Logistic sigmoid.</summary>
    public Tensor Sigmoid() => Unary("sigmoid", static (x, y) => Kernels.SigmoidKernels.Forward(y, x), static (x, y, dy, dx) => Kernels.SigmoidKernels.BackwardFromOutput(dx, y, dy), activation: true);

    /// <summary>max(x, 0).</summary>
    public Tensor Relu() => Unary("relu", static (x, y) => Kernels.ReluKernels.Forward(y, x), static (x, y, dy, dx) => Kernels.ReluKernels.Backward(dx, x, dy), activation: true);

    /// <summary>x * sigmoid(x).</summary>
    public Tensor Silu() => Unary("silu", static (x, y) => Kernels.SiluKernels.Forward(y, x), static (x, y, dy, dx) => Kernels.SiluKernels.Backward(dx, x, dy), activation: true);

    /// <summary>GELU, exact erf form 0.5 x (1 + erf(x / sqrt 2)).</summary>
    public Tensor Gelu() => Unary("gelu", static (x, y) => Kernels.GeluKernels.Forward(y, x), static (x, y, dy, dx) => Kernels.GeluKernels.Backward(dx, x, dy), activation: true,
        backwardWrite: static (x, y, dy, dx) => Kernels.GeluKernels.BackwardWrite(dx, x, dy));

    /// <summary>GELU, tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
    public Tensor GeluTanh() => Unary("gelu_tanh", static (x, y) => Kernels.GeluTanhKernels.Forward(y, x), static (x, y, dy, dx) => Kernels.GeluTanhKernels.Backward(dx, x, dy), activation: true,
        backwardWrite: static (x, y, dy, dx) => Kernels.GeluTanhKernels.BackwardWrite(dx, x, dy));
}
