using System.Buffers;
using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

public static partial class Conv2dKernels
{
    /// <summary>
    /// Depthwise convolution forward in channels-last layout (groups = channels, stride 1, padding at most
    /// kernel - 1; ConvNeXt's 7 x 7 with padding 3 keeps the spatial size): y[n, oy, ox, c] = bias[c] +
    /// sum_{ky, kx} x[n, oy + ky - PH, ox + kx - PW, c] w[c, 0, ky, kx]. Vectorized over channels, eight output
    /// columns per register block, over a zero-padded copy of each image (no bounds checks in the inner loop).
    /// </summary>
    /// <param name="y">Output [N, OH, OW, C], overwritten.</param>
    /// <param name="x">Input [N, H, W, C].</param>
    /// <param name="weight">Weight [C, 1, KH, KW] (PyTorch layout).</param>
    /// <param name="bias">Bias [C], or empty.</param>
    /// <param name="geometry">A geometry with <see cref="Conv2dGeometry.IsDepthwise"/>.</param>
    public static unsafe void DepthwiseForward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, in Conv2dGeometry geometry)
    {
        var g = geometry;
        if (!g.IsDepthwise) throw new ArgumentException("depthwise needs groups = in = out channels, stride 1 and padding < kernel.", nameof(geometry));
        CheckBuffers(g, y.Length, x.Length, weight.Length, bias.Length);
        if (g.Batch == 0) return;
        int c = g.InChannels, taps = g.KernelH * g.KernelW;
        var blocks = DepthwiseBlocks(g, out int per);
        var pad = PadShape(g.OutHeight, g.OutWidth, g);
        float[] wtBuf = ArrayPool<float>.Shared.Rent(taps * c);
        try
        {
            fixed (float* py = y, px = x, pw = weight, pb = bias, wt = wtBuf)
            {
                PackDepthwise(wt, pw, c, taps, flip: false);
                nint ay = (nint)py, ax = (nint)px, ab = bias.IsEmpty ? 0 : (nint)pb, awt = (nint)wt;
                blocks.Run((b0, b1) =>
                {
                    float[] buf = ArrayPool<float>.Shared.Rent(pad.Rows * pad.Cols * c);
                    try
                    {
                        fixed (float* xp = buf)
                        {
                            for (int n = b0 * per, end = Math.Min(g.Batch, b1 * per); n < end; n++)
                            {
                                Pad(xp, pad.Rows, pad.Cols, c, (float*)ax + (nint)n * g.Height * g.Width * c, g.Height, g.Width, g.PadH, g.PadW);
                                float* yn = (float*)ay + (nint)n * g.OutHeight * g.OutWidth * c;
                                DepthwiseCorrelate(xp, pad.Cols, c, (float*)awt, g.KernelH, g.KernelW, (float*)ab, yn, g.OutHeight, g.OutWidth, g.PadH, g.PadH + g.Height, false);
                            }
                        }
                    }
                    finally { ArrayPool<float>.Shared.Return(buf); }
                });
            }
        }
        finally { ArrayPool<float>.Shared.Return(wtBuf); }
    }

    /// <summary>
    /// Depthwise convolution backward in channels-last layout: accumulates (+=) dL/dx, dL/dweight and dL/dbias
    /// (any may be empty to skip). dx is the correlation of the padded dy with the flipped kernel; the weight and
    /// bias sums over N x OH x OW are taken per fixed block of images and combined in block order.
    /// </summary>
    /// <param name="dx">Input gradient [N, H, W, C], accumulated (or empty).</param>
    /// <param name="dweight">Weight gradient [C, 1, KH, KW], accumulated (or empty).</param>
    /// <param name="dbias">Bias gradient [C], accumulated (or empty).</param>
    /// <param name="dy">Output gradient [N, OH, OW, C].</param>
    /// <param name="x">The forward input [N, H, W, C].</param>
    /// <param name="weight">Weight [C, 1, KH, KW].</param>
    /// <param name="geometry">A geometry with <see cref="Conv2dGeometry.IsDepthwise"/>.</param>
    public static unsafe void DepthwiseBackward(Span<float> dx, Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, in Conv2dGeometry geometry)
    {
        var g = geometry;
        if (!g.IsDepthwise) throw new ArgumentException("depthwise needs groups = in = out channels, stride 1 and padding < kernel.", nameof(geometry));
        CheckBuffers(g, dy.Length, x.Length, weight.Length, 0);
        if (!dx.IsEmpty && dx.Length < g.InputSize) throw new ArgumentException($"dx needs {g.InputSize} floats.", nameof(dx));
        if (!dweight.IsEmpty && dweight.Length < g.WeightSize) throw new ArgumentException($"dweight needs {g.WeightSize} floats.", nameof(dweight));
        if (!dbias.IsEmpty && dbias.Length < g.OutChannels) throw new ArgumentException($"dbias needs {g.OutChannels} floats.", nameof(dbias));
        if (g.Batch == 0) return;
        bool needDx = !dx.IsEmpty, needDw = !dweight.IsEmpty, needDb = !dbias.IsEmpty;
        if (!needDx && !needDw && !needDb) return;
        int c = g.InChannels, taps = g.KernelH * g.KernelW, kh = g.KernelH, kw = g.KernelW;
        int oh = g.OutHeight, ow = g.OutWidth;
        var blocks = DepthwiseBlocks(g, out int per);
        int nBlocks = blocks.Items;
        var xpad = PadShape(oh, ow, g);                       // padded x for the weight gradient
        var dpad = PadShape(g.Height, g.Width, g);            // padded dy for the input gradient
        int partLen = taps * c + c;
        int scratch = (needDw ? xpad.Rows * xpad.Cols * c : 0) + (needDx ? dpad.Rows * dpad.Cols * c : 0);
        float[] wtBuf = ArrayPool<float>.Shared.Rent(taps * c);
        float[] partBuf = ArrayPool<float>.Shared.Rent(nBlocks * partLen);
        try
        {
            fixed (float* pdx = dx, pdw = dweight, pdb = dbias, pdy = dy, px = x, pw = weight, wt = wtBuf, part = partBuf)
            {
                PackDepthwise(wt, pw, c, taps, flip: true);
                nint adx = (nint)pdx, ady = (nint)pdy, ax = (nint)px, awt = (nint)wt, apart = (nint)part;
                blocks.Run((b0, b1) =>
                {
                    float[] buf = ArrayPool<float>.Shared.Rent(Math.Max(scratch, 1));
                    try
                    {
                        fixed (float* s = buf)
                        {
                            float* xp = s, dyp = s + (needDw ? xpad.Rows * xpad.Cols * c : 0);
                            for (int blk = b0; blk < b1; blk++)
                            {
                                float* pw0 = (float*)apart + (nint)blk * partLen;    // [taps, C] then [C]
                                new Span<float>(pw0, partLen).Clear();
                                for (int n = blk * per, end = Math.Min(g.Batch, n + per); n < end; n++)
                                {
                                    float* dyn = (float*)ady + (nint)n * oh * ow * c;
                                    if (needDx)
                                    {
                                        Pad(dyp, dpad.Rows, dpad.Cols, c, dyn, oh, ow, kh - 1 - g.PadH, kw - 1 - g.PadW);
                                        float* dxn = (float*)adx + (nint)n * g.Height * g.Width * c;
                                        DepthwiseCorrelate(dyp, dpad.Cols, c, (float*)awt, kh, kw, null, dxn, g.Height, g.Width, kh - 1 - g.PadH, kh - 1 - g.PadH + oh, true);
                                    }
                                    if (needDw)
                                    {
                                        Pad(xp, xpad.Rows, xpad.Cols, c, (float*)ax + (nint)n * g.Height * g.Width * c, g.Height, g.Width, g.PadH, g.PadW);
                                        DepthwiseWeightGrad(pw0, xp, xpad.Cols, c, kh, kw, dyn, oh, ow, g.PadH, g.PadH + g.Height);
                                    }
                                    if (needDb) DepthwiseBiasGrad(pw0 + taps * c, dyn, oh * ow, c);
                                }
                            }
                        }
                    }
                    finally { ArrayPool<float>.Shared.Return(buf); }
                });
                // Fixed-order combine of the per-block partial sums.
                for (int blk = 1; blk < nBlocks; blk++)
                    RowAdd(part, part + (nint)blk * partLen, partLen);
                if (needDw)
                    for (int ci = 0; ci < c; ci++)
                        for (int t = 0; t < taps; t++)
                            pdw[(nint)ci * taps + t] += part[(nint)t * c + ci];
                if (needDb)
                    for (int ci = 0; ci < c; ci++) pdb[ci] += part[taps * c + ci];
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(wtBuf);
            ArrayPool<float>.Shared.Return(partBuf);
        }
    }

    /// <summary>
    /// The fixed blocks of images of the depthwise kernels, <paramref name="perBlock"/> images each: a few MFLOP, and at
    /// most 32 blocks (bounds the partial-sum memory of the backward pass, which sums the weight and bias gradients per
    /// block and then adds the blocks in order). The blocks depend only on the geometry; they are scheduled as
    /// <see cref="ParallelChunks"/> of blocks.
    /// </summary>
    private static ParallelChunks DepthwiseBlocks(in Conv2dGeometry g, out int perBlock)
    {
        double perImage = 2.0 * g.OutHeight * g.OutWidth * g.InChannels * g.KernelH * g.KernelW;
        perBlock = Math.Max(ItemsPerBlock(perImage, g.Batch), (g.Batch + 31) / 32);
        int blocks = (g.Batch + perBlock - 1) / perBlock;
        return ParallelChunks.Plan(blocks, perImage * g.Batch, MinFlopsPerChunk);
    }

    /// <summary>
    /// Padded scratch for producing an outH x outW output: rows outH + KH - 1; columns rounded up to whole 8-column
    /// blocks plus KW - 1, plus 8 so the 8-tap weight-gradient block may read past the last tap.
    /// </summary>
    private static (int Rows, int Cols) PadShape(int outH, int outW, in Conv2dGeometry g) =>
        (outH + g.KernelH - 1, (outW + 7) / 8 * 8 + g.KernelW - 1 + 8);

    /// <summary>Zero-fills dst [rows, cols, C] and copies src [hs, ws, C] to offset (top, left).</summary>
    private static unsafe void Pad(float* dst, int rows, int cols, int c, float* src, int hs, int ws, int top, int left)
    {
        new Span<float>(dst, rows * cols * c).Clear();
        for (int r = 0; r < hs; r++)
            new ReadOnlySpan<float>(src + (nint)r * ws * c, ws * c).CopyTo(new Span<float>(dst + ((nint)(r + top) * cols + left) * c, ws * c));
    }

    /// <summary>wt[t, c] = w[c, t] (or w[c, taps - 1 - t], the kernel rotated by 180 degrees, when flip).</summary>
    private static unsafe void PackDepthwise(float* wt, float* w, int c, int taps, bool flip)
    {
        for (int ci = 0; ci < c; ci++)
            for (int t = 0; t < taps; t++)
                wt[(nint)(flip ? taps - 1 - t : t) * c + ci] = w[(nint)ci * taps + t];
    }

    private static unsafe void RowAdd(float* dst, float* src, int n)
    {
        var job = new RowAddJob { Dst = dst, Src = src, N = n };
        SimdDispatch.Run(ref job);
    }

    private unsafe struct RowAddJob : ISimdJob
    {
        public float* Dst, Src;
        public int N;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV> => RowOps.AddInto<TV, TOps>(Dst, Src, N);
    }

    private static unsafe void DepthwiseCorrelate(float* xp, int cols, int c, float* wt, int kh, int kw, float* bias, float* y, int oh, int ow, int row0, int row1, bool accumulate)
    {
        var job = new DepthwiseJob { Xp = xp, Cols = cols, C = c, Wt = wt, Kh = kh, Kw = kw, Bias = bias, Y = y, Oh = oh, Ow = ow, Row0 = row0, Row1 = row1, Accumulate = accumulate };
        SimdDispatch.Run(ref job);
    }

    private static unsafe void DepthwiseWeightGrad(float* part, float* xp, int cols, int c, int kh, int kw, float* dy, int oh, int ow, int row0, int row1)
    {
        var job = new DepthwiseJob { Part = part, Xp = xp, Cols = cols, C = c, Kh = kh, Kw = kw, Y = dy, Oh = oh, Ow = ow, Row0 = row0, Row1 = row1, WeightGrad = true };
        SimdDispatch.Run(ref job);
    }

    // One image of the correlation (y from xp and wt), or of the weight gradient (part from xp and dy, in Y).
    private unsafe struct DepthwiseJob : ISimdJob
    {
        public float* Xp, Wt, Bias, Y, Part;
        public int Cols, C, Kh, Kw, Oh, Ow, Row0, Row1;
        public bool Accumulate, WeightGrad;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            if (WeightGrad) DepthwiseKernel<TV, TOps>.WeightGrad(Part, Xp, Cols, C, Kh, Kw, Y, Oh, Ow, Row0, Row1);
            else DepthwiseKernel<TV, TOps>.Correlate(Xp, Cols, C, Wt, Kh, Kw, Bias, Y, Oh, Ow, Row0, Row1, Accumulate);
        }
    }

    // part[c] += dy[p, c] over the pixels p (one dispatch for the image).
    private static unsafe void DepthwiseBiasGrad(float* part, float* dy, int pixels, int c)
    {
        var job = new BiasGradJob { Part = part, Dy = dy, Pixels = pixels, C = c };
        SimdDispatch.Run(ref job);
    }

    private unsafe struct BiasGradJob : ISimdJob
    {
        public float* Part, Dy;
        public int Pixels, C;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV> =>
            RowOps.AddColumnSums<TV, TOps>(Part, Dy, Pixels, C, C);
    }
}

/// <summary>
/// Width-generic inner loops of the channels-last depthwise convolution. Both loops slide a window of input
/// vectors along a row so each input vector is loaded once per kernel row (not once per tap).
/// </summary>
internal static unsafe class DepthwiseKernel<TV, TOps> where TV : unmanaged where TOps : struct, ISimd<TV>
{
    /// <summary>Output columns per register block: 8 with 32 vector registers (AVX-512), else 4.</summary>
    public static int Block { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => TOps.Count >= 16 ? 8 : 4; }

    /// <summary>
    /// y[oy, ox, c] (+)= bias[c] + sum_{ky, kx} xp[oy + ky, ox + kx, c] wt[ky KW + kx, c] over a padded image xp with
    /// <paramref name="cols"/> columns (at least round-up-8(ow) + KW - 1). Rows of xp outside [row0, row1) are
    /// zero padding: kernel rows that would only read them are skipped.
    /// </summary>
    public static void Correlate(float* xp, int cols, int c, float* wt, int kh, int kw, float* bias, float* y, int oh, int ow, int row0, int row1, bool accumulate)
    {
        int w = TOps.Count, blk = ow > 4 ? Block : 4;
        nint rowStride = (nint)cols * c;
        for (int oy = 0; oy < oh; oy++)
        {
            int ky0 = Math.Max(0, row0 - oy), ky1 = Math.Min(kh, row1 - oy);
            float* xr = xp + oy * rowStride;
            float* yr = y + (nint)oy * ow * c;
            for (int ox = 0; ox < ow; ox += blk)
            {
                int cnt = Math.Min(blk, ow - ox);
                float* xb = xr + (nint)ox * c, yb = yr + (nint)ox * c;
                int ci = 0;
                for (; ci + w <= c; ci += w)
                {
                    if (blk == 8) Block8(xb + ci, rowStride, c, wt + ci, ky0, ky1, kw, bias == null ? null : bias + ci, yb + ci, cnt, accumulate);
                    else Block4(xb + ci, rowStride, c, wt + ci, ky0, ky1, kw, bias == null ? null : bias + ci, yb + ci, cnt, accumulate);
                }
                for (; ci < c; ci++)
                {
                    // Channel tail, one channel at a time (covering up to 8 columns with two 4-column blocks).
                    for (int o = 0; o < cnt; o += 4)
                        DepthwiseKernel<float, SimdScalar>.Block4(xb + ci + (nint)o * c, rowStride, c, wt + ci, ky0, ky1, kw,
                            bias == null ? null : bias + ci, yb + ci + (nint)o * c, Math.Min(4, cnt - o), accumulate);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* p, TV v, bool accumulate)
    {
        if (accumulate) v = TOps.Add(v, TOps.Load(p));
        TOps.Store(p, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8(float* x, nint rowStride, nint c, float* wt, int ky0, int ky1, int kw, float* bias, float* y, int cnt, bool accumulate)
    {
        TV b = bias == null ? TOps.Zero : TOps.Load(bias);
        TV a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
        for (int ky = ky0; ky < ky1; ky++)
        {
            float* xr = x + ky * rowStride;
            float* wr = wt + (nint)ky * kw * c;
            TV r0 = TOps.Load(xr), r1 = TOps.Load(xr + c), r2 = TOps.Load(xr + 2 * c), r3 = TOps.Load(xr + 3 * c);
            TV r4 = TOps.Load(xr + 4 * c), r5 = TOps.Load(xr + 5 * c), r6 = TOps.Load(xr + 6 * c);
            xr += 7 * c;
            for (int kx = 0; kx < kw; kx++)
            {
                TV r7 = TOps.Load(xr);
                TV wv = TOps.Load(wr);
                a0 = TOps.MulAdd(r0, wv, a0); a1 = TOps.MulAdd(r1, wv, a1); a2 = TOps.MulAdd(r2, wv, a2); a3 = TOps.MulAdd(r3, wv, a3);
                a4 = TOps.MulAdd(r4, wv, a4); a5 = TOps.MulAdd(r5, wv, a5); a6 = TOps.MulAdd(r6, wv, a6); a7 = TOps.MulAdd(r7, wv, a7);
                r0 = r1; r1 = r2; r2 = r3; r3 = r4; r4 = r5; r5 = r6; r6 = r7;
                xr += c; wr += c;
            }
        }
        Put(y, a0, accumulate);
        if (cnt > 1) Put(y + c, a1, accumulate);
        if (cnt > 2) Put(y + 2 * c, a2, accumulate);
        if (cnt > 3) Put(y + 3 * c, a3, accumulate);
        if (cnt > 4) Put(y + 4 * c, a4, accumulate);
        if (cnt > 5) Put(y + 5 * c, a5, accumulate);
        if (cnt > 6) Put(y + 6 * c, a6, accumulate);
        if (cnt > 7) Put(y + 7 * c, a7, accumulate);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Block4(float* x, nint rowStride, nint c, float* wt, int ky0, int ky1, int kw, float* bias, float* y, int cnt, bool accumulate)
    {
        TV b = bias == null ? TOps.Zero : TOps.Load(bias);
        TV a0 = b, a1 = b, a2 = b, a3 = b;
        for (int ky = ky0; ky < ky1; ky++)
        {
            float* xr = x + ky * rowStride;
            float* wr = wt + (nint)ky * kw * c;
            TV r0 = TOps.Load(xr), r1 = TOps.Load(xr + c), r2 = TOps.Load(xr + 2 * c);
            xr += 3 * c;
            for (int kx = 0; kx < kw; kx++)
            {
                TV r3 = TOps.Load(xr);
                TV wv = TOps.Load(wr);
                a0 = TOps.MulAdd(r0, wv, a0); a1 = TOps.MulAdd(r1, wv, a1); a2 = TOps.MulAdd(r2, wv, a2); a3 = TOps.MulAdd(r3, wv, a3);
                r0 = r1; r1 = r2; r2 = r3;
                xr += c; wr += c;
            }
        }
        Put(y, a0, accumulate);
        if (cnt > 1) Put(y + c, a1, accumulate);
        if (cnt > 2) Put(y + 2 * c, a2, accumulate);
        if (cnt > 3) Put(y + 3 * c, a3, accumulate);
    }

    /// <summary>
    /// part[(ky KW + kx), c] += sum_{oy, ox} dy[oy, ox, c] xp[oy + ky, ox + kx, c], in blocks of 8 taps along kx held
    /// in registers, with a sliding window of 8 input vectors along ox (the scratch has 8 spare zero columns, so
    /// the last block may overrun KW).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void WeightGrad(float* part, float* xp, int cols, int c, int kh, int kw, float* dy, int oh, int ow, int row0, int row1)
    {
        int w = TOps.Count;
        nint rowStride = (nint)cols * c;
        int ci = 0;
        for (; ci + w <= c; ci += w) WeightGradColumn(part + ci, xp + ci, rowStride, c, kh, kw, dy + ci, oh, ow, row0, row1);
        for (; ci < c; ci++) DepthwiseKernel<float, SimdScalar>.WeightGradColumn(part + ci, xp + ci, rowStride, c, kh, kw, dy + ci, oh, ow, row0, row1);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void WeightGradColumn(float* part, float* xp, nint rowStride, nint c, int kh, int kw, float* dy, int oh, int ow, int row0, int row1)
    {
        for (int ky = 0; ky < kh; ky++)
            for (int kx0 = 0; kx0 < kw; kx0 += 8)
            {
                TV s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero, s4 = TOps.Zero, s5 = TOps.Zero, s6 = TOps.Zero, s7 = TOps.Zero;
                for (int oy = Math.Max(0, row0 - ky), oyEnd = Math.Min(oh, row1 - ky); oy < oyEnd; oy++)
                {
                    float* xr = xp + (oy + ky) * rowStride + kx0 * c;
                    float* dr = dy + (nint)oy * ow * c;
                    TV r0 = TOps.Load(xr), r1 = TOps.Load(xr + c), r2 = TOps.Load(xr + 2 * c), r3 = TOps.Load(xr + 3 * c);
                    TV r4 = TOps.Load(xr + 4 * c), r5 = TOps.Load(xr + 5 * c), r6 = TOps.Load(xr + 6 * c);
                    xr += 7 * c;
                    for (int ox = 0; ox < ow; ox++)
                    {
                        TV r7 = TOps.Load(xr);
                        TV d = TOps.Load(dr);
                        s0 = TOps.MulAdd(d, r0, s0); s1 = TOps.MulAdd(d, r1, s1); s2 = TOps.MulAdd(d, r2, s2); s3 = TOps.MulAdd(d, r3, s3);
                        s4 = TOps.MulAdd(d, r4, s4); s5 = TOps.MulAdd(d, r5, s5); s6 = TOps.MulAdd(d, r6, s6); s7 = TOps.MulAdd(d, r7, s7);
                        r0 = r1; r1 = r2; r2 = r3; r3 = r4; r4 = r5; r5 = r6; r6 = r7;
                        xr += c; dr += c;
                    }
                }
                int cnt = Math.Min(8, kw - kx0);
                float* pr = part + (nint)(ky * kw + kx0) * c;
                Put(pr, s0, true);
                if (cnt > 1) Put(pr + c, s1, true);
                if (cnt > 2) Put(pr + 2 * c, s2, true);
                if (cnt > 3) Put(pr + 3 * c, s3, true);
                if (cnt > 4) Put(pr + 4 * c, s4, true);
                if (cnt > 5) Put(pr + 5 * c, s5, true);
                if (cnt > 6) Put(pr + 6 * c, s6, true);
                if (cnt > 7) Put(pr + 7 * c, s7, true);
            }
    }
}
