using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

// Classical activation functions: forward y = f(x), backward dx += dy * f'(x) (accumulating), each operator written
// once over ISimd. Every kernel takes spans of equal length; y may be x itself (in place). Large spans run in coarse
// parallel chunks (elementwise, so results never depend on the thread count).

/// <summary>Exact GELU, y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (PyTorch's <c>gelu</c> default).</summary>
/// <remarks>
/// For |x| below 7.75 (all but a vanishing share of the activations a network feeds it) both passes evaluate one
/// degree-8 polynomial, picked per lane from <see cref="GeluTables"/> (one permute per coefficient at Vector512): the
/// normal tail Q(u) = Phi(-u) forward, R(u) = u phi(u) - Phi(-u) backward, with u = |x|. That is about a third of the
/// work of the erfc and exp it replaces, to within 3.5 ulp. Vectors with a lane beyond (or NaN) also compute x Phi(x)
/// with Phi from erfc, which stays accurate deep in the negative tail, and take it for those lanes.
/// </remarks>
public static unsafe class GeluKernels
{
    private const float InvSqrt2Pi = 0.39894228040143268f;
    // Interval 31 reaches u = 7.875, where the index would wrap to 0; its upper half is the least accurate part of the
    // tables (4 ulp at the edge), so the fast path stops at its centre.
    private const float FastLimit = 7.75f;
    private const float RoundShifter = 12582912f; // 1.5 * 2^23: adding it rounds to an integer in the low mantissa bits
    private const int DegreeIsEight = 1 / (GeluTables.Degree == 8 ? 1 : 0); // the Horner steps below are written out for 8

    /// <summary>y = gelu(x).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x)
    {
        AlignedTables.Initialize();
        ElementwiseKernels.Unary<ForwardOp>(x, y);
    }

    /// <summary>dx += dy (Phi(x) + x phi(x)).</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) =>
        Backward(dx, x, dy, accumulate: true);

    /// <summary>As <see cref="Backward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>, or written (dx =) when
    /// <paramref name="accumulate"/> is false: for a gradient buffer nothing has reached yet.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, bool accumulate)
    {
        AlignedTables.Initialize();
        ElementwiseKernels.Binary<BackwardOp>(x, dy, dx, accumulate);
    }

    /// <summary>
    /// <see cref="GeluTables"/> copied onto cache lines of their own, allocated once and never freed: a lookup then reads
    /// two whole lines per coefficient (the assembly's data starts anywhere, and a load across two lines costs double).
    /// </summary>
    private static class AlignedTables
    {
        public static readonly nint Tail = Copy(GeluTables.Tail), SlopeRest = Copy(GeluTables.SlopeRest);

        /// <summary>
        /// Runs the initializer. The entry points call it before their kernels are first compiled, so the JIT finds the
        /// fields set and compiles them as constants (no initialization check and no reload inside the vector loop).
        /// </summary>
        public static void Initialize() => RuntimeHelpers.RunClassConstructor(typeof(AlignedTables).TypeHandle);

        private static nint Copy(ReadOnlySpan<float> data)
        {
            var p = (float*)NativeMemory.AlignedAlloc((nuint)data.Length * sizeof(float), CacheLine.Bytes);
            data.CopyTo(new Span<float>(p, data.Length));
            return (nint)p;
        }
    }

    /// <summary>
    /// One of <see cref="GeluTables"/>' functions at u &gt;= 0 (below <see cref="FastLimit"/>): interval k = round(4u)
    /// from the low bits of 4u + 1.5 * 2^23, t = 4u - k exactly, then Horner's rule on the interval's coefficients.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Piecewise<TV, TOps>(float* table, TV u) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        const int n = GeluTables.Intervals;
        TV k = TOps.Fma(u, TOps.Splat(GeluTables.PerUnit), TOps.Splat(RoundShifter));
        TV t = TOps.Fma(u, TOps.Splat(GeluTables.PerUnit), TOps.Sub(TOps.Splat(RoundShifter), k));
        TV r = TOps.Lookup32(table + 8 * n, k);
        r = TOps.Fma(r, t, TOps.Lookup32(table + 7 * n, k));
        r = TOps.Fma(r, t, TOps.Lookup32(table + 6 * n, k));
        r = TOps.Fma(r, t, TOps.Lookup32(table + 5 * n, k));
        r = TOps.Fma(r, t, TOps.Lookup32(table + 4 * n, k));
        r = TOps.Fma(r, t, TOps.Lookup32(table + 3 * n, k));
        r = TOps.Fma(r, t, TOps.Lookup32(table + 2 * n, k));
        r = TOps.Fma(r, t, TOps.Lookup32(table + n, k));
        return TOps.Fma(r, t, TOps.Lookup32(table, k));
    }

    internal readonly struct ForwardOp : ISimdUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV u = TOps.Abs(x);
            TV q = Piecewise<TV, TOps>((float*)AlignedTables.Tail, u);
            TV fast = TOps.Mul(x, TOps.Select(TOps.LessThan(x, TOps.Zero), q, TOps.Sub(TOps.Splat(1f), q)));
            if (TOps.AllLessThan(u, TOps.Splat(FastLimit))) return fast;
            return TOps.Select(TOps.LessThan(u, TOps.Splat(FastLimit)), fast, TOps.Mul(x, VMath.NormCdf<TV, TOps>(x)));
        }
    }

    // GELU'(x) = Phi(x) + x phi(x) = -R(|x|) for negative x, 1 + R(x) otherwise; beyond the tables phi(x) =
    // exp(-x^2/2) / sqrt(2 pi) shares its exponential with Phi's tail branch.
    internal readonly struct BackwardOp : ISimdBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x, TV dy) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV u = TOps.Abs(x);
            TV r = Piecewise<TV, TOps>((float*)AlignedTables.SlopeRest, u);
            TV slope = TOps.Select(TOps.LessThan(x, TOps.Zero), TOps.Neg(r), TOps.Add(TOps.Splat(1f), r));
            if (!TOps.AllLessThan(u, TOps.Splat(FastLimit)))
            {
                TV e = VMath.ExpNegHalfSquare<TV, TOps>(x);
                TV far = TOps.Fma(x, TOps.Mul(TOps.Splat(InvSqrt2Pi), e), VMath.NormCdf<TV, TOps>(x, e));
                slope = TOps.Select(TOps.LessThan(u, TOps.Splat(FastLimit)), slope, far);
            }
            return TOps.Mul(dy, slope);
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
