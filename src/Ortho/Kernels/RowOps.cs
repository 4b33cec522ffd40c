using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ortho.Kernels;

/// <summary>
/// Vectorized reductions and maps over one contiguous row, shared by the normalization, softmax and
/// cross-entropy kernels. Each uses a fixed evaluation order (one Vector512 accumulator, then a Vector256
/// step, then a scalar tail), so a row's result depends only on its data and the instruction set.
/// </summary>
internal static unsafe class RowOps
{
    /// <summary>Elements of work per parallel chunk of rows for the row kernels (roughly 0.3-1 ms); inputs
    /// smaller than two chunks run on the calling thread.</summary>
    internal const int ParallelChunkElements = 1 << 19;

    /// <summary>Splits rows into chunks of whole rows of about <see cref="ParallelChunkElements"/> elements each
    /// (1 chunk = run inline). The split only affects scheduling, never results.</summary>
    internal static int RowChunks(int rows, int cols, out int rowsPerChunk)
    {
        long total = (long)rows * cols;
        if (EngineSettings.Threads <= 1 || total < 2L * ParallelChunkElements)
        {
            rowsPerChunk = Math.Max(rows, 1);
            return 1;
        }
        rowsPerChunk = (int)Math.Max(1, ParallelChunkElements / cols);
        return (rows + rowsPerChunk - 1) / rowsPerChunk;
    }

    /// <summary>Runs body(rowStart, rowEnd) over row chunks, inline or via <see cref="EngineSettings.ParallelFor"/>.</summary>
    internal static void ForRowChunks(int rows, int cols, Action<int, int> body)
    {
        int chunks = RowChunks(rows, cols, out int per);
        if (chunks <= 1)
        {
            body(0, rows);
            return;
        }
        EngineSettings.ParallelFor(chunks, c => body(c * per, Math.Min(rows, (c + 1) * per)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Sum(float* x, int n)
    {
        int i = 0;
        float s = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> acc = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16) acc += Vector512.Load(x + i);
            s = Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && i + 8 <= n)
        {
            Vector256<float> acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8) acc += Vector256.Load(x + i);
            s += Vector256.Sum(acc);
        }
        for (; i < n; i++) s += x[i];
        return s;
    }

    /// <summary>Sum of (x - m)^2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float SumSquaredDeviations(float* x, int n, float m)
    {
        int i = 0;
        float s = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> acc = Vector512<float>.Zero, vm = Vector512.Create(m);
            for (; i + 16 <= n; i += 16)
            {
                Vector512<float> d = Vector512.Load(x + i) - vm;
                acc = Vector512.FusedMultiplyAdd(d, d, acc);
            }
            s = Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && i + 8 <= n)
        {
            Vector256<float> acc = Vector256<float>.Zero, vm = Vector256.Create(m);
            for (; i + 8 <= n; i += 8)
            {
                Vector256<float> d = Vector256.Load(x + i) - vm;
                acc = Vector256.FusedMultiplyAdd(d, d, acc);
            }
            s += Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float d = x[i] - m;
            s = MathF.FusedMultiplyAdd(d, d, s);
        }
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Dot(float* a, float* b, int n)
    {
        int i = 0;
        float s = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> acc = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc);
            s = Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && i + 8 <= n)
        {
            Vector256<float> acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc);
            s += Vector256.Sum(acc);
        }
        for (; i < n; i++) s = MathF.FusedMultiplyAdd(a[i], b[i], s);
        return s;
    }

    /// <summary>Maximum (NaN propagates; n &gt;= 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Max(float* x, int n)
    {
        int i = 0;
        float m = float.NegativeInfinity;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> acc = Vector512.Create(float.NegativeInfinity);
            for (; i + 16 <= n; i += 16) acc = Vector512.Max(acc, Vector512.Load(x + i));
            for (int k = 0; k < 16; k++) m = MathF.Max(m, acc.GetElement(k));
        }
        if (Vector256.IsHardwareAccelerated && i + 8 <= n)
        {
            Vector256<float> acc = Vector256.Create(float.NegativeInfinity);
            for (; i + 8 <= n; i += 8) acc = Vector256.Max(acc, Vector256.Load(x + i));
            for (int k = 0; k < 8; k++) m = MathF.Max(m, acc.GetElement(k));
        }
        for (; i < n; i++) m = MathF.Max(m, x[i]);
        return m;
    }

    /// <summary>Sum of exp(x - shift).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float SumExp(float* x, int n, float shift)
    {
        int i = 0;
        float s = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> acc = Vector512<float>.Zero, vs = Vector512.Create(shift);
            for (; i + 16 <= n; i += 16) acc += VMath.Exp(Vector512.Load(x + i) - vs);
            s = Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && i + 8 <= n)
        {
            Vector256<float> acc = Vector256<float>.Zero, vs = Vector256.Create(shift);
            for (; i + 8 <= n; i += 8) acc += VMath.Exp(Vector256.Load(x + i) - vs);
            s += Vector256.Sum(acc);
        }
        for (; i < n; i++) s += VMath.Exp(x[i] - shift);
        return s;
    }

    /// <summary>y = exp(x - shift) (y may equal x); returns the sum of y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ExpStore(float* x, float* y, int n, float shift)
    {
        int i = 0;
        float s = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> acc = Vector512<float>.Zero, vs = Vector512.Create(shift);
            for (; i + 16 <= n; i += 16)
            {
                Vector512<float> e = VMath.Exp(Vector512.Load(x + i) - vs);
                e.Store(y + i);
                acc += e;
            }
            s = Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && i + 8 <= n)
        {
            Vector256<float> acc = Vector256<float>.Zero, vs = Vector256.Create(shift);
            for (; i + 8 <= n; i += 8)
            {
                Vector256<float> e = VMath.Exp(Vector256.Load(x + i) - vs);
                e.Store(y + i);
                acc += e;
            }
            s += Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float e = VMath.Exp(x[i] - shift);
            y[i] = e;
            s += e;
        }
        return s;
    }

    /// <summary>y /= d.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Divide(float* y, int n, float d)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (Vector512<float> vd = Vector512.Create(d); i + 16 <= n; i += 16) (Vector512.Load(y + i) / vd).Store(y + i);
        if (Vector256.IsHardwareAccelerated)
            for (Vector256<float> vd = Vector256.Create(d); i + 8 <= n; i += 8) (Vector256.Load(y + i) / vd).Store(y + i);
        for (; i < n; i++) y[i] /= d;
    }

    /// <summary>dst += src.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void AddInto(float* dst, float* src, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) (Vector512.Load(dst + i) + Vector512.Load(src + i)).Store(dst + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) (Vector256.Load(dst + i) + Vector256.Load(src + i)).Store(dst + i);
        for (; i < n; i++) dst[i] += src[i];
    }
}
