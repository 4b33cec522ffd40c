using System.Buffers;
using System.Runtime.Intrinsics;

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
        {
            int chunks = RowOps.RowChunks(rows, channels, out int per);
            if (chunks <= 1) ForwardRows(po, pm, ps, px, pw, pb, 0, rows, channels, eps);
            else ForwardParallel(chunks, per, (nint)po, (nint)pm, (nint)ps, (nint)px, (nint)pw, (nint)pb, rows, channels, eps);
        }
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
        float[]? scratch = perBlock > 0 ? ArrayPool<float>.Shared.Rent(blocks * perBlock) : null;
        try
        {
            fixed (float* pdi = dinp, pdw = dweight, pdb = dbias, pdo = dout, px = inp, pw = weight, pm = mean, ps = rstd, part = scratch)
            {
                var a = new BackwardArgs
                {
                    Dinp = pdi, Dout = pdo, X = px, W = pw, Mean = pm, Rstd = ps, Partials = part,
                    Rows = rows, Channels = channels, BlockRows = blockRows, PerBlock = perBlock, NeedW = needW, NeedB = needB,
                };
                if (EngineSettings.Threads <= 1 || blocks <= 1 || n < 2L * RowOps.ParallelChunkElements)
                {
                    for (int blk = 0; blk < blocks; blk++) BackwardBlock(a, blk);
                }
                else BackwardParallel(blocks, a);

                // Fixed-order combine of the block partials.
                if (needW) CombineInto(pdw, part, blocks, perBlock, channels);
                if (needB) CombineInto(pdb, part + (needW ? channels : 0), blocks, perBlock, channels);
            }
        }
        finally
        {
            if (scratch != null) ArrayPool<float>.Shared.Return(scratch);
        }
    }

    private static void ForwardParallel(int chunks, int per, nint po, nint pm, nint ps, nint px, nint pw, nint pb, int rows, int channels, float eps) =>
        EngineSettings.ParallelFor(chunks, c => ForwardRows((float*)po, (float*)pm, (float*)ps, (float*)px, (float*)pw, (float*)pb,
            c * per, Math.Min(rows, (c + 1) * per), channels, eps));

    private static void ForwardRows(float* o, float* mean, float* rstd, float* x, float* w, float* b, int r0, int r1, int C, float eps)
    {
        for (int r = r0; r < r1; r++)
        {
            float* xr = x + (long)r * C;
            float* orow = o + (long)r * C;
            float m = RowOps.Sum(xr, C) / C;
            float v = RowOps.SumSquaredDeviations(xr, C, m) / C;
            float s = 1f / MathF.Sqrt(v + eps);
            if (mean != null) mean[r] = m;
            if (rstd != null) rstd[r] = s;
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> vm = Vector512.Create(m), vs = Vector512.Create(s);
                for (; i + 16 <= C; i += 16)
                {
                    Vector512<float> nv = (Vector512.Load(xr + i) - vm) * vs;
                    if (w != null) nv = b != null ? Vector512.FusedMultiplyAdd(nv, Vector512.Load(w + i), Vector512.Load(b + i)) : nv * Vector512.Load(w + i);
                    else if (b != null) nv += Vector512.Load(b + i);
                    nv.Store(orow + i);
                }
            }
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> vm = Vector256.Create(m), vs = Vector256.Create(s);
                for (; i + 8 <= C; i += 8)
                {
                    Vector256<float> nv = (Vector256.Load(xr + i) - vm) * vs;
                    if (w != null) nv = b != null ? Vector256.FusedMultiplyAdd(nv, Vector256.Load(w + i), Vector256.Load(b + i)) : nv * Vector256.Load(w + i);
                    else if (b != null) nv += Vector256.Load(b + i);
                    nv.Store(orow + i);
                }
            }
            for (; i < C; i++)
            {
                float nv = (xr[i] - m) * s;
                if (w != null) nv = b != null ? MathF.FusedMultiplyAdd(nv, w[i], b[i]) : nv * w[i];
                else if (b != null) nv += b[i];
                orow[i] = nv;
            }
        }
    }

    private struct BackwardArgs
    {
        public float* Dinp, Dout, X, W, Mean, Rstd, Partials;
        public int Rows, Channels, BlockRows, PerBlock;
        public bool NeedW, NeedB;
    }

    private static void BackwardParallel(int blocks, BackwardArgs a) => EngineSettings.ParallelFor(blocks, blk => BackwardBlock(a, blk));

    private static void BackwardBlock(in BackwardArgs a, int blk)
    {
        int C = a.Channels;
        int r0 = blk * a.BlockRows, r1 = Math.Min(a.Rows, r0 + a.BlockRows);
        float* pw = a.NeedW ? a.Partials + (long)blk * a.PerBlock : null;
        float* pb = a.NeedB ? a.Partials + (long)blk * a.PerBlock + (a.NeedW ? C : 0) : null;
        if (pw != null) new Span<float>(pw, C).Clear();
        if (pb != null) new Span<float>(pb, C).Clear();
        float* w = a.W;
        for (int r = r0; r < r1; r++)
        {
            float* x = a.X + (long)r * C;
            float* dout = a.Dout + (long)r * C;
            float m = a.Mean[r], s = a.Rstd[r];
            // Pass 1: mean of g = w * dout and of g * xhat.
            float sumG, sumGN;
            RowMeans(x, dout, w, C, m, s, out sumG, out sumGN);
            float m1 = sumG / C, m2 = sumGN / C;
            // Pass 2: dinp += (g - m1 - xhat m2) s; partial dweight += xhat dout; partial dbias += dout.
            float* dinp = a.Dinp != null ? a.Dinp + (long)r * C : null;
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> vm = Vector512.Create(m), vs = Vector512.Create(s), vm1 = Vector512.Create(m1), vm2 = Vector512.Create(m2);
                for (; i + 16 <= C; i += 16)
                {
                    Vector512<float> d = Vector512.Load(dout + i);
                    Vector512<float> xh = (Vector512.Load(x + i) - vm) * vs;
                    if (dinp != null)
                    {
                        Vector512<float> g = w != null ? Vector512.Load(w + i) * d : d;
                        Vector512<float> t = (g - vm1 - xh * vm2) * vs;
                        (Vector512.Load(dinp + i) + t).Store(dinp + i);
                    }
                    if (pw != null) Vector512.FusedMultiplyAdd(xh, d, Vector512.Load(pw + i)).Store(pw + i);
                    if (pb != null) (Vector512.Load(pb + i) + d).Store(pb + i);
                }
            }
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> vm = Vector256.Create(m), vs = Vector256.Create(s), vm1 = Vector256.Create(m1), vm2 = Vector256.Create(m2);
                for (; i + 8 <= C; i += 8)
                {
                    Vector256<float> d = Vector256.Load(dout + i);
                    Vector256<float> xh = (Vector256.Load(x + i) - vm) * vs;
                    if (dinp != null)
                    {
                        Vector256<float> g = w != null ? Vector256.Load(w + i) * d : d;
                        Vector256<float> t = (g - vm1 - xh * vm2) * vs;
                        (Vector256.Load(dinp + i) + t).Store(dinp + i);
                    }
                    if (pw != null) Vector256.FusedMultiplyAdd(xh, d, Vector256.Load(pw + i)).Store(pw + i);
                    if (pb != null) (Vector256.Load(pb + i) + d).Store(pb + i);
                }
            }
            for (; i < C; i++)
            {
                float d = dout[i];
                float xh = (x[i] - m) * s;
                if (dinp != null)
                {
                    float g = w != null ? w[i] * d : d;
                    dinp[i] += (g - m1 - xh * m2) * s;
                }
                if (pw != null) pw[i] = MathF.FusedMultiplyAdd(xh, d, pw[i]);
                if (pb != null) pb[i] += d;
            }
        }
    }

    private static void RowMeans(float* x, float* dout, float* w, int C, float m, float s, out float sumG, out float sumGN)
    {
        int i = 0;
        float sg = 0f, sgn = 0f;
        if (Vector512.IsHardwareAccelerated && C >= 16)
        {
            Vector512<float> vm = Vector512.Create(m), vs = Vector512.Create(s), ag = Vector512<float>.Zero, agn = Vector512<float>.Zero;
            for (; i + 16 <= C; i += 16)
            {
                Vector512<float> d = Vector512.Load(dout + i);
                Vector512<float> g = w != null ? Vector512.Load(w + i) * d : d;
                Vector512<float> xh = (Vector512.Load(x + i) - vm) * vs;
                ag += g;
                agn = Vector512.FusedMultiplyAdd(g, xh, agn);
            }
            sg = Vector512.Sum(ag);
            sgn = Vector512.Sum(agn);
        }
        if (Vector256.IsHardwareAccelerated && i + 8 <= C)
        {
            Vector256<float> vm = Vector256.Create(m), vs = Vector256.Create(s), ag = Vector256<float>.Zero, agn = Vector256<float>.Zero;
            for (; i + 8 <= C; i += 8)
            {
                Vector256<float> d = Vector256.Load(dout + i);
                Vector256<float> g = w != null ? Vector256.Load(w + i) * d : d;
                Vector256<float> xh = (Vector256.Load(x + i) - vm) * vs;
                ag += g;
                agn = Vector256.FusedMultiplyAdd(g, xh, agn);
            }
            sg += Vector256.Sum(ag);
            sgn += Vector256.Sum(agn);
        }
        for (; i < C; i++)
        {
            float d = dout[i];
            float g = w != null ? w[i] * d : d;
            float xh = (x[i] - m) * s;
            sg += g;
            sgn = MathF.FusedMultiplyAdd(g, xh, sgn);
        }
        sumG = sg;
        sumGN = sgn;
    }

    /// <summary>dst[c] += sum over blocks b (in order) of partials[b * stride + c].</summary>
    private static void CombineInto(float* dst, float* partials, int blocks, int stride, int C)
    {
        for (int b = 1; b < blocks; b++) RowOps.AddInto(partials, partials + (long)b * stride, C);
        RowOps.AddInto(dst, partials, C);
    }
}
