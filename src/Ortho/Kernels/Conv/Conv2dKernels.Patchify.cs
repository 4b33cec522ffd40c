using System.Buffers;
using System.Numerics.Tensors;

namespace Ortho.Kernels;

public static partial class Conv2dKernels
{
    /// <summary>Patches (output pixels) per panel of the patchify product.</summary>
    private const int PatchPanel = 128;

    /// <summary>Rows of the packed weight gradient per work item of the patchify backward.</summary>
    private const int PatchWeightBlock = 64;

    /// <summary>
    /// Patchify convolution forward (kernel = stride = p, no padding, one group; the ConvNeXt stem and the 2 x 2
    /// downsampling layers): every output pixel is one non-overlapping p x p patch, so the convolution is the
    /// product [N OH OW, p p Cin] x [p p Cin, Cout] (+ bias). Rows and columns the patches do not cover (H or W not
    /// a multiple of p) are ignored, as in PyTorch.
    /// </summary>
    /// <param name="y">Output [N, OH, OW, Cout] (channels-last) or [N, Cout, OH, OW], overwritten.</param>
    /// <param name="x">Input [N, H, W, Cin] (channels-last) or [N, Cin, H, W]. With Cin = 1 both are the same.</param>
    /// <param name="weight">Weight [Cout, Cin, p, p].</param>
    /// <param name="bias">Bias [Cout], or empty.</param>
    /// <param name="geometry">A geometry with <see cref="Conv2dGeometry.IsPatchify"/>.</param>
    /// <param name="xLayout">Layout of <paramref name="x"/>.</param>
    /// <param name="yLayout">Layout of <paramref name="y"/>.</param>
    public static unsafe void PatchifyForward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        in Conv2dGeometry geometry, ImageLayout xLayout = ImageLayout.ChannelsLast, ImageLayout yLayout = ImageLayout.ChannelsLast)
    {
        var g = geometry;
        if (!g.IsPatchify) throw new ArgumentException("patchify needs kernel = stride, padding 0 and groups 1.", nameof(geometry));
        CheckBuffers(g, y.Length, x.Length, weight.Length, bias.Length);
        if (g.Batch == 0) return;
        int cout = g.OutChannels, kp = g.WeightSize / cout;
        int m = g.Batch * g.OutHeight * g.OutWidth;
        int panels = (m + PatchPanel - 1) / PatchPanel;
        bool hasBias = !bias.IsEmpty, yLast = yLayout == ImageLayout.ChannelsLast;
        float[] wpBuf = ArrayPool<float>.Shared.Rent(kp * cout);
        try
        {
            fixed (float* py = y, px = x, pw = weight, pbias = bias, wp = wpBuf)
            {
                PackPatchWeights(wp, null, pw, g);
                nint ay = (nint)py, ax = (nint)px, ab = (nint)pbias, awp = (nint)wp;
                Chunks(panels, 2.0 * PatchPanel * kp * cout).Run((start, end) =>
                {
                    float[] buf = ArrayPool<float>.Shared.Rent(PatchPanel * (kp + cout));
                    try
                    {
                        fixed (float* s = buf)
                        {
                            float* a = s, c = s + PatchPanel * kp;
                            for (int panel = start; panel < end; panel++)
                            {
                                int m0 = panel * PatchPanel, mb = Math.Min(PatchPanel, m - m0);
                                GatherPatches(a, kp, (float*)ax, xLayout, g, m0, mb, 0, kp);
                                float* dst = yLast ? (float*)ay + (nint)m0 * cout : c;
                                TileGemm.Run(mb, cout, kp, a, kp, 1, (float*)awp, cout, dst, cout, false, hasBias ? (float*)ab : null);
                                if (!yLast) ScatterRowsToChannelsFirst((float*)ay, c, g, m0, mb, false);
                            }
                        }
                    }
                    finally { ArrayPool<float>.Shared.Return(buf); }
                });
            }
        }
        finally { ArrayPool<float>.Shared.Return(wpBuf); }
    }

    /// <summary>
    /// Patchify convolution backward: accumulates (+=) dL/dx, dL/dweight and dL/dbias (any may be empty to skip).
    /// </summary>
    /// <param name="dx">Input gradient in <paramref name="xLayout"/>, accumulated (or empty).</param>
    /// <param name="dweight">Weight gradient [Cout, Cin, p, p], accumulated (or empty).</param>
    /// <param name="dbias">Bias gradient [Cout], accumulated (or empty).</param>
    /// <param name="dy">Output gradient in <paramref name="yLayout"/>.</param>
    /// <param name="x">The forward input in <paramref name="xLayout"/>.</param>
    /// <param name="weight">Weight [Cout, Cin, p, p].</param>
    /// <param name="geometry">A geometry with <see cref="Conv2dGeometry.IsPatchify"/>.</param>
    /// <param name="xLayout">Layout of x and dx.</param>
    /// <param name="yLayout">Layout of dy.</param>
    public static unsafe void PatchifyBackward(Span<float> dx, Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, in Conv2dGeometry geometry,
        ImageLayout xLayout = ImageLayout.ChannelsLast, ImageLayout yLayout = ImageLayout.ChannelsLast)
    {
        var g = geometry;
        if (!g.IsPatchify) throw new ArgumentException("patchify needs kernel = stride, padding 0 and groups 1.", nameof(geometry));
        CheckBuffers(g, dy.Length, x.Length, weight.Length, 0);
        if (!dx.IsEmpty && dx.Length < g.InputSize) throw new ArgumentException($"dx needs {g.InputSize} floats.", nameof(dx));
        if (!dweight.IsEmpty && dweight.Length < g.WeightSize) throw new ArgumentException($"dweight needs {g.WeightSize} floats.", nameof(dweight));
        if (!dbias.IsEmpty && dbias.Length < g.OutChannels) throw new ArgumentException($"dbias needs {g.OutChannels} floats.", nameof(dbias));
        if (g.Batch == 0) return;
        int cout = g.OutChannels, kp = g.WeightSize / cout, ohw = g.OutHeight * g.OutWidth;
        int m = g.Batch * ohw;
        int panels = (m + PatchPanel - 1) / PatchPanel;
        bool yLast = yLayout == ImageLayout.ChannelsLast;

        if (!dbias.IsEmpty) BiasGradient(dbias, dy, g.Batch, cout, ohw, yLast);

        fixed (float* pdx = dx, pdw = dweight, pdy = dy, px = x, pw = weight)
        {
            nint adx = (nint)pdx, ady = (nint)pdy, ax = (nint)px;
            if (!dweight.IsEmpty)
            {
                // Packed gradient [kp, cout]: work item = block of packed rows, summing over all patches in order.
                float[] dwpBuf = ArrayPool<float>.Shared.Rent(kp * cout);
                try
                {
                    fixed (float* dwp = dwpBuf)
                    {
                        new Span<float>(dwp, kp * cout).Clear();
                        nint adwp = (nint)dwp;
                        int blocks = (kp + PatchWeightBlock - 1) / PatchWeightBlock;
                        Chunks(blocks, 2.0 * m * Math.Min(PatchWeightBlock, kp) * cout).Run((start, end) =>
                        {
                            float[] buf = ArrayPool<float>.Shared.Rent(PatchPanel * (PatchWeightBlock + cout));
                            try
                            {
                                fixed (float* s = buf)
                                {
                                    for (int blk = start; blk < end; blk++)
                                    {
                                        int k0 = blk * PatchWeightBlock, kb = Math.Min(PatchWeightBlock, kp - k0);
                                        float* a = s, dyp = s + PatchPanel * kb;
                                        for (int panel = 0; panel < panels; panel++)
                                        {
                                            int m0 = panel * PatchPanel, mb = Math.Min(PatchPanel, m - m0);
                                            GatherPatches(a, kb, (float*)ax, xLayout, g, m0, mb, k0, k0 + kb);
                                            float* d = yLast ? (float*)ady + (nint)m0 * cout : dyp;
                                            if (!yLast) ScatterRowsToChannelsFirst((float*)ady, dyp, g, m0, mb, true);
                                            TileGemm.Run(kb, cout, mb, a, 1, kb, d, cout, (float*)adwp + (nint)k0 * cout, cout, true);
                                        }
                                    }
                                }
                            }
                            finally { ArrayPool<float>.Shared.Return(buf); }
                        });
                        UnpackPatchWeightsAdd(pdw, dwp, g);
                    }
                }
                finally { ArrayPool<float>.Shared.Return(dwpBuf); }
            }
            if (!dx.IsEmpty)
            {
                float[] wtBuf = ArrayPool<float>.Shared.Rent(kp * cout);
                try
                {
                    fixed (float* wt = wtBuf)
                    {
                        PackPatchWeights(null, wt, pw, g);
                        nint awt = (nint)wt;
                        Chunks(panels, 2.0 * PatchPanel * kp * cout).Run((start, end) =>
                        {
                            float[] buf = ArrayPool<float>.Shared.Rent(PatchPanel * (kp + cout));
                            try
                            {
                                fixed (float* s = buf)
                                {
                                    float* da = s, dyp = s + PatchPanel * kp;
                                    for (int panel = start; panel < end; panel++)
                                    {
                                        int m0 = panel * PatchPanel, mb = Math.Min(PatchPanel, m - m0);
                                        float* d = yLast ? (float*)ady + (nint)m0 * cout : dyp;
                                        if (!yLast) ScatterRowsToChannelsFirst((float*)ady, dyp, g, m0, mb, true);
                                        TileGemm.Run(mb, kp, cout, d, cout, 1, (float*)awt, kp, da, kp, false);
                                        ScatterPatchesAdd((float*)adx, xLayout, da, kp, g, m0, mb);
                                    }
                                }
                            }
                            finally { ArrayPool<float>.Shared.Return(buf); }
                        });
                    }
                }
                finally { ArrayPool<float>.Shared.Return(wtBuf); }
            }
        }
    }

    /// <summary>Sums dy over all pixels per output channel (fixed order) and adds to dbias.</summary>
    private static unsafe void BiasGradient(Span<float> dbias, ReadOnlySpan<float> dy, int batch, int channels, int pixels, bool channelsLast)
    {
        if (channelsLast)
        {
            float[] accBuf = ArrayPool<float>.Shared.Rent(channels);
            try
            {
                fixed (float* acc = accBuf, pdy = dy)
                {
                    new Span<float>(acc, channels).Clear();
                    int rows = batch * pixels;
                    for (int r = 0; r < rows; r++) RowAdd(acc, pdy + (nint)r * channels, channels);
                }
                TensorPrimitives.Add(dbias[..channels], accBuf.AsSpan(0, channels), dbias[..channels]);
            }
            finally { ArrayPool<float>.Shared.Return(accBuf); }
        }
        else
        {
            for (int c = 0; c < channels; c++)
            {
                float s = 0f;
                for (int n = 0; n < batch; n++) s += TensorPrimitives.Sum(dy.Slice((n * channels + c) * pixels, pixels));
                dbias[c] += s;
            }
        }
    }

    /// <summary>Strides (n, c, y, x) of an image tensor in the given layout.</summary>
    private static (nint N, nint C, nint H, nint W) Strides(ImageLayout layout, int channels, int height, int width) =>
        layout == ImageLayout.ChannelsLast
            ? ((nint)height * width * channels, 1, (nint)width * channels, channels)
            : ((nint)channels * height * width, (nint)height * width, width, 1);

    /// <summary>
    /// wp[kk, co] (if wp != null) and wt[co, kk] (if wt != null) = w[co, ci, ky, kx] with kk = (ky p + kx) Cin + ci,
    /// the patch order in which a channels-last row of pixels is contiguous.
    /// </summary>
    private static unsafe void PackPatchWeights(float* wp, float* wt, float* w, in Conv2dGeometry g)
    {
        int p = g.KernelH, cin = g.InChannels, cout = g.OutChannels, kp = p * p * cin;
        for (int co = 0; co < cout; co++)
            for (int ci = 0; ci < cin; ci++)
                for (int t = 0; t < p * p; t++)
                {
                    float v = w[((nint)co * cin + ci) * p * p + t];
                    int kk = t * cin + ci;
                    if (wp != null) wp[(nint)kk * cout + co] = v;
                    if (wt != null) wt[(nint)co * kp + kk] = v;
                }
    }

    /// <summary>dw[co, ci, ky, kx] += dwp[kk, co].</summary>
    private static unsafe void UnpackPatchWeightsAdd(float* dw, float* dwp, in Conv2dGeometry g)
    {
        int p = g.KernelH, cin = g.InChannels, cout = g.OutChannels;
        for (int co = 0; co < cout; co++)
            for (int ci = 0; ci < cin; ci++)
                for (int t = 0; t < p * p; t++)
                    dw[((nint)co * cin + ci) * p * p + t] += dwp[((nint)t * cin + ci) * cout + co];
    }

    /// <summary>a[r * lda + kk - k0] = patch(m0 + r)[kk] for kk in [k0, k1), patches in (n, oy, ox) order.</summary>
    private static unsafe void GatherPatches(float* a, nint lda, float* x, ImageLayout layout, in Conv2dGeometry g, int m0, int mb, int k0, int k1)
    {
        int p = g.KernelH, cin = g.InChannels, ohw = g.OutHeight * g.OutWidth, ow = g.OutWidth;
        var s = Strides(layout, cin, g.Height, g.Width);
        for (int r = 0; r < mb; r++)
        {
            int mi = m0 + r, n = mi / ohw, rem = mi % ohw, oy = rem / ow, ox = rem % ow;
            float* bas = x + n * s.N + (nint)oy * p * s.H + (nint)ox * p * s.W;
            float* dst = a + r * lda - k0;
            for (int kk = k0; kk < k1;)
            {
                int t = kk / cin, ci = kk % cin, run = Math.Min(cin - ci, k1 - kk);
                float* src = bas + (t / p) * s.H + (t % p) * s.W + ci * s.C;
                if (s.C == 1 && run >= 16) new ReadOnlySpan<float>(src, run).CopyTo(new Span<float>(dst + kk, run));
                else for (int i = 0; i < run; i++) dst[kk + i] = src[i * s.C];
                kk += run;
            }
        }
    }

    /// <summary>dx(patch(m0 + r)[kk]) += da[r * lda + kk] for all kk.</summary>
    private static unsafe void ScatterPatchesAdd(float* dx, ImageLayout layout, float* da, nint lda, in Conv2dGeometry g, int m0, int mb)
    {
        int p = g.KernelH, cin = g.InChannels, ohw = g.OutHeight * g.OutWidth, ow = g.OutWidth, kp = p * p * cin;
        var s = Strides(layout, cin, g.Height, g.Width);
        for (int r = 0; r < mb; r++)
        {
            int mi = m0 + r, n = mi / ohw, rem = mi % ohw, oy = rem / ow, ox = rem % ow;
            float* bas = dx + n * s.N + (nint)oy * p * s.H + (nint)ox * p * s.W;
            float* src = da + r * lda;
            for (int t = 0; t < p * p; t++)
            {
                float* dst = bas + (t / p) * s.H + (t % p) * s.W;
                float* sr = src + t * cin;
                if (s.C == 1) RowAdd(dst, sr, cin);
                else for (int ci = 0; ci < cin; ci++) dst[ci * s.C] += sr[ci];
            }
        }
    }

    /// <summary>
    /// Moves rows [m0, m0 + mb) of a channels-last [M, Cout] panel to/from a channels-first [N, Cout, OH, OW] tensor:
    /// toPanel = false writes panel -> tensor; toPanel = true reads tensor -> panel.
    /// </summary>
    private static unsafe void ScatterRowsToChannelsFirst(float* tensor, float* panel, in Conv2dGeometry g, int m0, int mb, bool toPanel)
    {
        int cout = g.OutChannels, ohw = g.OutHeight * g.OutWidth;
        for (int r = 0; r < mb; r++)
        {
            int mi = m0 + r, n = mi / ohw, pix = mi % ohw;
            float* t = tensor + (nint)n * cout * ohw + pix;
            float* row = panel + (nint)r * cout;
            if (toPanel) for (int c = 0; c < cout; c++) row[c] = t[(nint)c * ohw];
            else for (int c = 0; c < cout; c++) t[(nint)c * ohw] = row[c];
        }
    }
}
