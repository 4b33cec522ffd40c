using System.Buffers;
using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// Layer normalization over the last dimension (llm.c's layernorm_forward/backward): for each of
/// <c>rows</c> rows of <c>channels</c> values, out = (x - mean) * rstd * weight + bias with the biased
/// variance, rstd = 1 / sqrt(var + eps). weight and bias may be empty (no affine transform).
/// </summary>
/// <remarks>
/// Rows are independent, vectorized over channels and parallelized in coarse chunks of rows. In the backward
/// pass the weight and bias gradients are reduced over rows deterministically: rows are grouped into blocks
/// whose layout depends only on (rows, channels), each block sums into its own partial buffer (pooled, not
/// allocated per call), and the partials are added in block order, so results are bit-identical for any
/// <see cref="EngineSettings.Threads"/>.
/// </remarks>
public static unsafe class LayerNormKernels
{
    private const int MaxBlocks = 64;
    private const int BlockElements = 1 << 15;

    /// <summary>
    /// Forward pass. output, inp: rows*channels; mean, rstd: rows (saved for the backward pass; may be empty
    /// when not needed); weight, bias: channels or empty. output may be the same span as inp.
    /// </summary>
    public static void Forward(Span<float> output, Span<float> mean, Span<float> rstd, ReadOnlySpan<float> inp,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int rows, int channels, float eps)
    {
        NnArgs.Dims(rows, channels, nameof(rows), nameof(channels));
        long n = (long)rows * channels;
        NnArgs.Length(inp.Length, n, nameof(inp));
        NnArgs.Length(output.Length, n, nameof(output));
        NnArgs.LengthOrEmpty(mean.Length, rows, nameof(mean));
        NnArgs.LengthOrEmpty(rstd.Length, rows, nameof(rstd));
        NnArgs.LengthOrEmpty(weight.Length, channels, nameof(weight));
        NnArgs.LengthOrEmpty(bias.Length, channels, nameof(bias));
        if (rows == 0) return;
        fixed (float* po = output, pm = mean, ps = rstd, px = inp, pw = weight, pb = bias)
            ParallelChunks.Rows(rows, channels).RunSimd(new ForwardRows { O = po, Mean = pm, Rstd = ps, X = px, W = pw, B = pb, C = channels, Eps = eps });
    }

    /// <summary>
    /// Backward pass, accumulating: dinp += dL/dinput, dweight += dL/dweight, dbias += dL/dbias. mean and rstd
    /// are the forward pass's. dinp, dweight, dbias may each be empty to skip that gradient (dweight must be
    /// empty when weight is).
    /// </summary>
    public static void Backward(Span<float> dinp, Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> dout,
        ReadOnlySpan<float> inp, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        int rows, int channels)
    {
        NnArgs.Dims(rows, channels, nameof(rows), nameof(channels));
        long n = (long)rows * channels;
        NnArgs.LengthOrEmpty(dinp.Length, n, nameof(dinp));
        NnArgs.Length(dout.Length, n, nameof(dout));
        NnArgs.Length(inp.Length, n, nameof(inp));
        NnArgs.LengthOrEmpty(weight.Length, channels, nameof(weight));
        if (weight.IsEmpty && !dweight.IsEmpty)
            throw new ArgumentException("dweight must be empty when there is no weight.", nameof(dweight));
        NnArgs.LengthOrEmpty(dweight.Length, channels, nameof(dweight));
        NnArgs.LengthOrEmpty(dbias.Length, channels, nameof(dbias));
        NnArgs.Length(mean.Length, rows, nameof(mean));
        NnArgs.Length(rstd.Length, rows, nameof(rstd));
        if (rows == 0) return;

        int blockRows = Math.Max((rows + MaxBlocks - 1) / MaxBlocks, Math.Max(1, BlockElements / channels));
        int blocks = (rows + blockRows - 1) / blockRows;
        bool needW = !dweight.IsEmpty, needB = !dbias.IsEmpty;
        int perBlock = ((needW ? 1 : 0) + (needB ? 1 : 0)) * channels;
        // Each block's partials start on their own 64-byte line: two threads' blocks never share one.
        int stride = CacheLine.RoundUp(perBlock);
        float[]? scratch = perBlock > 0 ? ArrayPool<float>.Shared.Rent(blocks * stride + CacheLine.Floats) : null;
        try
        {
            fixed (float* pdi = dinp, pdw = dweight, pdb = dbias, pdo = dout, px = inp, pw = weight, pm = mean, ps = rstd, scr = scratch)
            {
                float* part = scr == null ? null : scr + CacheLine.FloatsToLine(scr);
                var job = new BackwardBlocks
                {
                    Dinp = pdi, Dout = pdo, X = px, W = pw, Mean = pm, Rstd = ps, Partials = part,
                    Rows = rows, Channels = channels, BlockRows = blockRows, Stride = stride, NeedW = needW, NeedB = needB,
                };
                // The blocks depend only on the shape; chunks of blocks only on the thread count.
                ParallelChunks.Plan(blocks, n, ParallelChunks.RowChunkElements).RunSimd(job);
                var combine = new CombineJob { Dw = pdw, Db = pdb, Partials = part, Blocks = blocks, PerBlock = perBlock, Stride = stride, Channels = channels, NeedW = needW };
                if (needW || needB) SimdDispatch.Run(ref combine);
            }
        }
        finally
        {
            if (scratch != null) ArrayPool<float>.Shared.Return(scratch);
        }
    }

    private struct ForwardRows : ISimdRangeJob
    {
        public float* O, Mean, Rstd, X, W, B;
        public int C;
        public float Eps;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int r0, int r1) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            int c = C;
            for (int r = r0; r < r1; r++)
            {
                float* xr = X + (long)r * c;
                float m = RowOps.Sum<TV, TOps>(xr, c) / c;
                float v = RowOps.SumSquaredDeviations<TV, TOps>(xr, c, m) / c;
                float s = 1f / MathF.Sqrt(v + Eps);
                if (Mean != null) Mean[r] = m;
                if (Rstd != null) Rstd[r] = s;
                var step = new NormalizeStep { X = xr, O = O + (long)r * c, W = W, B = B, M = m, S = s };
                if (W != null)
                {
                    if (B != null) SimdLoop.Map<TV, TOps, Affine<Yes, Yes>>(new() { Row = step }, c);
                    else SimdLoop.Map<TV, TOps, Affine<Yes, No>>(new() { Row = step }, c);
                }
                else if (B != null) SimdLoop.Map<TV, TOps, Affine<No, Yes>>(new() { Row = step }, c);
                else SimdLoop.Map<TV, TOps, Affine<No, No>>(new() { Row = step }, c);
            }
        }
    }

    private struct NormalizeStep
    {
        public float* X, O, W, B;
        public float M, S;
    }

    // o = (x - m) s, then * w + b (each if present: the flags say which).
    private struct Affine<THasW, THasB> : ISimdStep where THasW : struct, IFlag where THasB : struct, IFlag
    {
        public NormalizeStep Row;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV nv = TOps.Mul(TOps.Sub(TOps.Load(Row.X + i), TOps.Splat(Row.M)), TOps.Splat(Row.S));
            if (THasW.On) nv = THasB.On ? TOps.Fma(nv, TOps.Load(Row.W + i), TOps.Load(Row.B + i)) : TOps.Mul(nv, TOps.Load(Row.W + i));
            else if (THasB.On) nv = TOps.Add(nv, TOps.Load(Row.B + i));
            TOps.Store(Row.O + i, nv);
        }
    }

    private struct BackwardBlocks : ISimdRangeJob
    {
        public float* Dinp, Dout, X, W, Mean, Rstd, Partials;
        public int Rows, Channels, BlockRows, Stride;
        public bool NeedW, NeedB;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>(int b0, int b1) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            for (int blk = b0; blk < b1; blk++) Block<TV, TOps>(blk);
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private readonly void Block<TV, TOps>(int blk) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            int c = Channels;
            int r0 = blk * BlockRows, r1 = Math.Min(Rows, r0 + BlockRows);
            float* pw = NeedW ? Partials + (long)blk * Stride : null;
            float* pb = NeedB ? Partials + (long)blk * Stride + (NeedW ? c : 0) : null;
            if (pw != null) new Span<float>(pw, c).Clear();
            if (pb != null) new Span<float>(pb, c).Clear();
            int r = r0;
            // Two rows at a time: the partial dweight and dbias are loaded and stored once for both, and each lane still
            // adds the first row's term before the second's (the bits of one row at a time).
            for (; r + 1 < r1; r += 2)
                SimdLoop.Map<TV, TOps, GradStep2>(new GradStep2 { A = Row<TV, TOps>(r), B = Row<TV, TOps>(r + 1), Pw = pw, Pb = pb }, c);
            for (; r < r1; r++)
                SimdLoop.Map<TV, TOps, GradStep>(new GradStep { Row = Row<TV, TOps>(r), Pw = pw, Pb = pb }, c);
        }

        // Pass 1 of row r: the means of g = w * dout and of g * xhat, for pass 2: dinp += (g - m1 - xhat m2) s.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly GradRow Row<TV, TOps>(int r) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            int c = Channels;
            float* x = X + (long)r * c, dout = Dout + (long)r * c;
            float m = Mean[r], s = Rstd[r];
            SimdLoop.Sum2<TV, TOps, MeansFold>(new MeansFold { X = x, Dout = dout, W = W, M = m, S = s }, c, out float sumG, out float sumGN);
            return new GradRow { X = x, Dout = dout, W = W, Dinp = Dinp != null ? Dinp + (long)r * c : null, M = m, S = s, M1 = sumG / c, M2 = sumGN / c };
        }
    }

    // Sums of g = w dout and of g xhat, xhat = (x - m) s.
    private struct MeansFold : ISimdFold2
    {
        public float* X, Dout, W;
        public float M, S;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(ref TV sumG, ref TV sumGN, nint i) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV d = TOps.Load(Dout + i);
            TV g = W != null ? TOps.Mul(TOps.Load(W + i), d) : d;
            TV xh = TOps.Mul(TOps.Sub(TOps.Load(X + i), TOps.Splat(M)), TOps.Splat(S));
            sumG = TOps.Add(sumG, g);
            sumGN = TOps.Fma(g, xh, sumGN);
        }
    }

    // One row's pass 2: dinp += (g - m1 - xhat m2) s, returning dout and xhat for the partial sums.
    private struct GradRow
    {
        public float* X, Dout, W, Dinp;
        public float M, S, M1, M2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly TV Step<TV, TOps>(nint i, out TV xh) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV d = TOps.Load(Dout + i);
            xh = TOps.Mul(TOps.Sub(TOps.Load(X + i), TOps.Splat(M)), TOps.Splat(S));
            if (Dinp != null)
            {
                TV g = W != null ? TOps.Mul(TOps.Load(W + i), d) : d;
                TV t = TOps.Mul(TOps.Sub(TOps.Sub(g, TOps.Splat(M1)), TOps.Mul(xh, TOps.Splat(M2))), TOps.Splat(S));
                TOps.Store(Dinp + i, TOps.Add(TOps.Load(Dinp + i), t));
            }
            return d;
        }
    }

    // Pass 2 of one row; partial dweight += xhat dout; partial dbias += dout.
    private struct GradStep : ISimdStep
    {
        public GradRow Row;
        public float* Pw, Pb;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV d = Row.Step<TV, TOps>(i, out TV xh);
            if (Pw != null) TOps.Store(Pw + i, TOps.Fma(xh, d, TOps.Load(Pw + i)));
            if (Pb != null) TOps.Store(Pb + i, TOps.Add(TOps.Load(Pb + i), d));
        }
    }

    // Pass 2 of two rows, A then B in each partial sum.
    private struct GradStep2 : ISimdStep
    {
        public GradRow A, B;
        public float* Pw, Pb;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            TV da = A.Step<TV, TOps>(i, out TV xa), db = B.Step<TV, TOps>(i, out TV xb);
            if (Pw != null) TOps.Store(Pw + i, TOps.Fma(xb, db, TOps.Fma(xa, da, TOps.Load(Pw + i))));
            if (Pb != null) TOps.Store(Pb + i, TOps.Add(TOps.Add(TOps.Load(Pb + i), da), db));
        }
    }

    // dst[c] += sum over blocks b (in order) of partials[b * stride + c], for the weight and the bias rows.
    private struct CombineJob : ISimdJob
    {
        public float* Dw, Db, Partials;
        public int Blocks, PerBlock, Stride, Channels;
        public bool NeedW;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            int c = Channels;
            for (int b = 1; b < Blocks; b++) RowOps.AddInto<TV, TOps>(Partials, Partials + (long)b * Stride, PerBlock);
            if (Dw != null) RowOps.AddInto<TV, TOps>(Dw, Partials, c);
            if (Db != null) RowOps.AddInto<TV, TOps>(Db, Partials + (NeedW ? c : 0), c);
        }
    }
}
