using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ortho.Kernels;

// Classical activation functions: forward y = f(x), backward dx += dy * f'(x) (accumulating).
// Every kernel takes spans of equal length; y may be x itself (in place). Large spans run in coarse
// parallel chunks (elementwise, so results never depend on the thread count).

/// <summary>Exact GELU, y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (PyTorch's <c>gelu</c> default).</summary>
/// <remarks>Computed as x Phi(x) with Phi from erfc, which stays accurate in the negative tail.</remarks>
public static class GeluKernels
{
    private const float InvSqrt2Pi = 0.39894228040143268f;

    /// <summary>y = gelu(x).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x) => ElementwiseKernels.Map<ForwardOp>(x, y);

    /// <summary>dx += dy (Phi(x) + x phi(x)).</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) =>
        ElementwiseKernels.ZipAccumulate<BackwardOp>(x, dy, dx);

    internal readonly struct ForwardOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float x) => x * VMath.NormCdf(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> x) => x * VMath.NormCdf(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> x) => x * VMath.NormCdf(x);
    }

    // phi(x) = exp(-x^2/2) / sqrt(2 pi) shares its exponential with Phi's tail branch.
    internal readonly struct BackwardOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float x, float dy)
        {
            float e = VMath.ExpNegHalfSquare(x);
            float cdf = VMath.NormCdf(x, e);
            return dy * MathF.FusedMultiplyAdd(x, InvSqrt2Pi * e, cdf);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
        {
            Vector256<float> e = VMath.ExpNegHalfSquare(x);
            Vector256<float> cdf = VMath.NormCdf(x, e);
            return dy * Vector256.FusedMultiplyAdd(x, Vector256.Create(InvSqrt2Pi) * e, cdf);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
        {
            Vector512<float> e = VMath.ExpNegHalfSquare(x);
            Vector512<float> cdf = VMath.NormCdf(x, e);
            return dy * Vector512.FusedMultiplyAdd(x, Vector512.Create(InvSqrt2Pi) * e, cdf);
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
    public static void Forward(Span<float> y, ReadOnlySpan<float> x) => ElementwiseKernels.Map<ForwardOp>(x, y);

    /// <summary>dx += dy gelu_tanh'(x).</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) =>
        ElementwiseKernels.ZipAccumulate<BackwardOp>(x, dy, dx);

    internal readonly struct ForwardOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float x)
        {
            float u2 = TwoK * x * MathF.FusedMultiplyAdd(A * x, x, 1f);
            return x / (1f + VMath.Exp(-u2));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> x)
        {
            Vector256<float> u2 = Vector256.Create(TwoK) * x * Vector256.FusedMultiplyAdd(Vector256.Create(A) * x, x, Vector256<float>.One);
            return x / (Vector256<float>.One + VMath.Exp(-u2));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> x)
        {
            Vector512<float> u2 = Vector512.Create(TwoK) * x * Vector512.FusedMultiplyAdd(Vector512.Create(A) * x, x, Vector512<float>.One);
            return x / (Vector512<float>.One + VMath.Exp(-u2));
        }
    }

    // d/dx [x s(u2)] = s + x s (1 - s) u2', with 1 - s from SigmoidPair (accurate where s is near 1).
    internal readonly struct BackwardOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float x, float dy)
        {
            float u2 = TwoK * x * MathF.FusedMultiplyAdd(A * x, x, 1f);
            float s = VMath.SigmoidPair(u2, out float c);
            float du2 = TwoK * MathF.FusedMultiplyAdd(ThreeA * x, x, 1f);
            return dy * MathF.FusedMultiplyAdd(x * s * c, du2, s);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
        {
            Vector256<float> one = Vector256<float>.One;
            Vector256<float> u2 = Vector256.Create(TwoK) * x * Vector256.FusedMultiplyAdd(Vector256.Create(A) * x, x, one);
            Vector256<float> s = VMath.SigmoidPair(u2, out Vector256<float> c);
            Vector256<float> du2 = Vector256.Create(TwoK) * Vector256.FusedMultiplyAdd(Vector256.Create(ThreeA) * x, x, one);
            return dy * Vector256.FusedMultiplyAdd(x * s * c, du2, s);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
        {
            Vector512<float> one = Vector512<float>.One;
            Vector512<float> u2 = Vector512.Create(TwoK) * x * Vector512.FusedMultiplyAdd(Vector512.Create(A) * x, x, one);
            Vector512<float> s = VMath.SigmoidPair(u2, out Vector512<float> c);
            Vector512<float> du2 = Vector512.Create(TwoK) * Vector512.FusedMultiplyAdd(Vector512.Create(ThreeA) * x, x, one);
            return dy * Vector512.FusedMultiplyAdd(x * s * c, du2, s);
        }
    }
}

/// <summary>SiLU (swish), y = x sigmoid(x).</summary>
public static class SiluKernels
{
    /// <summary>y = x sigmoid(x).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x) => ElementwiseKernels.Map<ForwardOp>(x, y);

    /// <summary>dx += dy s (1 + x (1 - s)), s = sigmoid(x).</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) =>
        ElementwiseKernels.ZipAccumulate<BackwardOp>(x, dy, dx);

    internal readonly struct ForwardOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float x) => x / (1f + VMath.Exp(-x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> x) => x / (Vector256<float>.One + VMath.Exp(-x));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> x) => x / (Vector512<float>.One + VMath.Exp(-x));
    }

    internal readonly struct BackwardOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float x, float dy)
        {
            float s = VMath.SigmoidPair(x, out float c);
            return dy * (s * MathF.FusedMultiplyAdd(x, c, 1f));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
        {
            Vector256<float> s = VMath.SigmoidPair(x, out Vector256<float> c);
            return dy * (s * Vector256.FusedMultiplyAdd(x, c, Vector256<float>.One));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
        {
            Vector512<float> s = VMath.SigmoidPair(x, out Vector512<float> c);
            return dy * (s * Vector512.FusedMultiplyAdd(x, c, Vector512<float>.One));
        }
    }
}

/// <summary>ReLU, y = max(x, 0) (NaN propagates); gradient 1 where x &gt; 0, else 0.</summary>
public static class ReluKernels
{
    /// <summary>y = max(x, 0).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x) => ElementwiseKernels.Map<ForwardOp>(x, y);

    /// <summary>dx += x &gt; 0 ? dy : 0.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) =>
        ElementwiseKernels.ZipAccumulate<BackwardOp>(x, dy, dx);

    internal readonly struct ForwardOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float x) => MathF.Max(x, 0f);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
    }

    internal readonly struct BackwardOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float x, float dy) => x > 0f ? dy : 0f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), dy, Vector256<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) =>
            Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), dy, Vector512<float>.Zero);
    }
}

/// <summary>Hyperbolic tangent activation.</summary>
public static class TanhKernels
{
    /// <summary>y = tanh(x).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x) => ElementwiseKernels.Map<ForwardOp>(x, y);

    /// <summary>dx += dy (1 - tanh(x)^2), computed from the input as sech(x)^2 (accurate where tanh is near +-1).</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) =>
        ElementwiseKernels.ZipAccumulate<BackwardOp>(x, dy, dx);

    /// <summary>dx += dy (1 - y^2), from the saved output y = tanh(x).</summary>
    public static void BackwardFromOutput(Span<float> dx, ReadOnlySpan<float> y, ReadOnlySpan<float> dy) =>
        ElementwiseKernels.ZipAccumulate<BackwardFromOutputOp>(y, dy, dx);

    internal readonly struct ForwardOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float x) => VMath.Tanh(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> x) => VMath.Tanh(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> x) => VMath.Tanh(x);
    }

    internal readonly struct BackwardFromOutputOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float y, float dy) => dy * MathF.FusedMultiplyAdd(-y, y, 1f);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) =>
            dy * Vector256.FusedMultiplyAdd(-y, y, Vector256<float>.One);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) =>
            dy * Vector512.FusedMultiplyAdd(-y, y, Vector512<float>.One);
    }

    // 1 - tanh(x)^2 = sech(x)^2 = 4 e / (1 + e)^2 with e = exp(-2|x|): no cancellation where tanh is near +-1.
    internal readonly struct BackwardOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float x, float dy)
        {
            float e = VMath.Exp(-2f * MathF.Abs(x));
            float d = 1f + e;
            return dy * (4f * e / (d * d));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
        {
            Vector256<float> e = VMath.Exp(Vector256.Create(-2f) * Vector256.Abs(x));
            Vector256<float> d = Vector256<float>.One + e;
            return dy * (Vector256.Create(4f) * e / (d * d));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
        {
            Vector512<float> e = VMath.Exp(Vector512.Create(-2f) * Vector512.Abs(x));
            Vector512<float> d = Vector512<float>.One + e;
            return dy * (Vector512.Create(4f) * e / (d * d));
        }
    }
}

/// <summary>Logistic sigmoid activation, y = 1 / (1 + e^-x).</summary>
public static class SigmoidKernels
{
    /// <summary>y = sigmoid(x).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x) => ElementwiseKernels.Map<ForwardOp>(x, y);

    /// <summary>dx += dy s (1 - s), s = sigmoid(x) recomputed from the input (1 - s without cancellation).</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) =>
        ElementwiseKernels.ZipAccumulate<BackwardOp>(x, dy, dx);

    /// <summary>dx += dy y (1 - y), from the saved output y = sigmoid(x).</summary>
    public static void BackwardFromOutput(Span<float> dx, ReadOnlySpan<float> y, ReadOnlySpan<float> dy) =>
        ElementwiseKernels.ZipAccumulate<BackwardFromOutputOp>(y, dy, dx);

    internal readonly struct ForwardOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float x) => VMath.Sigmoid(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> x) => VMath.Sigmoid(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> x) => VMath.Sigmoid(x);
    }

    internal readonly struct BackwardFromOutputOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float y, float dy) => dy * (y * (1f - y));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * (y * (Vector256<float>.One - y));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * (y * (Vector512<float>.One - y));
    }

    internal readonly struct BackwardOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Invoke(float x, float dy)
        {
            float s = VMath.SigmoidPair(x, out float c);
            return dy * (s * c);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy)
        {
            Vector256<float> s = VMath.SigmoidPair(x, out Vector256<float> c);
            return dy * (s * c);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy)
        {
            Vector512<float> s = VMath.SigmoidPair(x, out Vector512<float> c);
            return dy * (s * c);
        }
    }
}
