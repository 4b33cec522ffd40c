using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// A unary float operator evaluated per element at three widths. Implementations are structs whose
/// static members the generic drivers in <see cref="ElementwiseKernels"/> inline.
/// </summary>
/// <remarks>All three overloads must compute the same function; ideally with the same operations, so that
/// results do not depend on where an element falls in the span.</remarks>
public interface IUnaryOp
{
    /// <summary>Applies the operator to one value.</summary>
    static abstract float Invoke(float x);

    /// <summary>Applies the operator to each lane of a 256-bit vector.</summary>
    static abstract Vector256<float> Invoke(Vector256<float> x);

    /// <summary>Applies the operator to each lane of a 512-bit vector.</summary>
    static abstract Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>
/// A binary float operator evaluated per element at three widths. Backward operators of activations are
/// binary operators (x, dy) -&gt; contribution to dx, used with <see cref="ElementwiseKernels.ZipAccumulate{TOp}"/>.
/// </summary>
public interface IBinaryOp
{
    /// <summary>Applies the operator to one pair of values.</summary>
    static abstract float Invoke(float a, float b);

    /// <summary>Applies the operator to each pair of lanes of two 256-bit vectors.</summary>
    static abstract Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);

    /// <summary>Applies the operator to each pair of lanes of two 512-bit vectors.</summary>
    static abstract Vector512<float> Invoke(Vector512<float> a, Vector512<float> b);
}

/// <summary>
/// A unary float operator written once for every width (the library's own operators; user operators implement
/// <see cref="IUnaryOp"/>).
/// </summary>
internal interface ISimdUnaryOp
{
    /// <summary>Applies the operator to each lane.</summary>
    static abstract TV Invoke<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>;
}

/// <summary>A binary float operator written once for every width; see <see cref="ISimdUnaryOp"/>.</summary>
internal interface ISimdBinaryOp
{
    /// <summary>Applies the operator to each pair of lanes.</summary>
    static abstract TV Invoke<TV, TOps>(TV a, TV b) where TV : unmanaged where TOps : struct, ISimd<TV>;
}

/// <summary>
/// Generic elementwise drivers (the rows of <see cref="SimdLoop"/>: vectors of the dispatched width, a Vector256 step,
/// a scalar tail) and a few simple pointwise kernels. Spans must have equal lengths; the output may be the same span as
/// an input (in place), but must not partially overlap it. Very large spans are split into coarse chunks
/// (<see cref="ParallelChunks"/>, boundaries on 16-element multiples); results never depend on the thread count.
/// </summary>
/// <remarks>Argument order follows TensorPrimitives: inputs first, destination last.</remarks>
public static class ElementwiseKernels
{
    /// <summary>Elements per parallel chunk; spans shorter than two chunks run on the calling thread.</summary>
    internal const int ParallelChunkElements = 1 << 16;

    /// <summary>y[i] = TOp(x[i]).</summary>
    public static void Map<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IUnaryOp => Unary<UnaryBridge<TOp>>(x, y);

    /// <summary>y[i] = TOp(a[i], b[i]).</summary>
    public static void Zip<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IBinaryOp =>
        Binary<BinaryBridge<TOp>, No>(a, b, y);

    /// <summary>y[i] += TOp(a[i], b[i]). With a backward operator: dx += op(x, dy).</summary>
    public static void ZipAccumulate<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IBinaryOp =>
        Binary<BinaryBridge<TOp>, Yes>(a, b, y);

    /// <summary>y[i] = TOp(x[i]) for an operator written once over <see cref="ISimd{TV}"/>.</summary>
    internal static unsafe void Unary<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : struct, ISimdUnaryOp
    {
        NnArgs.SameLength(x.Length, y.Length, nameof(y));
        fixed (float* px = x, py = y) Chunks(x.Length).RunSimd(new MapJob<TOp> { X = px, Y = py });
    }

    /// <summary>y[i] = TOp(a[i], b[i]), or y[i] += TOp(a[i], b[i]) when <typeparamref name="TAccumulate"/> is <see cref="Yes"/>.</summary>
    internal static unsafe void Binary<TOp, TAccumulate>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
        where TOp : struct, ISimdBinaryOp where TAccumulate : struct, IFlag
    {
        NnArgs.SameLength(a.Length, b.Length, nameof(b));
        NnArgs.SameLength(a.Length, y.Length, nameof(y));
        fixed (float* pa = a, pb = b, py = y) Chunks(a.Length).RunSimd(new ZipJob<TOp, TAccumulate> { A = pa, B = pb, Y = py });
    }

    /// <summary>y[i] += TOp(a[i], b[i]) when <paramref name="accumulate"/>, else y[i] = TOp(a[i], b[i]).</summary>
    internal static void Binary<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, bool accumulate) where TOp : struct, ISimdBinaryOp
    {
        if (accumulate) Binary<TOp, Yes>(a, b, y);
        else Binary<TOp, No>(a, b, y);
    }

    /// <summary>The chunks of an elementwise pass over n elements.</summary>
    internal static ParallelChunks Chunks(int n) => ParallelChunks.Plan(n, n, ParallelChunkElements, EngineSettings.Threads, align: 16);

    /// <summary>y = a + b (y may be a or b).</summary>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Binary<AddOp, No>(a, b, y);

    /// <summary>y = a - b (y may be a or b).</summary>
    public static void Subtract(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Binary<SubOp, No>(a, b, y);

    /// <summary>y = a * b (y may be a or b).</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Binary<MulOp, No>(a, b, y);

    /// <summary>y = a / b (y may be a or b).</summary>
    public static void Divide(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Binary<DivOp, No>(a, b, y);

    /// <summary>y = 0 (fresh gradient buffers: split over the threads like the kernels that then accumulate into them).</summary>
    public static unsafe void Clear(Span<float> y)
    {
        fixed (float* py = y) Chunks(y.Length).Run(new ClearJob { Y = py });
    }

    private unsafe struct ClearJob : IRangeJob
    {
        public float* Y;

        public readonly void Run(int start, int end) => new Span<float>(Y + start, end - start).Clear();
    }

    /// <summary>y = x (split over the threads).</summary>
    public static unsafe void Copy(ReadOnlySpan<float> x, Span<float> y)
    {
        NnArgs.SameLength(x.Length, y.Length, nameof(y));
        fixed (float* px = x, py = y) Chunks(x.Length).Run(new CopyJob { X = px, Y = py });
    }

    private unsafe struct CopyJob : IRangeJob
    {
        public float* X, Y;

        public readonly void Run(int start, int end) => new ReadOnlySpan<float>(X + start, end - start).CopyTo(new Span<float>(Y + start, end - start));
    }

    /// <summary>y += x: gradient accumulation.</summary>
    public static void AddInto(Span<float> y, ReadOnlySpan<float> x) => Binary<AddOp, No>(y, x, y);

    // One IEEE operation each: the same bits as TensorPrimitives or a scalar loop.
    private readonly struct AddOp : ISimdBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV a, TV b) where TV : unmanaged where TOps : struct, ISimd<TV> => TOps.Add(a, b);
    }

    private readonly struct SubOp : ISimdBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV a, TV b) where TV : unmanaged where TOps : struct, ISimd<TV> => TOps.Sub(a, b);
    }

    private readonly struct MulOp : ISimdBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV a, TV b) where TV : unmanaged where TOps : struct, ISimd<TV> => TOps.Mul(a, b);
    }

    private readonly struct DivOp : ISimdBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV a, TV b) where TV : unmanaged where TOps : struct, ISimd<TV> => TOps.Div(a, b);
    }

    /// <summary>y = e^x (this library's vectorized exp, a few ulp).</summary>
    public static void Exp(Span<float> y, ReadOnlySpan<float> x) => Unary<ExpOp>(x, y);

    /// <summary>y = ln x (TensorPrimitives).</summary>
    public static void Log(Span<float> y, ReadOnlySpan<float> x)
    {
        NnArgs.SameLength(x.Length, y.Length, nameof(y));
        TensorPrimitives.Log(x, y);
    }

    /// <summary>y = sqrt x (correctly rounded).</summary>
    public static void Sqrt(Span<float> y, ReadOnlySpan<float> x)
    {
        NnArgs.SameLength(x.Length, y.Length, nameof(y));
        TensorPrimitives.Sqrt(x, y);
    }

    /// <summary>y = erf x (this library's vectorized erf, a few ulp).</summary>
    public static void Erf(Span<float> y, ReadOnlySpan<float> x) => Unary<ErfOp>(x, y);

    internal readonly struct ExpOp : ISimdUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV> => VMath.Exp<TV, TOps>(x);
    }

    internal readonly struct ErfOp : ISimdUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV> => VMath.Erf<TV, TOps>(x);
    }

    // ------------------------------------------------------------------ drivers

    private unsafe struct MapJob<TOp> : ISimdRangeJob where TOp : struct, ISimdUnaryOp
    {
        public float* X, Y;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int start, int end) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            SimdLoop.Map<TV, TOps, MapStep<TOp>>(new MapStep<TOp> { X = X + start, Y = Y + start }, end - start);
    }

    private unsafe struct MapStep<TOp> : ISimdStep where TOp : struct, ISimdUnaryOp
    {
        public float* X, Y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Store(Y + i, TOp.Invoke<TV, TOps>(TOps.Load(X + i)));
    }

    private unsafe struct ZipJob<TOp, TAccumulate> : ISimdRangeJob where TOp : struct, ISimdBinaryOp where TAccumulate : struct, IFlag
    {
        public float* A, B, Y;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int start, int end) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            SimdLoop.Map<TV, TOps, ZipStep<TOp, TAccumulate>>(new ZipStep<TOp, TAccumulate> { A = A + start, B = B + start, Y = Y + start }, end - start);
    }

    private unsafe struct ZipStep<TOp, TAccumulate> : ISimdStep where TOp : struct, ISimdBinaryOp where TAccumulate : struct, IFlag
    {
        public float* A, B, Y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV r = TOp.Invoke<TV, TOps>(TOps.Load(A + i), TOps.Load(B + i));
            if (TAccumulate.On) r = TOps.Add(TOps.Load(Y + i), r);
            TOps.Store(Y + i, r);
        }
    }

    // A user's IUnaryOp / IBinaryOp seen as an operator over ISimd: the JIT keeps only the branch of the width it compiles.
    private readonly struct UnaryBridge<TOp> : ISimdUnaryOp where TOp : struct, IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            if (typeof(TV) == typeof(Vector512<float>)) return To<Vector512<float>, TV>(TOp.Invoke(To<TV, Vector512<float>>(x)));
            if (typeof(TV) == typeof(Vector256<float>)) return To<Vector256<float>, TV>(TOp.Invoke(To<TV, Vector256<float>>(x)));
            if (typeof(TV) == typeof(float)) return To<float, TV>(TOp.Invoke(To<TV, float>(x)));
            throw new NotSupportedException($"IUnaryOp has no {typeof(TV).Name} overload.");
        }
    }

    private readonly struct BinaryBridge<TOp> : ISimdBinaryOp where TOp : struct, IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TV, TOps>(TV a, TV b) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            if (typeof(TV) == typeof(Vector512<float>)) return To<Vector512<float>, TV>(TOp.Invoke(To<TV, Vector512<float>>(a), To<TV, Vector512<float>>(b)));
            if (typeof(TV) == typeof(Vector256<float>)) return To<Vector256<float>, TV>(TOp.Invoke(To<TV, Vector256<float>>(a), To<TV, Vector256<float>>(b)));
            if (typeof(TV) == typeof(float)) return To<float, TV>(TOp.Invoke(To<TV, float>(a), To<TV, float>(b)));
            throw new NotSupportedException($"IBinaryOp has no {typeof(TV).Name} overload.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TTo To<TFrom, TTo>(TFrom v) => Unsafe.As<TFrom, TTo>(ref v);
}

/// <summary>Argument checks shared by the neural-network kernels.</summary>
internal static class NnArgs
{
    internal static void SameLength(int expected, int actual, string name)
    {
        if (expected != actual)
            throw new ArgumentException($"{name} has length {actual}; expected {expected}.", name);
    }

    internal static void Length(int actual, long expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has length {actual}; expected {expected}.", name);
    }

    internal static void LengthOrEmpty(int actual, long expected, string name)
    {
        if (actual != 0 && actual != expected)
            throw new ArgumentException($"{name} has length {actual}; expected {expected} (or empty).", name);
    }

    internal static void Dims(int rows, int cols, string rowsName, string colsName)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(rowsName, rows, "Must be non-negative.");
        if (cols <= 0) throw new ArgumentOutOfRangeException(colsName, cols, "Must be positive.");
    }
}
