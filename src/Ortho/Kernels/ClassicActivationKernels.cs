using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

// Classical activation functions: forward y = f(x), backward dx += dy * f'(x) (accumulating), each operator written
// once over ISimd. Every kernel takes spans of equal length; y may be x itself (in place). Large spans run in coarse
// parallel chunks (elementwise, so results never depend on the thread count).

/// <summary>Exact GELU, y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (PyTorch's <c>gelu</c> default).</summary>
/// <remarks>Computed as x Phi(x) with Phi from erfc, which stays accurate in the negative tail.</remarks>
public static class GeluKernels
{
    private const float InvSqrt2Pi = 0.39894228040143268f;

    /// <summary>y = gelu(x).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x) => ElementwiseKernels.Unary<ForwardOp>(x, y);

    /// <summary>dx += dy (Phi(x) + x phi(x)).</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) =>
        Backward(dx, x, dy, accumulate: true);

    /// <summary>As <see cref="Backward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>, or written (dx =) when
    /// <paramref name="accumulate"/> is false: for a gradient buffer nothing has reached yet.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, bool accumulate) =>
        ElementwiseKernels.Binary<BackwardOp>(x, dy, dx, accumulate);

    internal readonly struct ForwardOp : ISimdUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Mul(x, VMath.NormCdf<TV, TOps>(x));
    }

    // phi(x) = exp(-x^2/2) / sqrt(2 pi) shares its exponential with Phi's tail branch.
    internal readonly struct BackwardOp : ISimdBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x, TV dy) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV e = VMath.ExpNegHalfSquare<TV, TOps>(x);
            TV cdf = VMath.NormCdf<TV, TOps>(x, e);
            return TOps.Mul(dy, TOps.Fma(x, TOps.Mul(TOps.Splat(InvSqrt2Pi), e), cdf));
        }
    }
}

/// <summary>
/// Tanh-approximated GELU, y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (PyTorch's
/// <c>gelu(approximate="tanh")</c>, GPT-2's "gelu_new").
/// </summary>
/// <remarks>Computed as x sigmoid(2u) with u the tanh argument (the same function), accurate in both tails.</remarks>
public static class GeluTanhKernels
{
    private const float TwoK = 1.5957691216057308f; // 2 sqrt(2/pi)
    private const float A = 0.044715f;
    private const float ThreeA = 0.134145f;

    /// <summary>y = gelu_tanh(x).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x) => ElementwiseKernels.Unary<ForwardOp>(x, y);

    /// <summary>dx += dy gelu_tanh'(x).</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) =>
        Backward(dx, x, dy, accumulate: true);

    /// <summary>As <see cref="Backward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>, or written (dx =) when
    /// <paramref name="accumulate"/> is false: for a gradient buffer nothing has reached yet.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, bool accumulate) =>
        ElementwiseKernels.Binary<BackwardOp>(x, dy, dx, accumulate);

    // 2u = 2 sqrt(2/pi) x (1 + A x^2).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV TwoU<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        TOps.Mul(TOps.Mul(TOps.Splat(TwoK), x), TOps.Fma(TOps.Mul(TOps.Splat(A), x), x, TOps.Splat(1f)));

    internal readonly struct ForwardOp : ISimdUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Div(x, TOps.Add(TOps.Splat(1f), VMath.Exp<TV, TOps>(TOps.Neg(TwoU<TV, TOps>(x)))));
    }

    // d/dx [x s(u2)] = s + x s (1 - s) u2', with 1 - s from SigmoidPair (accurate where s is near 1).
    internal readonly struct BackwardOp : ISimdBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x, TV dy) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV s = VMath.SigmoidPair<TV, TOps>(TwoU<TV, TOps>(x), out TV c);
            TV du2 = TOps.Mul(TOps.Splat(TwoK), TOps.Fma(TOps.Mul(TOps.Splat(ThreeA), x), x, TOps.Splat(1f)));
            return TOps.Mul(dy, TOps.Fma(TOps.Mul(TOps.Mul(x, s), c), du2, s));
        }
    }
}

/// <summary>SiLU (swish), y = x sigmoid(x).</summary>
public static class SiluKernels
{
    /// <summary>y = x sigmoid(x).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x) => ElementwiseKernels.Unary<ForwardOp>(x, y);

    /// <summary>dx += dy s (1 + x (1 - s)), s = sigmoid(x).</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) =>
        Backward(dx, x, dy, accumulate: true);

    /// <summary>As <see cref="Backward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>, or written (dx =) when
    /// <paramref name="accumulate"/> is false: for a gradient buffer nothing has reached yet.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, bool accumulate) =>
        ElementwiseKernels.Binary<BackwardOp>(x, dy, dx, accumulate);

    internal readonly struct ForwardOp : ISimdUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Div(x, TOps.Add(TOps.Splat(1f), VMath.Exp<TV, TOps>(TOps.Neg(x))));
    }

    internal readonly struct BackwardOp : ISimdBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x, TV dy) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV s = VMath.SigmoidPair<TV, TOps>(x, out TV c);
            return TOps.Mul(dy, TOps.Mul(s, TOps.Fma(x, c, TOps.Splat(1f))));
        }
    }
}

/// <summary>ReLU, y = max(x, 0) (NaN propagates); gradient 1 where x &gt; 0, else 0.</summary>
public static class ReluKernels
{
    /// <summary>y = max(x, 0).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x) => ElementwiseKernels.Unary<ForwardOp>(x, y);

    /// <summary>dx += x &gt; 0 ? dy : 0.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) =>
        Backward(dx, x, dy, accumulate: true);

    /// <summary>As <see cref="Backward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>, or written (dx =) when
    /// <paramref name="accumulate"/> is false: for a gradient buffer nothing has reached yet.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, bool accumulate) =>
        ElementwiseKernels.Binary<BackwardOp>(x, dy, dx, accumulate);

    internal readonly struct ForwardOp : ISimdUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV> => TOps.Max(x, TOps.Zero);
    }

    internal readonly struct BackwardOp : ISimdBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x, TV dy) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Select(TOps.GreaterThan(x, TOps.Zero), dy, TOps.Zero);
    }
}

/// <summary>Hyperbolic tangent activation.</summary>
public static class TanhKernels
{
    /// <summary>y = tanh(x).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x) => ElementwiseKernels.Unary<ForwardOp>(x, y);

    /// <summary>dx += dy (1 - tanh(x)^2), computed from the input as sech(x)^2 (accurate where tanh is near +-1).</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) =>
        Backward(dx, x, dy, accumulate: true);

    /// <summary>As <see cref="Backward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>, or written (dx =) when
    /// <paramref name="accumulate"/> is false: for a gradient buffer nothing has reached yet.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, bool accumulate) =>
        ElementwiseKernels.Binary<BackwardOp>(x, dy, dx, accumulate);

    /// <summary>dx += dy (1 - y^2), from the saved output y = tanh(x).</summary>
    public static void BackwardFromOutput(Span<float> dx, ReadOnlySpan<float> y, ReadOnlySpan<float> dy) =>
        BackwardFromOutput(dx, y, dy, accumulate: true);

    /// <summary>As <see cref="BackwardFromOutput(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>, or written (dx =) when
    /// <paramref name="accumulate"/> is false: for a gradient buffer nothing has reached yet.</summary>
    public static void BackwardFromOutput(Span<float> dx, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, bool accumulate) =>
        ElementwiseKernels.Binary<BackwardFromOutputOp>(y, dy, dx, accumulate);

    internal readonly struct ForwardOp : ISimdUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV> => VMath.Tanh<TV, TOps>(x);
    }

    internal readonly struct BackwardFromOutputOp : ISimdBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV y, TV dy) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Mul(dy, TOps.Fma(TOps.Neg(y), y, TOps.Splat(1f)));
    }

    // 1 - tanh(x)^2 = sech(x)^2 = 4 e / (1 + e)^2 with e = exp(-2|x|): no cancellation where tanh is near +-1.
    internal readonly struct BackwardOp : ISimdBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x, TV dy) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV e = VMath.Exp<TV, TOps>(TOps.Mul(TOps.Splat(-2f), TOps.Abs(x)));
            TV d = TOps.Add(TOps.Splat(1f), e);
            return TOps.Mul(dy, TOps.Div(TOps.Mul(TOps.Splat(4f), e), TOps.Mul(d, d)));
        }
    }
}

/// <summary>Logistic sigmoid activation, y = 1 / (1 + e^-x).</summary>
public static class SigmoidKernels
{
    /// <summary>y = sigmoid(x).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x) => ElementwiseKernels.Unary<ForwardOp>(x, y);

    /// <summary>dx += dy s (1 - s), s = sigmoid(x) recomputed from the input (1 - s without cancellation).</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) =>
        Backward(dx, x, dy, accumulate: true);

    /// <summary>As <see cref="Backward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>, or written (dx =) when
    /// <paramref name="accumulate"/> is false: for a gradient buffer nothing has reached yet.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, bool accumulate) =>
        ElementwiseKernels.Binary<BackwardOp>(x, dy, dx, accumulate);

    /// <summary>dx += dy y (1 - y), from the saved output y = sigmoid(x).</summary>
    public static void BackwardFromOutput(Span<float> dx, ReadOnlySpan<float> y, ReadOnlySpan<float> dy) =>
        BackwardFromOutput(dx, y, dy, accumulate: true);

    /// <summary>As <see cref="BackwardFromOutput(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>, or written (dx =) when
    /// <paramref name="accumulate"/> is false: for a gradient buffer nothing has reached yet.</summary>
    public static void BackwardFromOutput(Span<float> dx, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, bool accumulate) =>
        ElementwiseKernels.Binary<BackwardFromOutputOp>(y, dy, dx, accumulate);

    internal readonly struct ForwardOp : ISimdUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV> => VMath.Sigmoid<TV, TOps>(x);
    }

    internal readonly struct BackwardFromOutputOp : ISimdBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV y, TV dy) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Mul(dy, TOps.Mul(y, TOps.Sub(TOps.Splat(1f), y)));
    }

    internal readonly struct BackwardOp : ISimdBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x, TV dy) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV s = VMath.SigmoidPair<TV, TOps>(x, out TV c);
            return TOps.Mul(dy, TOps.Mul(s, c));
        }
    }
}
