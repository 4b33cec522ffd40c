using System.Buffers;
using System.Numerics.Tensors;

namespace Ortho.Kernels;

/// <summary>
/// 2-D convolution kernels. Weights are always in PyTorch's layout [Cout, Cin / groups, KH, KW] and biases [Cout];
/// backward passes accumulate (+=) into dx, dweight and dbias, and skip any of them passed as an empty span.
/// <list type="bullet">
/// <item><see cref="Forward"/>/<see cref="Backward"/>: general NCHW convolution (stride, padding, groups) by
/// im2col over pixel blocks and a register-blocked tile product.</item>
/// <item><see cref="PatchifyForward"/>/<see cref="PatchifyBackward"/>: kernel = stride, no padding, one group (the
/// ConvNeXt stem and 2 x 2 downsampling convs) as one GEMM-shaped product over patches, either layout in and out.</item>
/// <item><see cref="DepthwiseForward"/>/<see cref="DepthwiseBackward"/>: groups = channels, stride 1 (ConvNeXt's
/// 7 x 7, padding 3) in channels-last layout, vectorized over channels.</item>
/// </list>
/// All reductions (bias and weight gradients) are split into work items fixed by the shape alone and combined in a
/// fixed order, so results are bit-identical for any <see cref="EngineSettings.Threads"/>.
/// </summary>
public static partial class Conv2dKernels
{
    /// <summary>Output pixels per im2col block of the general kernel.</summary>
    private const int PixelBlock = 256;

    /// <summary>
    /// General convolution forward, NCHW: y [N, Cout, OH, OW] = conv(x [N, Cin, H, W], weight) + bias (overwritten).
    /// </summary>
    /// <param name="y">Output [N, Cout, OH, OW].</param>
    /// <param name="x">Input [N, Cin, H, W].</param>
    /// <param name="weight">Weight [Cout, Cin / groups, KH, KW].</param>
    /// <param name="bias">Bias [Cout], or empty for none.</param>
    /// <param name="geometry">Shape, stride, padding and groups.</param>
    public static unsafe void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, in Conv2dGeometry geometry)
    {
        var g = geometry;
        CheckBuffers(g, y.Length, x.Length, weight.Length, bias.Length);
        if (g.Batch == 0) return;
        int cinG = g.InChannels / g.Groups, coutG = g.OutChannels / g.Groups;
        int kg = cinG * g.KernelH * g.KernelW, ohw = g.OutHeight * g.OutWidth;
        int pb = Math.Min(PixelBlock, ohw), nBlocks = (ohw + pb - 1) / pb;
        int items = g.Batch * g.Groups * nBlocks;
        bool hasBias = !bias.IsEmpty;
        fixed (float* py = y, px = x, pw = weight, pbias = bias)
        {
            nint ay = (nint)py, ax = (nint)px, aw = (nint)pw, ab = (nint)pbias;
            Chunks(items, 2.0 * coutG * kg * pb).Run((start, end) =>
            {
                float[] colBuf = ArrayPool<float>.Shared.Rent(kg * pb);
                try
                {
                    fixed (float* col = colBuf)
                    {
                        for (int item = start; item < end; item++)
                        {
                            int blk = item % nBlocks, ng = item / nBlocks, grp = ng % g.Groups, n = ng / g.Groups;
                            int p0 = blk * pb, np = Math.Min(pb, ohw - p0);
                            float* xg = (float*)ax + ((nint)n * g.InChannels + grp * cinG) * g.Height * g.Width;
                            Im2Col(col, np, 1, xg, g, cinG, p0, np);
                            float* yg = (float*)ay + ((nint)n * g.OutChannels + grp * coutG) * ohw + p0;
                            for (int co = 0; co < coutG; co++)
                                new Span<float>(yg + (nint)co * ohw, np).Fill(hasBias ? ((float*)ab)[grp * coutG + co] : 0f);
                            TileGemm.Run(coutG, np, kg, (float*)aw + (nint)grp * coutG * kg, kg, 1, col, np, yg, ohw, true);
                        }
                    }
                }
                finally { ArrayPool<float>.Shared.Return(colBuf); }
            });
        }
    }

    /// <summary>
    /// General convolution backward, NCHW: accumulates (+=) dL/dx, dL/dweight and dL/dbias given dL/dy.
    /// Pass an empty span for a gradient that is not needed.
    /// </summary>
    /// <param name="dx">Input gradient [N, Cin, H, W], accumulated (or empty).</param>
    /// <param name="dweight">Weight gradient [Cout, Cin / groups, KH, KW], accumulated (or empty).</param>
    /// <param name="dbias">Bias gradient [Cout], accumulated (or empty).</param>
    /// <param name="dy">Output gradient [N, Cout, OH, OW].</param>
    /// <param name="x">The forward input.</param>
    /// <param name="weight">The weight.</param>
    /// <param name="geometry">Shape, stride, padding and groups.</param>
    public static unsafe void Backward(Span<float> dx, Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, in Conv2dGeometry geometry)
    {
        var g = geometry;
        CheckBuffers(g, dy.Length, x.Length, weight.Length, 0);
        if (!dx.IsEmpty && dx.Length < g.InputSize) throw new ArgumentException($"dx needs {g.InputSize} floats.", nameof(dx));
        if (!dweight.IsEmpty && dweight.Length < g.WeightSize) throw new ArgumentException($"dweight needs {g.WeightSize} floats.", nameof(dweight));
        if (!dbias.IsEmpty && dbias.Length < g.OutChannels) throw new ArgumentException($"dbias needs {g.OutChannels} floats.", nameof(dbias));
        if (g.Batch == 0) return;
        int cinG = g.InChannels / g.Groups, coutG = g.OutChannels / g.Groups;
        int kg = cinG * g.KernelH * g.KernelW, ohw = g.OutHeight * g.OutWidth;
        int pb = Math.Min(PixelBlock, ohw), nBlocks = (ohw + pb - 1) / pb;

        if (!dbias.IsEmpty)
        {
            for (int co = 0; co < g.OutChannels; co++)
            {
                float s = 0f;
                for (int n = 0; n < g.Batch; n++) s += TensorPrimitives.Sum(dy.Slice((n * g.OutChannels + co) * ohw, ohw));
                dbias[co] += s;
            }
        }

        fixed (float* pdx = dx, pdw = dweight, pdy = dy, px = x, pw = weight)
        {
            nint adx = (nint)pdx, adw = (nint)pdw, ady = (nint)pdy, ax = (nint)px, aw = (nint)pw;
            if (!dweight.IsEmpty)
            {
                // Work item = (group, block of 32 output channels); each sums over (n, pixel block) in order.
                const int CoBlock = 32;
                int coBlocks = (coutG + CoBlock - 1) / CoBlock;
                Chunks(g.Groups * coBlocks, 2.0 * Math.Min(CoBlock, coutG) * kg * ohw * g.Batch).Run((start, end) =>
                {
                    float[] colBuf = ArrayPool<float>.Shared.Rent(kg * pb);
                    try
                    {
                        fixed (float* colT = colBuf)
                        {
                            for (int item = start; item < end; item++)
                            {
                                int grp = item / coBlocks, c0 = item % coBlocks * CoBlock, nc = Math.Min(CoBlock, coutG - c0);
                                float* dwg = (float*)adw + (nint)(grp * coutG + c0) * kg;
                                for (int n = 0; n < g.Batch; n++)
                                    for (int blk = 0; blk < nBlocks; blk++)
                                    {
                                        int p0 = blk * pb, np = Math.Min(pb, ohw - p0);
                                        float* xg = (float*)ax + ((nint)n * g.InChannels + grp * cinG) * g.Height * g.Width;
                                        Im2Col(colT, 1, kg, xg, g, cinG, p0, np);
                                        float* dyg = (float*)ady + ((nint)n * g.OutChannels + grp * coutG + c0) * ohw + p0;
                                        TileGemm.Run(nc, kg, np, dyg, ohw, 1, colT, kg, dwg, kg, true);
                                    }
                            }
                        }
                    }
                    finally { ArrayPool<float>.Shared.Return(colBuf); }
                });
            }
            if (!dx.IsEmpty)
            {
                // Work item = (n, group): disjoint slices of dx; pixel blocks in order within it.
                Chunks(g.Batch * g.Groups, 2.0 * kg * ohw * coutG).Run((start, end) =>
                {
                    float[] colBuf = ArrayPool<float>.Shared.Rent(kg * pb);
                    try
                    {
                        fixed (float* dcol = colBuf)
                        {
                            for (int item = start; item < end; item++)
                            {
                                int n = item / g.Groups, grp = item % g.Groups;
                                float* dxg = (float*)adx + ((nint)n * g.InChannels + grp * cinG) * g.Height * g.Width;
                                for (int blk = 0; blk < nBlocks; blk++)
                                {
                                    int p0 = blk * pb, np = Math.Min(pb, ohw - p0);
                                    float* dyg = (float*)ady + ((nint)n * g.OutChannels + grp * coutG) * ohw + p0;
                                    TileGemm.Run(kg, np, coutG, (float*)aw + (nint)grp * coutG * kg, 1, kg, dyg, ohw, dcol, np, false);
                                    Col2ImAdd(dxg, dcol, np, g, cinG, p0, np);
                                }
                            }
                        }
                    }
                    finally { ArrayPool<float>.Shared.Return(colBuf); }
                });
            }
        }
    }

    /// <summary>
    /// col(kk, p) = x(ci, oy * SH - PH + ky, ox * SW - PW + kx) (0 outside) at col[kk * kkStride + p * pStride], for
    /// kk = (ci, ky, kx) in PyTorch weight order and output pixels p0 .. p0 + np - 1 of one image and group.
    /// </summary>
    private static unsafe void Im2Col(float* col, nint kkStride, nint pStride, float* xg, in Conv2dGeometry g, int cinG, int p0, int np)
    {
        int H = g.Height, W = g.Width, OW = g.OutWidth;
        int kk = 0;
        for (int ci = 0; ci < cinG; ci++)
        {
            float* src = xg + (nint)ci * H * W;
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++, kk++)
                {
                    float* dst = col + kk * kkStride;
                    int oy = p0 / OW, ox = p0 % OW;
                    for (int p = 0; p < np; p++)
                    {
                        int iy = oy * g.StrideH - g.PadH + ky, ix = ox * g.StrideW - g.PadW + kx;
                        dst[p * pStride] = (uint)iy < (uint)H && (uint)ix < (uint)W ? src[iy * W + ix] : 0f;
                        if (++ox == OW) { ox = 0; oy++; }
                    }
                }
        }
    }

    /// <summary>Adds col[kk * ld + p] back into the input-gradient positions Im2Col read them from.</summary>
    private static unsafe void Col2ImAdd(float* dxg, float* col, nint ld, in Conv2dGeometry g, int cinG, int p0, int np)
    {
        int H = g.Height, W = g.Width, OW = g.OutWidth;
        int kk = 0;
        for (int ci = 0; ci < cinG; ci++)
        {
            float* dst = dxg + (nint)ci * H * W;
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++, kk++)
                {
                    float* src = col + kk * ld;
                    int oy = p0 / OW, ox = p0 % OW;
                    for (int p = 0; p < np; p++)
                    {
                        int iy = oy * g.StrideH - g.PadH + ky, ix = ox * g.StrideW - g.PadW + kx;
                        if ((uint)iy < (uint)H && (uint)ix < (uint)W) dst[iy * W + ix] += src[p];
                        if (++ox == OW) { ox = 0; oy++; }
                    }
                }
        }
    }

    private static void CheckBuffers(in Conv2dGeometry g, int yLength, int xLength, int wLength, int bLength)
    {
        if (g.InChannels == 0) throw new ArgumentException("geometry is not initialized.", nameof(g));
        if (yLength < g.OutputSize) throw new ArgumentException($"output needs {g.OutputSize} floats, has {yLength}.");
        if (xLength < g.InputSize) throw new ArgumentException($"input needs {g.InputSize} floats, has {xLength}.");
        if (wLength < g.WeightSize) throw new ArgumentException($"weight needs {g.WeightSize} floats, has {wLength}.");
        if (bLength != 0 && bLength < g.OutChannels) throw new ArgumentException($"bias needs {g.OutChannels} floats, has {bLength}.");
    }

    /// <summary>Floating-point work worth a parallel chunk of a convolution: a few MFLOP (roughly a millisecond).</summary>
    private const double MinFlopsPerChunk = 4e6;

    /// <summary>The parallel chunks of <paramref name="items"/> work items of <paramref name="flopsPerItem"/> each.</summary>
    private static ParallelChunks Chunks(int items, double flopsPerItem) => ParallelChunks.Plan(items, items * flopsPerItem, MinFlopsPerChunk);

    /// <summary>Items per block so a block holds at least <see cref="MinFlopsPerChunk"/> (at most all items).</summary>
    private static int ItemsPerBlock(double flopsPerItem, int items) =>
        (int)Math.Clamp(Math.Ceiling(MinFlopsPerChunk / Math.Max(flopsPerItem, 1.0)), 1, Math.Max(items, 1));
}
