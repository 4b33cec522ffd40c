using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
/// Generic elementwise drivers (Vector512 main loop, a Vector256 step, scalar tail) and a few simple
/// pointwise kernels. Spans must have equal lengths; the output may be the same span as an input (in place),
/// but must not partially overlap it. Very large spans are split into coarse chunks run through
/// <see cref="EngineSettings.ParallelFor"/>; results never depend on the thread count.
/// </summary>
/// <remarks>Argument order follows TensorPrimitives: inputs first, destination last.</remarks>
public static class ElementwiseKernels
{
    /// <summary>Elements per parallel chunk; spans shorter than two chunks run on the calling thread.</summary>
    internal const int ParallelChunkElements = 1 << 20;

    /// <summary>y[i] = TOp(x[i]).</summary>
    public static unsafe void Map<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IUnaryOp
    {
        NnArgs.SameLength(x.Length, y.Length, nameof(y));
        int n = x.Length;
        int chunks = ChunkCount(n);
        if (chunks <= 1)
        {
            MapCore<TOp>(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), (nuint)n);
            return;
        }
        fixed (float* px = x, py = y) MapParallel<TOp>((nint)px, (nint)py, n, chunks);
    }

    /// <summary>y[i] = TOp(a[i], b[i]).</summary>
    public static unsafe void Zip<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IBinaryOp
    {
        NnArgs.SameLength(a.Length, b.Length, nameof(b));
        NnArgs.SameLength(a.Length, y.Length, nameof(y));
        int n = a.Length;
        int chunks = ChunkCount(n);
        if (chunks <= 1)
        {
            ZipCore<TOp, Overwrite>(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), ref MemoryMarshal.GetReference(y), (nuint)n);
            return;
        }
        fixed (float* pa = a, pb = b, py = y) ZipParallel<TOp, Overwrite>((nint)pa, (nint)pb, (nint)py, n, chunks);
    }

    /// <summary>y[i] += TOp(a[i], b[i]). With a backward operator: dx += op(x, dy).</summary>
    public static unsafe void ZipAccumulate<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IBinaryOp
    {
        NnArgs.SameLength(a.Length, b.Length, nameof(b));
        NnArgs.SameLength(a.Length, y.Length, nameof(y));
        int n = a.Length;
        int chunks = ChunkCount(n);
        if (chunks <= 1)
        {
            ZipCore<TOp, Accumulate>(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), ref MemoryMarshal.GetReference(y), (nuint)n);
            return;
        }
        fixed (float* pa = a, pb = b, py = y) ZipParallel<TOp, Accumulate>((nint)pa, (nint)pb, (nint)py, n, chunks);
    }

    // The parallel paths live in their own methods so that the serial path allocates no closure.
    private static unsafe void MapParallel<TOp>(nint x, nint y, int n, int chunks) where TOp : struct, IUnaryOp =>
        EngineSettings.ParallelFor(chunks, c =>
        {
            var (start, len) = ChunkRange(n, chunks, c);
            MapCore<TOp>(ref *((float*)x + start), ref *((float*)y + start), (nuint)len);
        });

    private static unsafe void ZipParallel<TOp, TMode>(nint a, nint b, nint y, int n, int chunks)
        where TOp : struct, IBinaryOp where TMode : struct, IStoreMode =>
        EngineSettings.ParallelFor(chunks, c =>
        {
            var (start, len) = ChunkRange(n, chunks, c);
            ZipCore<TOp, TMode>(ref *((float*)a + start), ref *((float*)b + start), ref *((float*)y + start), (nuint)len);
        });

    /// <summary>y = e^x (this library's vectorized exp, a few ulp).</summary>
    public static void Exp(Span<float> y, ReadOnlySpan<float> x) => Map<ExpOp>(x, y);

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
    public static void Erf(Span<float> y, ReadOnlySpan<float> x) => Map<ErfOp>(x, y);

    internal readonly struct ExpOp : IUnaryOp
    {
        public static float Invoke(float x) => VMath.Exp(x);
        public static Vector256<float> Invoke(Vector256<float> x) => VMath.Exp(x);
        public static Vector512<float> Invoke(Vector512<float> x) => VMath.Exp(x);
    }

    internal readonly struct ErfOp : IUnaryOp
    {
        public static float Invoke(float x) => VMath.Erf(x);
        public static Vector256<float> Invoke(Vector256<float> x) => VMath.Erf(x);
        public static Vector512<float> Invoke(Vector512<float> x) => VMath.Erf(x);
    }

    // ------------------------------------------------------------------ cores

    internal interface IStoreMode
    {
        static abstract bool Accumulates { get; }
    }

    internal readonly struct Overwrite : IStoreMode
    {
        public static bool Accumulates => false;
    }

    internal readonly struct Accumulate : IStoreMode
    {
        public static bool Accumulates => true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MapCore<TOp>(ref float x, ref float y, nuint n) where TOp : struct, IUnaryOp
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
                TOp.Invoke(Vector512.LoadUnsafe(ref x, i)).StoreUnsafe(ref y, i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
                TOp.Invoke(Vector256.LoadUnsafe(ref x, i)).StoreUnsafe(ref y, i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref y, i) = TOp.Invoke(Unsafe.Add(ref x, i));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ZipCore<TOp, TMode>(ref float a, ref float b, ref float y, nuint n)
        where TOp : struct, IBinaryOp where TMode : struct, IStoreMode
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                Vector512<float> r = TOp.Invoke(Vector512.LoadUnsafe(ref a, i), Vector512.LoadUnsafe(ref b, i));
                if (TMode.Accumulates) r = Vector512.LoadUnsafe(ref y, i) + r;
                r.StoreUnsafe(ref y, i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                Vector256<float> r = TOp.Invoke(Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i));
                if (TMode.Accumulates) r = Vector256.LoadUnsafe(ref y, i) + r;
                r.StoreUnsafe(ref y, i);
            }
        }
        for (; i < n; i++)
        {
            float r = TOp.Invoke(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i));
            if (TMode.Accumulates) r = Unsafe.Add(ref y, i) + r;
            Unsafe.Add(ref y, i) = r;
        }
    }

    /// <summary>Number of coarse chunks for an elementwise pass over n elements (1 = run inline).</summary>
    internal static int ChunkCount(int n) => EngineSettings.Threads <= 1 ? 1 : Math.Max(1, n / ParallelChunkElements);

    /// <summary>The [start, start + length) range of chunk c of n elements split into chunks, aligned to 16.</summary>
    internal static (int Start, int Length) ChunkRange(int n, int chunks, int c)
    {
        int per = (int)(((long)n / chunks + 15) & ~15L);
        int start = Math.Min(n, c * per);
        int end = c == chunks - 1 ? n : Math.Min(n, start + per);
        return (start, end - start);
    }
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
