using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// Row softmax over the last dimension: for each of <c>rows</c> rows of <c>cols</c> values,
/// y = exp(x - max) / sum(exp(x - max)). Rows run in coarse parallel chunks; results never depend on the
/// thread count. y may be the same span as x.
/// </summary>
public static unsafe class SoftmaxKernels
{
    /// <summary>y = softmax(x) per row. x, y: rows*cols.</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, int rows, int cols)
    {
        if (!SoftmaxKernels.CheckForward(y.Length, x.Length, rows, cols)) return;
        fixed (float* py = y, px = x) ParallelChunks.Rows(rows, cols).RunSimd(new ForwardRows { Y = py, X = px, Cols = cols });
    }

    /// <summary>dx += y (dy - sum(dy y)) per row, from the saved output y. dx, y, dy: rows*cols.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols)
    {
        if (!SoftmaxKernels.CheckBackward(dx.Length, y.Length, dy.Length, rows, cols)) return;
        fixed (float* pdx = dx, py = y, pdy = dy) ParallelChunks.Rows(rows, cols).RunSimd(new BackwardRows { Dx = pdx, Y = py, Dy = pdy, Cols = cols });
    }

    /// <summary>Checks a forward pass's shapes (y, x: rows*cols); false when there is nothing to do.</summary>
    internal static bool CheckForward(int yLength, int xLength, int rows, int cols)
    {
        NnArgs.Dims(rows, cols, nameof(rows), nameof(cols));
        NnArgs.Length(xLength, (long)rows * cols, "x");
        NnArgs.Length(yLength, (long)rows * cols, "y");
        return rows > 0;
    }

    /// <summary>Checks a backward pass's shapes (dx, y, dy: rows*cols); false when there is nothing to do.</summary>
    internal static bool CheckBackward(int dxLength, int yLength, int dyLength, int rows, int cols)
    {
        NnArgs.Dims(rows, cols, nameof(rows), nameof(cols));
        long n = (long)rows * cols;
        NnArgs.Length(dxLength, n, "dx");
        NnArgs.Length(yLength, n, "y");
        NnArgs.Length(dyLength, n, "dy");
        return rows > 0;
    }

    private struct ForwardRows : ISimdRangeJob
    {
        public float* Y, X;
        public int Cols;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int r0, int r1) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            for (int r = r0; r < r1; r++)
            {
                float* xr = X + (long)r * Cols, yr = Y + (long)r * Cols;
                float m = RowOps.Max<TV, TOps>(xr, Cols);
                float s = RowOps.ExpStore<TV, TOps>(xr, yr, Cols, m);
                RowOps.Divide<TV, TOps>(yr, Cols, s);
            }
        }
    }

    private struct BackwardRows : ISimdRangeJob
    {
        public float* Dx, Y, Dy;
        public int Cols;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int r0, int r1) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            for (int r = r0; r < r1; r++)
            {
                long o = (long)r * Cols;
                float d = RowOps.Dot<TV, TOps>(Dy + o, Y + o, Cols);
                SimdLoop.Map<TV, TOps, GradStep>(new GradStep { Dx = Dx + o, Y = Y + o, Dy = Dy + o, D = d }, Cols);
            }
        }
    }

    // dx += y (dy - d).
    private struct GradStep : ISimdStep
    {
        public float* Dx, Y, Dy;
        public float D;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Store(Dx + i, TOps.Fma(TOps.Load(Y + i), TOps.Sub(TOps.Load(Dy + i), TOps.Splat(D)), TOps.Load(Dx + i)));
    }
}

/// <summary>
/// Row log-softmax over the last dimension: y = (x - max) - log(sum(exp(x - max))). Rows run in coarse
/// parallel chunks; results never depend on the thread count. y may be the same span as x.
/// </summary>
public static unsafe class LogSoftmaxKernels
{
    /// <summary>y = log_softmax(x) per row. x, y: rows*cols.</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, int rows, int cols)
    {
        if (!SoftmaxKernels.CheckForward(y.Length, x.Length, rows, cols)) return;
        fixed (float* py = y, px = x) ParallelChunks.Rows(rows, cols).RunSimd(new ForwardRows { Y = py, X = px, Cols = cols });
    }

    /// <summary>dx += dy - exp(y) sum(dy) per row, from the saved output y. dx, y, dy: rows*cols.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols)
    {
        if (!SoftmaxKernels.CheckBackward(dx.Length, y.Length, dy.Length, rows, cols)) return;
        fixed (float* pdx = dx, py = y, pdy = dy) ParallelChunks.Rows(rows, cols).RunSimd(new BackwardRows { Dx = pdx, Y = py, Dy = pdy, Cols = cols });
    }

    private struct ForwardRows : ISimdRangeJob
    {
        public float* Y, X;
        public int Cols;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int r0, int r1) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            for (int r = r0; r < r1; r++)
            {
                float* xr = X + (long)r * Cols;
                float m = RowOps.Max<TV, TOps>(xr, Cols);
                float logS = MathF.Log(RowOps.SumExp<TV, TOps>(xr, Cols, m));
                SimdLoop.Map<TV, TOps, ShiftStep>(new ShiftStep { Y = Y + (long)r * Cols, X = xr, M = m, LogS = logS }, Cols);
            }
        }
    }

    // y = x - m - logS.
    private struct ShiftStep : ISimdStep
    {
        public float* Y, X;
        public float M, LogS;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Store(Y + i, TOps.Sub(TOps.Sub(TOps.Load(X + i), TOps.Splat(M)), TOps.Splat(LogS)));
    }

    private struct BackwardRows : ISimdRangeJob
    {
        public float* Dx, Y, Dy;
        public int Cols;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int r0, int r1) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            for (int r = r0; r < r1; r++)
            {
                long o = (long)r * Cols;
                float sdy = RowOps.Sum<TV, TOps>(Dy + o, Cols);
                SimdLoop.Map<TV, TOps, GradStep>(new GradStep { Dx = Dx + o, Y = Y + o, Dy = Dy + o, NegSum = -sdy }, Cols);
            }
        }
    }

    // dx += exp(y) (-sum dy) + dy.
    private struct GradStep : ISimdStep
    {
        public float* Dx, Y, Dy;
        public float NegSum;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV> =>
            TOps.Store(Dx + i, TOps.Add(TOps.Load(Dx + i),
                TOps.Fma(VMath.Exp<TV, TOps>(TOps.Load(Y + i)), TOps.Splat(NegSum), TOps.Load(Dy + i))));
    }
}
