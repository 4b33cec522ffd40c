using System.Runtime.Intrinsics;

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
        NnArgs.Dims(rows, cols, nameof(rows), nameof(cols));
        NnArgs.Length(x.Length, (long)rows * cols, nameof(x));
        NnArgs.Length(y.Length, (long)rows * cols, nameof(y));
        if (rows == 0) return;
        fixed (float* py = y, px = x)
        {
            int chunks = RowOps.RowChunks(rows, cols, out int per);
            if (chunks <= 1) ForwardRows(py, px, 0, rows, cols);
            else Parallel(chunks, per, rows, (nint)py, (nint)px, cols, static (a, b, r0, r1, c) => ForwardRows((float*)a, (float*)b, r0, r1, c));
        }
    }

    /// <summary>dx += y (dy - sum(dy y)) per row, from the saved output y. dx, y, dy: rows*cols.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols)
    {
        NnArgs.Dims(rows, cols, nameof(rows), nameof(cols));
        long n = (long)rows * cols;
        NnArgs.Length(dx.Length, n, nameof(dx));
        NnArgs.Length(y.Length, n, nameof(y));
        NnArgs.Length(dy.Length, n, nameof(dy));
        if (rows == 0) return;
        fixed (float* pdx = dx, py = y, pdy = dy)
        {
            int chunks = RowOps.RowChunks(rows, cols, out int per);
            if (chunks <= 1) BackwardRows(pdx, py, pdy, 0, rows, cols);
            else Parallel(chunks, per, rows, (nint)pdx, (nint)py, (nint)pdy, cols,
                static (a, b, c, r0, r1, k) => BackwardRows((float*)a, (float*)b, (float*)c, r0, r1, k));
        }
    }

    internal static void Parallel(int chunks, int per, int rows, nint a, nint b, int cols, Action<nint, nint, int, int, int> body) =>
        EngineSettings.ParallelFor(chunks, c => body(a, b, c * per, Math.Min(rows, (c + 1) * per), cols));

    internal static void Parallel(int chunks, int per, int rows, nint a, nint b, nint d, int cols, Action<nint, nint, nint, int, int, int> body) =>
        EngineSettings.ParallelFor(chunks, c => body(a, b, d, c * per, Math.Min(rows, (c + 1) * per), cols));

    private static void ForwardRows(float* y, float* x, int r0, int r1, int cols)
    {
        for (int r = r0; r < r1; r++)
        {
            float* xr = x + (long)r * cols, yr = y + (long)r * cols;
            float m = RowOps.Max(xr, cols);
            float s = RowOps.ExpStore(xr, yr, cols, m);
            RowOps.Divide(yr, cols, s);
        }
    }

    private static void BackwardRows(float* dx, float* y, float* dy, int r0, int r1, int cols)
    {
        for (int r = r0; r < r1; r++)
        {
            long o = (long)r * cols;
            float* dxr = dx + o, yr = y + o, dyr = dy + o;
            float d = RowOps.Dot(dyr, yr, cols);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
                for (Vector512<float> vd = Vector512.Create(d); i + 16 <= cols; i += 16)
                    Vector512.FusedMultiplyAdd(Vector512.Load(yr + i), Vector512.Load(dyr + i) - vd, Vector512.Load(dxr + i)).Store(dxr + i);
            if (Vector256.IsHardwareAccelerated)
                for (Vector256<float> vd = Vector256.Create(d); i + 8 <= cols; i += 8)
                    Vector256.FusedMultiplyAdd(Vector256.Load(yr + i), Vector256.Load(dyr + i) - vd, Vector256.Load(dxr + i)).Store(dxr + i);
            for (; i < cols; i++) dxr[i] = MathF.FusedMultiplyAdd(yr[i], dyr[i] - d, dxr[i]);
        }
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
        NnArgs.Dims(rows, cols, nameof(rows), nameof(cols));
        NnArgs.Length(x.Length, (long)rows * cols, nameof(x));
        NnArgs.Length(y.Length, (long)rows * cols, nameof(y));
        if (rows == 0) return;
        fixed (float* py = y, px = x)
        {
            int chunks = RowOps.RowChunks(rows, cols, out int per);
            if (chunks <= 1) ForwardRows(py, px, 0, rows, cols);
            else SoftmaxKernels.Parallel(chunks, per, rows, (nint)py, (nint)px, cols, static (a, b, r0, r1, c) => ForwardRows((float*)a, (float*)b, r0, r1, c));
        }
    }

    /// <summary>dx += dy - exp(y) sum(dy) per row, from the saved output y. dx, y, dy: rows*cols.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int rows, int cols)
    {
        NnArgs.Dims(rows, cols, nameof(rows), nameof(cols));
        long n = (long)rows * cols;
        NnArgs.Length(dx.Length, n, nameof(dx));
        NnArgs.Length(y.Length, n, nameof(y));
        NnArgs.Length(dy.Length, n, nameof(dy));
        if (rows == 0) return;
        fixed (float* pdx = dx, py = y, pdy = dy)
        {
            int chunks = RowOps.RowChunks(rows, cols, out int per);
            if (chunks <= 1) BackwardRows(pdx, py, pdy, 0, rows, cols);
            else SoftmaxKernels.Parallel(chunks, per, rows, (nint)pdx, (nint)py, (nint)pdy, cols,
                static (a, b, c, r0, r1, k) => BackwardRows((float*)a, (float*)b, (float*)c, r0, r1, k));
        }
    }

    private static void ForwardRows(float* y, float* x, int r0, int r1, int cols)
    {
        for (int r = r0; r < r1; r++)
        {
            float* xr = x + (long)r * cols, yr = y + (long)r * cols;
            float m = RowOps.Max(xr, cols);
            float logS = MathF.Log(RowOps.SumExp(xr, cols, m));
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
                for (Vector512<float> vm = Vector512.Create(m), vl = Vector512.Create(logS); i + 16 <= cols; i += 16)
                    (Vector512.Load(xr + i) - vm - vl).Store(yr + i);
            if (Vector256.IsHardwareAccelerated)
                for (Vector256<float> vm = Vector256.Create(m), vl = Vector256.Create(logS); i + 8 <= cols; i += 8)
                    (Vector256.Load(xr + i) - vm - vl).Store(yr + i);
            for (; i < cols; i++) yr[i] = xr[i] - m - logS;
        }
    }

    private static void BackwardRows(float* dx, float* y, float* dy, int r0, int r1, int cols)
    {
        for (int r = r0; r < r1; r++)
        {
            long o = (long)r * cols;
            float* dxr = dx + o, yr = y + o, dyr = dy + o;
            float sdy = RowOps.Sum(dyr, cols);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
                for (Vector512<float> vs = Vector512.Create(-sdy); i + 16 <= cols; i += 16)
                    (Vector512.Load(dxr + i) + Vector512.FusedMultiplyAdd(VMath.Exp(Vector512.Load(yr + i)), vs, Vector512.Load(dyr + i))).Store(dxr + i);
            if (Vector256.IsHardwareAccelerated)
                for (Vector256<float> vs = Vector256.Create(-sdy); i + 8 <= cols; i += 8)
                    (Vector256.Load(dxr + i) + Vector256.FusedMultiplyAdd(VMath.Exp(Vector256.Load(yr + i)), vs, Vector256.Load(dyr + i))).Store(dxr + i);
            for (; i < cols; i++) dxr[i] += MathF.FusedMultiplyAdd(VMath.Exp(yr[i]), -sdy, dyr[i]);
        }
    }
}
