using System.Text.Json;
using Ortho.Kernels;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Kernels;

/// <summary>Double-precision direct-loop convolution (NCHW) and its analytic backward.</summary>
internal static class NaiveConv
{
    public static double[] Forward(double[] x, double[] w, double[]? b, Conv2dGeometry g)
    {
        int cinG = g.InChannels / g.Groups, coutG = g.OutChannels / g.Groups, OH = g.OutHeight, OW = g.OutWidth;
        var y = new double[g.OutputSize];
        for (int n = 0; n < g.Batch; n++)
            for (int co = 0; co < g.OutChannels; co++)
            {
                int grp = co / coutG;
                for (int oy = 0; oy < OH; oy++)
                    for (int ox = 0; ox < OW; ox++)
                    {
                        double s = b == null ? 0 : b[co];
                        for (int ci = 0; ci < cinG; ci++)
                            for (int ky = 0; ky < g.KernelH; ky++)
                                for (int kx = 0; kx < g.KernelW; kx++)
                                {
                                    int iy = oy * g.StrideH - g.PadH + ky, ix = ox * g.StrideW - g.PadW + kx;
                                    if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width) continue;
                                    s += x[((n * g.InChannels + grp * cinG + ci) * g.Height + iy) * g.Width + ix]
                                         * w[((co * cinG + ci) * g.KernelH + ky) * g.KernelW + kx];
                                }
                        y[((n * g.OutChannels + co) * OH + oy) * OW + ox] = s;
                    }
            }
        return y;
    }

    public static (double[] dx, double[] dw, double[] db) Backward(double[] dy, double[] x, double[] w, Conv2dGeometry g)
    {
        int cinG = g.InChannels / g.Groups, coutG = g.OutChannels / g.Groups, OH = g.OutHeight, OW = g.OutWidth;
        var dx = new double[g.InputSize]; var dw = new double[g.WeightSize]; var db = new double[g.OutChannels];
        for (int n = 0; n < g.Batch; n++)
            for (int co = 0; co < g.OutChannels; co++)
            {
                int grp = co / coutG;
                for (int oy = 0; oy < OH; oy++)
                    for (int ox = 0; ox < OW; ox++)
                    {
                        double d = dy[((n * g.OutChannels + co) * OH + oy) * OW + ox];
                        db[co] += d;
                        for (int ci = 0; ci < cinG; ci++)
                            for (int ky = 0; ky < g.KernelH; ky++)
                                for (int kx = 0; kx < g.KernelW; kx++)
                                {
                                    int iy = oy * g.StrideH - g.PadH + ky, ix = ox * g.StrideW - g.PadW + kx;
                                    if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width) continue;
                                    int xi = ((n * g.InChannels + grp * cinG + ci) * g.Height + iy) * g.Width + ix;
                                    int wi = ((co * cinG + ci) * g.KernelH + ky) * g.KernelW + kx;
                                    dx[xi] += d * w[wi];
                                    dw[wi] += d * x[xi];
                                }
                    }
            }
        return (dx, dw, db);
    }
}

/// <summary>NCHW &lt;-&gt; NHWC permutations.</summary>
internal static class Perm
{
    public static float[] ToNhwc(float[] a, int n, int c, int h, int w)
    {
        var r = new float[a.Length];
        for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) for (int y = 0; y < h; y++) for (int x = 0; x < w; x++)
            r[((i * h + y) * w + x) * c + ch] = a[((i * c + ch) * h + y) * w + x];
        return r;
    }

    public static float[] ToNchw(float[] a, int n, int c, int h, int w)
    {
        var r = new float[a.Length];
        for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) for (int y = 0; y < h; y++) for (int x = 0; x < w; x++)
            r[((i * c + ch) * h + y) * w + x] = a[((i * h + y) * w + x) * c + ch];
        return r;
    }
}

public class ConvTests
{
    public static IEnumerable<object[]> FixtureCases()
    {
        foreach (var file in Fixtures.Files("*.json"))
        {
            using var doc = Fixtures.Load(file);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("ops", out var ops) || ops.ValueKind != JsonValueKind.Array)
                continue;
            int idx = 0;
            foreach (var c in ops.EnumerateArray())
            {
                if (AttentionTests.OpName(c).StartsWith("conv2d", StringComparison.Ordinal)) yield return new object[] { Path.GetFileName(file), idx };
                idx++;
            }
        }
    }

    [Fact]
    public void FixtureCasesAreDiscovered() => Assert.NotEmpty(FixtureCases());

    private static int IntAttr(JsonElement attrs, string name, int fallback) =>
        attrs.ValueKind == JsonValueKind.Object && attrs.TryGetProperty(name, out var v)
            ? (v.ValueKind == JsonValueKind.Array ? v[0].GetInt32() : v.GetInt32()) : fallback;

    private static (int, int) PairAttr(JsonElement attrs, string name, int fallback)
    {
        if (attrs.ValueKind != JsonValueKind.Object || !attrs.TryGetProperty(name, out var v)) return (fallback, fallback);
        return v.ValueKind == JsonValueKind.Array ? (v[0].GetInt32(), v[v.GetArrayLength() - 1].GetInt32()) : (v.GetInt32(), v.GetInt32());
    }

    [Theory]
    [MemberData(nameof(FixtureCases))]
    public void MatchesFixture(string file, int index)
    {
        using var doc = Fixtures.Load(Path.Combine(Fixtures.Directory, file));
        var c = doc.RootElement.GetProperty("ops")[index];
        string what = $"{file}#{index} {AttentionTests.OpName(c)}";
        var attrs = c.TryGetProperty("attrs", out var a) ? a : default;
        var (sh, sw) = PairAttr(attrs, "stride", 1);
        var (ph, pw) = PairAttr(attrs, "padding", 0);
        int groups = IntAttr(attrs, "groups", 1);
        string layout = attrs.ValueKind == JsonValueKind.Object && attrs.TryGetProperty("layout", out var l) ? l.GetString()! : "NCHW";
        bool nhwc = layout == "NHWC";
        Assert.True(nhwc || layout == "NCHW", $"{what}: unknown layout {layout}");

        var inputs = c.GetProperty("inputs");
        int[] xs = Fixtures.Shape(inputs.GetProperty("x").GetProperty("shape"));
        int[] ws = Fixtures.Shape(inputs.GetProperty("w").GetProperty("shape"));
        int N = xs[0], Cin = nhwc ? xs[3] : xs[1], H = nhwc ? xs[1] : xs[2], W = nhwc ? xs[2] : xs[3];
        var g = new Conv2dGeometry(N, Cin, H, W, ws[0], ws[2], ws[3], sh, sw, ph, pw, groups);
        int OH = g.OutHeight, OW = g.OutWidth, Cout = g.OutChannels;
        bool hasBias = inputs.TryGetProperty("b", out var bEl);
        var grads = c.GetProperty("grads");

        float[] x = Fixtures.Floats(inputs.GetProperty("x").GetProperty("data"));
        float[] w = Fixtures.Floats(inputs.GetProperty("w").GetProperty("data"));
        float[] b = hasBias ? Fixtures.Floats(bEl.GetProperty("data")) : Array.Empty<float>();
        float[] y = Fixtures.Floats(c.GetProperty("y").GetProperty("data"));
        float[] dy = Fixtures.Floats(c.GetProperty("dy").GetProperty("data"));
        float[] gx = Fixtures.Floats(grads.GetProperty("x").GetProperty("data"));
        float[] gw = Fixtures.Floats(grads.GetProperty("w").GetProperty("data"));
        float[]? gb = hasBias ? Fixtures.Floats(grads.GetProperty("b").GetProperty("data")) : null;
        Assert.Equal(g.OutputSize, y.Length);
        // Canonical NCHW copies for the general kernel.
        float[] xc = nhwc ? Perm.ToNchw(x, N, Cin, H, W) : x, yc = nhwc ? Perm.ToNchw(y, N, Cout, OH, OW) : y;
        float[] dyc = nhwc ? Perm.ToNchw(dy, N, Cout, OH, OW) : dy, gxc = nhwc ? Perm.ToNchw(gx, N, Cin, H, W) : gx;

        void CheckAll(float[] yOut, float[] dx, float[] dw, float[] db, string path)
        {
            Close.All(yOut, yc, $"{what} {path} y");
            Close.All(dx, gxc, $"{what} {path} dx");
            Close.All(dw, gw, $"{what} {path} dw");
            if (gb != null) Close.All(db, gb, $"{what} {path} db");
        }

        {
            var yo = new float[g.OutputSize];
            Conv2dKernels.Forward(yo, xc, w, b, g);
            var dx = new float[g.InputSize]; var dw = new float[g.WeightSize]; var db = new float[hasBias ? Cout : 0];
            Conv2dKernels.Backward(dx, dw, db, dyc, xc, w, g);
            CheckAll(yo, dx, dw, db, "general");
        }
        if (g.IsPatchify)
        {
            foreach (var xl in new[] { ImageLayout.ChannelsFirst, ImageLayout.ChannelsLast })
                foreach (var yl in new[] { ImageLayout.ChannelsFirst, ImageLayout.ChannelsLast })
                {
                    float[] xin = xl == ImageLayout.ChannelsLast ? Perm.ToNhwc(xc, N, Cin, H, W) : xc;
                    float[] dyin = yl == ImageLayout.ChannelsLast ? Perm.ToNhwc(dyc, N, Cout, OH, OW) : dyc;
                    var yo = new float[g.OutputSize];
                    Conv2dKernels.PatchifyForward(yo, xin, w, b, g, xl, yl);
                    var dx = new float[g.InputSize]; var dw = new float[g.WeightSize]; var db = new float[hasBias ? Cout : 0];
                    Conv2dKernels.PatchifyBackward(dx, dw, db, dyin, xin, w, g, xl, yl);
                    CheckAll(yl == ImageLayout.ChannelsLast ? Perm.ToNchw(yo, N, Cout, OH, OW) : yo,
                        xl == ImageLayout.ChannelsLast ? Perm.ToNchw(dx, N, Cin, H, W) : dx, dw, db, $"patchify {xl}->{yl}");
                }
        }
        if (g.IsDepthwise)
        {
            float[] xin = Perm.ToNhwc(xc, N, Cin, H, W), dyin = Perm.ToNhwc(dyc, N, Cout, OH, OW);
            var yo = new float[g.OutputSize];
            Conv2dKernels.DepthwiseForward(yo, xin, w, b, g);
            var dx = new float[g.InputSize]; var dw = new float[g.WeightSize]; var db = new float[hasBias ? Cout : 0];
            Conv2dKernels.DepthwiseBackward(dx, dw, db, dyin, xin, w, g);
            CheckAll(Perm.ToNchw(yo, N, Cout, OH, OW), Perm.ToNchw(dx, N, Cin, H, W), dw, db, "depthwise channels-last");
        }
    }

    private static float[] Randn(ulong seed, int n, float std = 1f)
    {
        var a = new float[n];
        new Rng(seed).FillNormal(a, 0f, std);
        return a;
    }

    private static double[] ToD(float[] a) => a.Select(v => (double)v).ToArray();

    private static double[] MinusD(float[] a, float[] b) => a.Select((v, i) => (double)v - b[i]).ToArray();

    public static IEnumerable<object[]> GeneralShapes() => new[]
    {
        // N, Cin, H, W, Cout, KH, KW, SH, SW, PH, PW, groups
        new object[] { 2, 3, 9, 9, 4, 3, 3, 1, 1, 1, 1, 1 },
        new object[] { 2, 4, 10, 7, 6, 3, 2, 2, 1, 1, 0, 2 },
        new object[] { 1, 6, 8, 8, 6, 7, 7, 1, 1, 3, 3, 6 },
        new object[] { 3, 2, 17, 19, 5, 5, 5, 3, 2, 2, 1, 1 },
        new object[] { 2, 8, 20, 20, 16, 1, 1, 1, 1, 0, 0, 4 },
        new object[] { 1, 3, 23, 23, 40, 3, 3, 1, 1, 1, 1, 1 },   // more than one 256-pixel block
    };

    /// <summary>General kernel against the double-precision direct loops, with accumulation into non-zero gradients.</summary>
    [Theory]
    [MemberData(nameof(GeneralShapes))]
    public void GeneralMatchesNaiveReference(int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw, int groups)
    {
        var g = new Conv2dGeometry(n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, groups);
        ulong seed = (ulong)(n * 7 + cin * 11 + h * 13 + kh * 17 + groups);
        float[] x = Randn(seed, g.InputSize), wt = Randn(seed + 1, g.WeightSize, 0.3f), b = Randn(seed + 2, cout), dy = Randn(seed + 3, g.OutputSize);
        var y = new float[g.OutputSize];
        Conv2dKernels.Forward(y, x, wt, b, g);
        Close.All(ToD(y), NaiveConv.Forward(ToD(x), ToD(wt), ToD(b), g), "y", 1e-4, 1e-4);
        var (rdx, rdw, rdb) = NaiveConv.Backward(ToD(dy), ToD(x), ToD(wt), g);
        float[] ix = Randn(seed + 4, g.InputSize), iw = Randn(seed + 5, g.WeightSize), ib = Randn(seed + 6, cout);
        float[] dx = (float[])ix.Clone(), dw = (float[])iw.Clone(), db = (float[])ib.Clone();
        Conv2dKernels.Backward(dx, dw, db, dy, x, wt, g);
        Close.All(MinusD(dx, ix), rdx, "dx", 1e-4, 1e-4);
        Close.All(MinusD(dw, iw), rdw, "dw", 2e-4, 1e-4);
        Close.All(MinusD(db, ib), rdb, "db", 2e-4, 1e-4);
        // No bias / skipped gradients.
        var y2 = new float[g.OutputSize];
        Conv2dKernels.Forward(y2, x, wt, ReadOnlySpan<float>.Empty, g);
        Close.All(ToD(y2), NaiveConv.Forward(ToD(x), ToD(wt), null, g), "y (no bias)", 1e-4, 1e-4);
        var dw2 = new float[g.WeightSize];
        Conv2dKernels.Backward(Span<float>.Empty, dw2, Span<float>.Empty, dy, x, wt, g);
        Close.All(ToD(dw2), rdw, "dw only", 2e-4, 1e-4);
    }

    public static IEnumerable<object[]> PatchifyShapes() => new[]
    {
        // N, Cin, H, W, Cout, p
        new object[] { 4, 1, 28, 28, 32, 2 },   // Fashion-MNIST stem
        new object[] { 3, 32, 7, 7, 64, 2 },    // downsample with an odd size (last row/column dropped)
        new object[] { 2, 5, 9, 10, 20, 3 },    // channel and column tails
        new object[] { 2, 3, 8, 8, 7, 4 },
        new object[] { 1, 70, 4, 6, 33, 2 },    // packed-weight rows span several 64-row work items
    };

    /// <summary>Patchify fast path (all layout combinations) against the naive reference and the general kernel.</summary>
    [Theory]
    [MemberData(nameof(PatchifyShapes))]
    public void PatchifyMatchesReferenceAndGeneral(int n, int cin, int h, int w, int cout, int p)
    {
        var g = new Conv2dGeometry(n, cin, h, w, cout, p, p, 0, 1);
        Assert.True(g.IsPatchify);
        int oh = g.OutHeight, ow = g.OutWidth;
        ulong seed = (ulong)(n * 3 + cin * 5 + h + cout * 7 + p);
        float[] x = Randn(seed, g.InputSize), wt = Randn(seed + 1, g.WeightSize, 0.3f), b = Randn(seed + 2, cout), dy = Randn(seed + 3, g.OutputSize);
        double[] yRef = NaiveConv.Forward(ToD(x), ToD(wt), ToD(b), g);
        var (rdx, rdw, rdb) = NaiveConv.Backward(ToD(dy), ToD(x), ToD(wt), g);
        var yGen = new float[g.OutputSize];
        Conv2dKernels.Forward(yGen, x, wt, b, g);
        float[] ix = Randn(seed + 4, g.InputSize), iw = Randn(seed + 5, g.WeightSize), ib = Randn(seed + 6, cout);
        foreach (var xl in new[] { ImageLayout.ChannelsFirst, ImageLayout.ChannelsLast })
            foreach (var yl in new[] { ImageLayout.ChannelsFirst, ImageLayout.ChannelsLast })
            {
                string tag = $"{xl}->{yl}";
                bool xLast = xl == ImageLayout.ChannelsLast, yLast = yl == ImageLayout.ChannelsLast;
                float[] xin = xLast ? Perm.ToNhwc(x, n, cin, h, w) : x, dyin = yLast ? Perm.ToNhwc(dy, n, cout, oh, ow) : dy;
                var y = new float[g.OutputSize];
                Conv2dKernels.PatchifyForward(y, xin, wt, b, g, xl, yl);
                float[] yc = yLast ? Perm.ToNchw(y, n, cout, oh, ow) : y;
                Close.All(ToD(yc), yRef, $"{tag} y", 1e-4, 1e-4);
                Close.All(yc, yGen, $"{tag} y vs general", 1e-5, 1e-5);
                float[] dx = xLast ? Perm.ToNhwc(ix, n, cin, h, w) : (float[])ix.Clone(), dw = (float[])iw.Clone(), db = (float[])ib.Clone();
                Conv2dKernels.PatchifyBackward(dx, dw, db, dyin, xin, wt, g, xl, yl);
                float[] dxc = xLast ? Perm.ToNchw(dx, n, cin, h, w) : dx;
                Close.All(MinusD(dxc, ix), rdx, $"{tag} dx", 1e-4, 1e-4);
                Close.All(MinusD(dw, iw), rdw, $"{tag} dw", 2e-4, 1e-4);
                Close.All(MinusD(db, ib), rdb, $"{tag} db", 2e-4, 1e-4);
            }
    }

    public static IEnumerable<object[]> DepthwiseShapes() => new[]
    {
        // N, C, H, W, K, pad
        new object[] { 3, 32, 14, 14, 7, 3 },   // ConvNeXt stage 1 (Fashion-MNIST)
        new object[] { 2, 64, 7, 7, 7, 3 },
        new object[] { 2, 128, 3, 3, 7, 3 },    // stage 3: most taps fall in the padding
        new object[] { 2, 37, 9, 6, 7, 3 },     // channel tail (not a multiple of the vector width)
        new object[] { 2, 5, 8, 9, 3, 1 },
        new object[] { 2, 20, 9, 10, 5, 0 },    // "valid" padding, output smaller than input
        new object[] { 1, 17, 6, 11, 9, 2 },    // more than 8 taps per row
    };

    /// <summary>Depthwise channels-last fast path against the naive reference and the general NCHW kernel.</summary>
    [Theory]
    [MemberData(nameof(DepthwiseShapes))]
    public void DepthwiseMatchesReferenceAndGeneral(int n, int c, int h, int w, int k, int pad)
    {
        var g = new Conv2dGeometry(n, c, h, w, c, k, 1, pad, c);
        Assert.True(g.IsDepthwise);
        int oh = g.OutHeight, ow = g.OutWidth;
        ulong seed = (ulong)(n * 3 + c * 5 + h + k * 7 + pad);
        float[] x = Randn(seed, g.InputSize), wt = Randn(seed + 1, g.WeightSize, 0.3f), b = Randn(seed + 2, c), dy = Randn(seed + 3, g.OutputSize);
        double[] yRef = NaiveConv.Forward(ToD(x), ToD(wt), ToD(b), g);
        var (rdx, rdw, rdb) = NaiveConv.Backward(ToD(dy), ToD(x), ToD(wt), g);

        float[] xl = Perm.ToNhwc(x, n, c, h, w), dyl = Perm.ToNhwc(dy, n, c, oh, ow);
        var y = new float[g.OutputSize];
        Conv2dKernels.DepthwiseForward(y, xl, wt, b, g);
        float[] yc = Perm.ToNchw(y, n, c, oh, ow);
        Close.All(ToD(yc), yRef, "y", 1e-4, 1e-4);
        var yGen = new float[g.OutputSize];
        Conv2dKernels.Forward(yGen, x, wt, b, g);
        Close.All(yc, yGen, "y vs general", 1e-5, 1e-5);

        float[] ix = Randn(seed + 4, g.InputSize), iw = Randn(seed + 5, g.WeightSize), ib = Randn(seed + 6, c);
        float[] dx = Perm.ToNhwc(ix, n, c, h, w), dw = (float[])iw.Clone(), db = (float[])ib.Clone();
        Conv2dKernels.DepthwiseBackward(dx, dw, db, dyl, xl, wt, g);
        Close.All(MinusD(Perm.ToNchw(dx, n, c, h, w), ix), rdx, "dx", 1e-4, 1e-4);
        Close.All(MinusD(dw, iw), rdw, "dw", 2e-4, 1e-4);
        Close.All(MinusD(db, ib), rdb, "db", 2e-4, 1e-4);

        var gdx = new float[g.InputSize]; var gdw = new float[g.WeightSize]; var gdb = new float[c];
        Conv2dKernels.Backward(gdx, gdw, gdb, dy, x, wt, g);
        var fdx = new float[g.InputSize]; var fdw = new float[g.WeightSize]; var fdb = new float[c];
        Conv2dKernels.DepthwiseBackward(fdx, fdw, fdb, dyl, xl, wt, g);
        Close.All(Perm.ToNchw(fdx, n, c, h, w), gdx, "dx vs general", 1e-5, 1e-4);
        Close.All(fdw, gdw, "dw vs general", 1e-4, 1e-4);
        Close.All(fdb, gdb, "db vs general", 1e-4, 1e-4);
    }

    /// <summary>
    /// Central finite differences of sum(y * dy) through the double-precision direct loops, against the float
    /// backward of the general kernel and of the applicable fast path.
    /// </summary>
    [Theory]
    [InlineData("general", 2, 4, 6, 5, 6, 3, 2, 2, 1, 1, 0, 2)]
    [InlineData("patchify", 2, 3, 5, 6, 4, 2, 2, 2, 2, 0, 0, 1)]
    [InlineData("depthwise", 2, 3, 6, 5, 3, 7, 7, 1, 1, 3, 3, 3)]
    public void BackwardMatchesFiniteDifferences(string path, int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw, int groups)
    {
        var g = new Conv2dGeometry(n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, groups);
        float[] x = Randn(31, g.InputSize), wt = Randn(32, g.WeightSize, 0.5f), b = Randn(33, cout), dy = Randn(34, g.OutputSize);
        int oh = g.OutHeight, ow = g.OutWidth;
        var dx = new float[g.InputSize]; var dw = new float[g.WeightSize]; var db = new float[cout];
        switch (path)
        {
            case "general":
                Conv2dKernels.Backward(dx, dw, db, dy, x, wt, g);
                break;
            case "patchify":
            {
                var dxl = new float[g.InputSize];
                Conv2dKernels.PatchifyBackward(dxl, dw, db, Perm.ToNhwc(dy, n, cout, oh, ow), Perm.ToNhwc(x, n, cin, h, w), wt, g);
                dx = Perm.ToNchw(dxl, n, cin, h, w);
                break;
            }
            default:
            {
                var dxl = new float[g.InputSize];
                Conv2dKernels.DepthwiseBackward(dxl, dw, db, Perm.ToNhwc(dy, n, cout, oh, ow), Perm.ToNhwc(x, n, cin, h, w), wt, g);
                dx = Perm.ToNchw(dxl, n, cin, h, w);
                break;
            }
        }
        double[] xd = ToD(x), wd = ToD(wt), bd = ToD(b), dyd = ToD(dy);
        double Loss()
        {
            var y = NaiveConv.Forward(xd, wd, bd, g);
            double s = 0; for (int i = 0; i < y.Length; i++) s += y[i] * dyd[i];
            return s;
        }
        const double eps = 1e-5;
        foreach (var (arr, grad, name) in new[] { (xd, dx, "dx"), (wd, dw, "dw"), (bd, db, "db") })
            for (int i = 0; i < arr.Length; i++)
            {
                double old = arr[i];
                arr[i] = old + eps; double lp = Loss();
                arr[i] = old - eps; double lm = Loss();
                arr[i] = old;
                double fd = (lp - lm) / (2 * eps);
                Assert.True(Math.Abs(grad[i] - fd) <= 1e-4 + 1e-4 * Math.Abs(fd), $"{path} {name}[{i}]: backward {grad[i]}, finite difference {fd}");
            }
    }

    /// <summary>Depthwise weight/bias/input gradients (and forward) are bit-identical with 1 and 2 threads.</summary>
    [Fact]
    public void DepthwiseIsThreadCountIndependent()
    {
        var g = new Conv2dGeometry(40, 32, 14, 14, 32, 7, 1, 3, 32);
        float[] x = Randn(41, g.InputSize), wt = Randn(42, g.WeightSize, 0.2f), b = Randn(43, 32), dy = Randn(44, g.OutputSize);
        (float[] y, float[] dx, float[] dw, float[] db) Run() 
        {
            var y = new float[g.OutputSize];
            Conv2dKernels.DepthwiseForward(y, x, wt, b, g);
            var dx = new float[g.InputSize]; var dw = new float[g.WeightSize]; var db = new float[32];
            Conv2dKernels.DepthwiseBackward(dx, dw, db, dy, x, wt, g);
            return (y, dx, dw, db);
        }
        var one = EngineThreads.With(1, Run);
        var two = EngineThreads.With(2, Run);
        Assert.Equal(one.y, two.y);
        Assert.Equal(one.dx, two.dx);
        Assert.Equal(one.dw, two.dw);
        Assert.Equal(one.db, two.db);
    }

    /// <summary>Patchify and general-kernel gradients are bit-identical with 1 and 2 threads.</summary>
    [Fact]
    public void PatchifyAndGeneralAreThreadCountIndependent()
    {
        var g = new Conv2dGeometry(16, 96, 14, 14, 64, 2, 2, 0, 1);
        float[] x = Randn(51, g.InputSize), wt = Randn(52, g.WeightSize, 0.2f), b = Randn(53, 64), dy = Randn(54, g.OutputSize);
        (float[], float[], float[], float[]) Run()
        {
            var y = new float[g.OutputSize];
            Conv2dKernels.PatchifyForward(y, x, wt, b, g);
            var dx = new float[g.InputSize]; var dw = new float[g.WeightSize]; var db = new float[64];
            Conv2dKernels.PatchifyBackward(dx, dw, db, dy, x, wt, g);
            var gdx = new float[g.InputSize]; var gdw = new float[g.WeightSize]; var gdb = new float[64];
            Conv2dKernels.Backward(gdx, gdw, gdb, dy, x, wt, g);
            return (y, dx, dw, gdw);
        }
        var one = EngineThreads.With(1, Run);
        var two = EngineThreads.With(2, Run);
        Assert.Equal(one.Item1, two.Item1);
        Assert.Equal(one.Item2, two.Item2);
        Assert.Equal(one.Item3, two.Item3);
        Assert.Equal(one.Item4, two.Item4);
    }

    [Fact]
    public void RejectsWrongGeometryAndBuffers()
    {
        var g = new Conv2dGeometry(1, 4, 8, 8, 4, 3, 1, 1, 1);
        Assert.False(g.IsPatchify);
        Assert.False(g.IsDepthwise);
        Assert.Throws<ArgumentException>(() => Conv2dKernels.PatchifyForward(new float[256], new float[256], new float[144], new float[4], g));
        Assert.Throws<ArgumentException>(() => Conv2dKernels.DepthwiseForward(new float[256], new float[256], new float[144], new float[4], g));
        Assert.Throws<ArgumentException>(() => Conv2dKernels.Forward(new float[10], new float[256], new float[144], new float[4], g));
        Assert.Throws<ArgumentException>(() => new Conv2dGeometry(1, 3, 8, 8, 4, 3, 1, 1, 2));
    }
}
