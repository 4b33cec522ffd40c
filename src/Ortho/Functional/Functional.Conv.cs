using System.Numerics.Tensors;
using Ortho.Kernels;

namespace Ortho;

public static partial class Functional
{
    /// <summary>
    /// k x k convolution with stride k (patchify) on channels-last input x [N, H, W, Cin] with PyTorch's weight layout
    /// [Cout, Cin, k, k]; gives [N, H/k, W/k, Cout]. Computed as one GEMM over gathered patches each way.
    /// </summary>
    public static Tensor PatchConvNhwc(Tensor x, Tensor weight, Tensor? bias, int k)
    {
        if (x.Rank != 4 || weight.Rank != 4 || weight.Size(1) != x.Size(3) || weight.Size(2) != k || weight.Size(3) != k)
            throw new ArgumentException($"PatchConvNhwc: input {Tensor.ShapeString(x.ShapeSpan)} (NHWC) does not match weight {Tensor.ShapeString(weight.ShapeSpan)} with kernel {k}.");
        int n = x.Size(0), h = x.Size(1), w = x.Size(2), cin = x.Size(3), cout = weight.Size(0);
        if (h % k != 0 || w % k != 0) throw new ArgumentException($"PatchConvNhwc: spatial size {h}x{w} is not divisible by the kernel {k}.");
        int ho = h / k, wo = w / k, rows = n * ho * wo, kk = k * k * cin;
        var patches = Tensor.Empty([rows, kk]);
        var wr = Tensor.Empty([cout, kk]);
        Im2ColPatches(x.Data, patches.Data, n, h, w, cin, k, gather: true);
        ReorderWeight(weight.Data, wr.Data, cout, cin, k, toRows: true);
        var y = Tensor.Empty([n, ho, wo, cout]);
        Gemm.Sgemm(false, true, rows, cout, kk, 1f, patches.Data, kk, wr.Data, kk, 0f, y.Data, cout);
        if (bias != null) AddRowBias(y.Data, bias.Data, rows, cout);
        Tensor[] inputs = bias == null ? [x, weight] : [x, weight, bias];
        return Tensor.Record(y, "patch_conv", inputs, g =>
        {
            var gd = g.Data;
            float[] tmp = TensorPool.Rent(Math.Max(rows * kk, cout * kk));
            try
            {
                if (x.RequiresGrad)
                {
                    var dp = tmp.AsSpan(0, rows * kk);
                    Gemm.Sgemm(false, false, rows, kk, cout, 1f, gd, cout, wr.Data, kk, 0f, dp, kk);
                    Im2ColPatches(x.GradSpan(), dp, n, h, w, cin, k, gather: false);
                }
                if (weight.RequiresGrad)
                {
                    var dw = tmp.AsSpan(0, cout * kk);
                    Gemm.Sgemm(true, false, cout, kk, rows, 1f, gd, cout, patches.Data, kk, 0f, dw, kk);
                    ReorderWeight(weight.GradSpan(), dw, cout, cin, k, toRows: false);
                }
            }
            finally { TensorPool.Return(tmp); }
            if (bias is { RequiresGrad: true }) SumRows(gd, bias.GradSpan(), rows, cout);
        });
    }

    /// <summary>gather: patches[(n,i,j), (ky,kx,c)] = x[n, i*k+ky, j*k+kx, c]; otherwise x += the scatter of patches.</summary>
    private static void Im2ColPatches(Span<float> x, Span<float> patches, int n, int h, int w, int cin, int k, bool gather)
    {
        int ho = h / k, wo = w / k, run = k * cin;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < ho; i++)
                for (int j = 0; j < wo; j++)
                {
                    int row = ((b * ho + i) * wo + j) * k * run;
                    for (int ky = 0; ky < k; ky++)
                    {
                        var src = x.Slice(((b * h + i * k + ky) * w + j * k) * cin, run);
                        var dst = patches.Slice(row + ky * run, run);
                        if (gather) src.CopyTo(dst);
                        else TensorPrimitives.Add(src, dst, src);
                    }
                }
    }

    /// <summary>toRows: wr[co, (ky,kx,ci)] = w[co, ci, ky, kx]; otherwise w += the inverse reorder of wr.</summary>
    private static void ReorderWeight(Span<float> w, Span<float> wr, int cout, int cin, int k, bool toRows)
    {
        for (int co = 0; co < cout; co++)
            for (int ci = 0; ci < cin; ci++)
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++)
                    {
                        int a = ((co * cin + ci) * k + ky) * k + kx, r = co * k * k * cin + (ky * k + kx) * cin + ci;
                        if (toRows) wr[r] = w[a];
                        else w[a] += wr[r];
                    }
    }

    private static void AddRowBias(Span<float> y, ReadOnlySpan<float> bias, int rows, int c)
    {
        for (int r = 0; r < rows; r++) { var row = y.Slice(r * c, c); TensorPrimitives.Add(row, bias, row); }
    }

    private static void SumRows(ReadOnlySpan<float> src, Span<float> dst, int rows, int c)
    {
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(dst, src.Slice(r * c, c), dst);
    }

    /// <summary>
    /// Depthwise 7x7 convolution, padding 3, stride 1, on channels-last x [N, H, W, C] with PyTorch's weight layout
    /// [C, 1, 7, 7]; vectorized over channels.
    /// </summary>
    public static Tensor DepthwiseConv7Nhwc(Tensor x, Tensor weight, Tensor? bias)
    {
        if (x.Rank != 4 || weight.Rank != 4 || weight.Size(0) != x.Size(3) || weight.Size(1) != 1 || weight.Size(2) != 7 || weight.Size(3) != 7)
            throw new ArgumentException($"DepthwiseConv7Nhwc: input {Tensor.ShapeString(x.ShapeSpan)} (NHWC) does not match weight {Tensor.ShapeString(weight.ShapeSpan)} (expected [C, 1, 7, 7]).");
        int n = x.Size(0), h = x.Size(1), w = x.Size(2), c = x.Size(3);
        var wt = Tensor.Empty([49, c]); // taps x channels, so each tap is a contiguous channel vector
        for (int ch = 0; ch < c; ch++) for (int t = 0; t < 49; t++) wt.Data[t * c + ch] = weight.Data[ch * 49 + t];
        var y = Tensor.Empty(x.Shape);
        var yd = y.Data;
        var xd = x.Data;
        var wtd = wt.Data;
        for (int p = 0; p < n * h * w; p++)
        {
            var o = yd.Slice(p * c, c);
            if (bias != null) bias.Data.CopyTo(o); else o.Clear();
        }
        DepthwiseTaps(TapMode.Forward, yd, xd, wtd, n, h, w, c);
        Tensor[] inputs = bias == null ? [x, weight] : [x, weight, bias];
        return Tensor.Record(y, "depthwise_conv7", inputs, g =>
        {
            var gd = g.Data;
            var xs = x.Data;
            if (x.RequiresGrad)
            {
                DepthwiseTaps(TapMode.InputGrad, x.GradSpan(), gd, wt.Data, n, h, w, c);
            }
            if (weight.RequiresGrad)
            {
                var dwt = Tensor.Empty([49, c]);
                dwt.Data.Clear();
                var dws = dwt.Data;
                DepthwiseTaps(TapMode.WeightGrad, dws, gd, xs, n, h, w, c);
                var dw = weight.GradSpan();
                for (int ch = 0; ch < c; ch++) for (int t = 0; t < 49; t++) dw[ch * 49 + t] += dws[t * c + ch];
            }
            if (bias is { RequiresGrad: true }) SumRows(gd, bias.GradSpan(), n * h * w, c);
        });
    }

    private enum TapMode { Forward, InputGrad, WeightGrad }

    /// <summary>
    /// For every in-bounds tap of a 7x7, padding-3 window, one channel-vector multiply-add:
    /// Forward: acc[out] += a[in] * b[tap]; InputGrad: acc[in] += a[out] * b[tap]; WeightGrad: acc[tap] += a[out] * b[in].
    /// </summary>
    private static void DepthwiseTaps(TapMode mode, Span<float> acc, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int n, int h, int w, int c)
    {
        for (int bi = 0; bi < n; bi++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                {
                    int op = (bi * h + i) * w + j;
                    for (int ky = 0; ky < 7; ky++)
                    {
                        int ii = i + ky - 3;
                        if ((uint)ii >= (uint)h) continue;
                        for (int kx = 0; kx < 7; kx++)
                        {
                            int jj = j + kx - 3;
                            if ((uint)jj >= (uint)w) continue;
                            int ip = (bi * h + ii) * w + jj, tap = ky * 7 + kx;
                            int d = mode == TapMode.Forward ? op : mode == TapMode.InputGrad ? ip : tap;
                            int sa = mode == TapMode.Forward ? ip : op;
                            int sb = mode == TapMode.WeightGrad ? ip : tap;
                            var dst = acc.Slice(d * c, c);
                            TensorPrimitives.MultiplyAdd(a.Slice(sa * c, c), b.Slice(sb * c, c), dst, dst);
                        }
                    }
                }
    }

    /// <summary>Mean over the spatial dimensions of channels-last x [N, H, W, C], giving [N, C].</summary>
    public static Tensor GlobalAvgPool(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"GlobalAvgPool: expected [N, H, W, C], got {Tensor.ShapeString(x.ShapeSpan)}.");
        int n = x.Size(0), hw = x.Size(1) * x.Size(2), c = x.Size(3);
        return x.Reshape(n, hw, c).Mean(1);
    }
}
