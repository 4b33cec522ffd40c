using System.Text.Json;
using Ortho.Kernels;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Kernels;

/// <summary>Double-precision naive causal attention (materialized scores with a mask) and its analytic backward.</summary>
internal static class NaiveAttention
{
    /// <summary>All arrays [B, H, T, D] contiguous; lse [B, H, T].</summary>
    public static void Forward(double[] y, double[] lse, double[] q, double[] k, double[] v, int B, int H, int T, int D)
    {
        double scale = 1.0 / Math.Sqrt(D);
        var s = new double[T];
        for (int bh = 0; bh < B * H; bh++)
        {
            int o = bh * T * D;
            for (int i = 0; i < T; i++)
            {
                double m = double.NegativeInfinity;
                for (int j = 0; j <= i; j++)
                {
                    double acc = 0;
                    for (int d = 0; d < D; d++) acc += q[o + i * D + d] * k[o + j * D + d];
                    s[j] = acc * scale;
                    m = Math.Max(m, s[j]);
                }
                double z = 0;
                for (int j = 0; j <= i; j++) { s[j] = Math.Exp(s[j] - m); z += s[j]; }
                lse[bh * T + i] = m + Math.Log(z);
                for (int d = 0; d < D; d++)
                {
                    double acc = 0;
                    for (int j = 0; j <= i; j++) acc += s[j] / z * v[o + j * D + d];
                    y[o + i * D + d] = acc;
                }
            }
        }
    }

    public static void Backward(double[] dq, double[] dk, double[] dv, double[] dy, double[] q, double[] k, double[] v, int B, int H, int T, int D)
    {
        double scale = 1.0 / Math.Sqrt(D);
        var p = new double[T * T];
        var dp = new double[T * T];
        for (int bh = 0; bh < B * H; bh++)
        {
            int o = bh * T * D;
            Array.Clear(p); Array.Clear(dp);
            for (int i = 0; i < T; i++)
            {
                double m = double.NegativeInfinity;
                for (int j = 0; j <= i; j++)
                {
                    double acc = 0;
                    for (int d = 0; d < D; d++) acc += q[o + i * D + d] * k[o + j * D + d];
                    p[i * T + j] = acc * scale; m = Math.Max(m, acc * scale);
                }
                double z = 0;
                for (int j = 0; j <= i; j++) { p[i * T + j] = Math.Exp(p[i * T + j] - m); z += p[i * T + j]; }
                for (int j = 0; j <= i; j++) p[i * T + j] /= z;
                double rowdot = 0;
                for (int j = 0; j <= i; j++)
                {
                    double acc = 0;
                    for (int d = 0; d < D; d++) acc += dy[o + i * D + d] * v[o + j * D + d];
                    dp[i * T + j] = acc; rowdot += p[i * T + j] * acc;
                }
                for (int j = 0; j <= i; j++)
                {
                    double ds = p[i * T + j] * (dp[i * T + j] - rowdot) * scale;
                    for (int d = 0; d < D; d++)
                    {
                        dq[o + i * D + d] += ds * k[o + j * D + d];
                        dk[o + j * D + d] += ds * q[o + i * D + d];
                        dv[o + j * D + d] += p[i * T + j] * dy[o + i * D + d];
                    }
                }
            }
        }
    }
}

[Collection("Ortho NN kernels: EngineSettings.Threads")]
public class AttentionTests
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
                if (OpName(c) == "causal_attention") yield return new object[] { Path.GetFileName(file), idx };
                idx++;
            }
        }
    }

    internal static string OpName(JsonElement c) =>
        c.TryGetProperty("op", out var op) && op.ValueKind == JsonValueKind.String ? op.GetString()! :
        c.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";

    /// <summary>Strides of a 4-d tensor whose axis order is given by a layout string such as "B,H,T,D".</summary>
    private static AttentionLayout LayoutFrom(string layout, int B, int H, int T, int D)
    {
        var axes = layout.Split(',', StringSplitOptions.TrimEntries);
        Assert.Equal(4, axes.Length);
        Assert.Equal("D", axes[3]);
        var size = new Dictionary<string, int> { ["B"] = B, ["H"] = H, ["T"] = T, ["D"] = D };
        var stride = new Dictionary<string, int>();
        int s = 1;
        for (int a = 3; a >= 0; a--) { stride[axes[a]] = s; s *= size[axes[a]]; }
        return new AttentionLayout(0, stride["B"], stride["H"], stride["T"]);
    }

    [Theory]
    [MemberData(nameof(FixtureCases))]
    public void MatchesFixture(string file, int index)
    {
        using var doc = Fixtures.Load(Path.Combine(Fixtures.Directory, file));
        var c = doc.RootElement.GetProperty("ops")[index];
        string layout = c.TryGetProperty("attrs", out var attrs) && attrs.ValueKind == JsonValueKind.Object && attrs.TryGetProperty("layout", out var l)
            ? l.GetString()! : "B,H,T,D";
        var inputs = c.GetProperty("inputs");
        int[] shape = Fixtures.Shape(inputs.GetProperty("q").GetProperty("shape"));
        var axes = layout.Split(',', StringSplitOptions.TrimEntries);
        int Dim(string name) => shape[Array.IndexOf(axes, name)];
        int B = Dim("B"), H = Dim("H"), T = Dim("T"), D = Dim("D");
        var lay = LayoutFrom(layout, B, H, T, D);
        float[] q = Fixtures.Floats(inputs.GetProperty("q").GetProperty("data"));
        float[] k = Fixtures.Floats(inputs.GetProperty("k").GetProperty("data"));
        float[] v = Fixtures.Floats(inputs.GetProperty("v").GetProperty("data"));
        float[] yExp = Fixtures.Floats(c.GetProperty("y").GetProperty("data"));
        float[] dy = Fixtures.Floats(c.GetProperty("dy").GetProperty("data"));
        var grads = c.GetProperty("grads");

        var y = new float[q.Length];
        var lse = new float[B * H * T];
        CausalAttentionKernels.Forward(y, lay, lse, q, lay, k, lay, v, lay, B, H, T, D);
        Close.All(y, yExp, $"{file}#{index} y");

        var dq = new float[q.Length]; var dk = new float[q.Length]; var dv = new float[q.Length];
        CausalAttentionKernels.Backward(dq, lay, dk, lay, dv, lay, dy, lay, y, lay, lse, q, lay, k, lay, v, lay, B, H, T, D);
        Close.All(dq, Fixtures.Floats(grads.GetProperty("q").GetProperty("data")), $"{file}#{index} dq");
        Close.All(dk, Fixtures.Floats(grads.GetProperty("k").GetProperty("data")), $"{file}#{index} dk");
        Close.All(dv, Fixtures.Floats(grads.GetProperty("v").GetProperty("data")), $"{file}#{index} dv");

        // The same case through the fused-QKV / token-major layout the GPT model uses.
        int C = H * D;
        var qkv = new float[B * T * 3 * C];
        var dyTm = new float[B * T * C];
        var fq = AttentionLayout.FusedQkv(0, H, T, D); var fk = AttentionLayout.FusedQkv(1, H, T, D); var fv = AttentionLayout.FusedQkv(2, H, T, D);
        var tm = AttentionLayout.TokenMajor(H, T, D);
        Copy(q, lay, qkv, fq, B, H, T, D); Copy(k, lay, qkv, fk, B, H, T, D); Copy(v, lay, qkv, fv, B, H, T, D);
        Copy(dy, lay, dyTm, tm, B, H, T, D);
        var yTm = new float[B * T * C];
        CausalAttentionKernels.ForwardFusedQkv(yTm, lse, qkv, B, T, H, D);
        var dqkv = new float[qkv.Length];
        CausalAttentionKernels.BackwardFusedQkv(dqkv, dyTm, yTm, lse, qkv, B, T, H, D);
        Close.All(Gather(yTm, tm, lay, B, H, T, D), yExp, $"{file}#{index} fused y");
        Close.All(Gather(dqkv, fq, lay, B, H, T, D), Fixtures.Floats(grads.GetProperty("q").GetProperty("data")), $"{file}#{index} fused dq");
        Close.All(Gather(dqkv, fk, lay, B, H, T, D), Fixtures.Floats(grads.GetProperty("k").GetProperty("data")), $"{file}#{index} fused dk");
        Close.All(Gather(dqkv, fv, lay, B, H, T, D), Fixtures.Floats(grads.GetProperty("v").GetProperty("data")), $"{file}#{index} fused dv");

        // Written (not accumulated) into a buffer nothing has reached yet: NaN-filled first, so a missed element shows.
        var written = new float[qkv.Length];
        Array.Fill(written, float.NaN);
        CausalAttentionKernels.BackwardFusedQkv(written, dyTm, yTm, lse, qkv, B, T, H, D, accumulate: false);
        Assert.Equal(dqkv, written);
        var dqW = new float[dq.Length]; var dkW = new float[dk.Length]; var dvW = new float[dv.Length];
        Array.Fill(dqW, float.NaN); Array.Fill(dkW, float.NaN); Array.Fill(dvW, float.NaN);
        CausalAttentionKernels.Backward(dqW, lay, dkW, lay, dvW, lay, dy, lay, y, lay, lse, q, lay, k, lay, v, lay, B, H, T, D, accumulate: false);
        Close.All(dqW, Fixtures.Floats(grads.GetProperty("q").GetProperty("data")), $"{file}#{index} dq written");
        Close.All(dkW, Fixtures.Floats(grads.GetProperty("k").GetProperty("data")), $"{file}#{index} dk written");
        Close.All(dvW, Fixtures.Floats(grads.GetProperty("v").GetProperty("data")), $"{file}#{index} dv written");
    }

    [Fact]
    public void FixtureCasesAreDiscovered() => Assert.NotEmpty(FixtureCases());

    internal static void Copy(float[] src, AttentionLayout sl, float[] dst, AttentionLayout dl, int B, int H, int T, int D)
    {
        for (int b = 0; b < B; b++) for (int h = 0; h < H; h++) for (int t = 0; t < T; t++) for (int d = 0; d < D; d++)
            dst[dl.Offset + b * dl.BatchStride + h * dl.HeadStride + t * dl.TokenStride + d] =
                src[sl.Offset + b * sl.BatchStride + h * sl.HeadStride + t * sl.TokenStride + d];
    }

    internal static float[] Gather(float[] src, AttentionLayout sl, AttentionLayout dl, int B, int H, int T, int D)
    {
        var dst = new float[B * H * T * D];
        Copy(src, sl, dst, dl, B, H, T, D);
        return dst;
    }

    private static float[] Randn(ulong seed, int n, float std = 1f)
    {
        var a = new float[n];
        new Rng(seed).FillNormal(a, 0f, std);
        return a;
    }

    private static double[] ToD(float[] a) => a.Select(x => (double)x).ToArray();

    public static IEnumerable<object[]> RandomShapes()
    {
        // Up to 128 keys the forward keeps the scores transposed (a last query tile of 1, 36 and 64 queries among them).
        foreach (int T in new[] { 1, 7, 33, 64, 65, 100, 128, 130 })
            foreach (int D in new[] { 8, 32, 64 })
                yield return new object[] { T, D };
        // Both passes' paths: whole score rows up to 256 keys backward and 1024 forward, the online softmax beyond.
        foreach (int T in new[] { 200, 256, 257, 320 })
            yield return new object[] { T, 32 };
        foreach (int T in new[] { 1024, 1025, 1090 })
            yield return new object[] { T, 8 };
    }

    /// <summary>
    /// Contiguous and fused layouts against a double-precision naive reference (materialized masked scores), for
    /// outputs, lse and all three gradients; the two layouts must agree bit for bit; backward accumulates.
    /// </summary>
    [Theory]
    [MemberData(nameof(RandomShapes))]
    public void MatchesNaiveReferenceInBothLayouts(int T, int D)
    {
        const int B = 2, H = 3;
        int n = B * H * T * D;
        ulong seed = (ulong)(T * 1000 + D);
        float[] q = Randn(seed, n, 1.5f), k = Randn(seed + 1, n, 1.5f), v = Randn(seed + 2, n), dy = Randn(seed + 3, n);
        var yRef = new double[n]; var lseRef = new double[B * H * T];
        NaiveAttention.Forward(yRef, lseRef, ToD(q), ToD(k), ToD(v), B, H, T, D);
        var dqRef = new double[n]; var dkRef = new double[n]; var dvRef = new double[n];
        NaiveAttention.Backward(dqRef, dkRef, dvRef, ToD(dy), ToD(q), ToD(k), ToD(v), B, H, T, D);

        var y = new float[n]; var lse = new float[B * H * T];
        CausalAttentionKernels.Forward(y, lse, q, k, v, B, H, T, D);
        Close.All(ToD(y), yRef, "y", 2e-5, 1e-4);
        Close.All(ToD(lse), lseRef, "lse", 2e-5, 1e-5);

        // Backward accumulates: start from a known non-zero gradient.
        float[] init = Randn(seed + 4, n);
        var dq = (float[])init.Clone(); var dk = (float[])init.Clone(); var dv = (float[])init.Clone();
        CausalAttentionKernels.Backward(dq, dk, dv, dy, y, lse, q, k, v, B, H, T, D);
        double[] Minus(float[] g) => g.Select((x, i) => (double)x - init[i]).ToArray();
        Close.All(Minus(dq), dqRef, "dq", 5e-5, 1e-3);
        Close.All(Minus(dk), dkRef, "dk", 5e-5, 1e-3);
        Close.All(Minus(dv), dvRef, "dv", 5e-5, 1e-3);

        // Fused layout: the same arithmetic in the same order, so bit-identical results.
        var lay = AttentionLayout.Contiguous(H, T, D);
        var fq = AttentionLayout.FusedQkv(0, H, T, D); var fk = AttentionLayout.FusedQkv(1, H, T, D); var fv = AttentionLayout.FusedQkv(2, H, T, D);
        var tm = AttentionLayout.TokenMajor(H, T, D);
        int C = H * D;
        var qkv = new float[B * T * 3 * C];
        Copy(q, lay, qkv, fq, B, H, T, D); Copy(k, lay, qkv, fk, B, H, T, D); Copy(v, lay, qkv, fv, B, H, T, D);
        var dyTm = new float[B * T * C]; Copy(dy, lay, dyTm, tm, B, H, T, D);
        var yTm = new float[B * T * C]; var lse2 = new float[B * H * T];
        CausalAttentionKernels.ForwardFusedQkv(yTm, lse2, qkv, B, T, H, D);
        Assert.Equal(y, Gather(yTm, tm, lay, B, H, T, D));
        Assert.Equal(lse, lse2);
        var dqkv = new float[qkv.Length];
        Copy(init, lay, dqkv, fq, B, H, T, D); Copy(init, lay, dqkv, fk, B, H, T, D); Copy(init, lay, dqkv, fv, B, H, T, D);
        CausalAttentionKernels.BackwardFusedQkv(dqkv, dyTm, yTm, lse2, qkv, B, T, H, D);
        Assert.Equal(dq, Gather(dqkv, fq, lay, B, H, T, D));
        Assert.Equal(dk, Gather(dqkv, fk, lay, B, H, T, D));
        Assert.Equal(dv, Gather(dqkv, fv, lay, B, H, T, D));
    }

    /// <summary>Written gradients (accumulate: false) equal gradients added into zeros, on both sides of the whole-row limits.</summary>
    [Theory]
    [InlineData(1, 5)]
    [InlineData(7, 12)]
    [InlineData(65, 3)]
    [InlineData(130, 32)]
    [InlineData(257, 12)]
    [InlineData(300, 20)]
    [InlineData(1030, 5)]
    public void WrittenGradientsEqualAccumulatedIntoZeros(int T, int D)
    {
        int B = 2, H = 2, C = H * D;
        var qkv = Randn(11, B * T * 3 * C);
        var dy = Randn(12, B * T * C);
        var y = new float[B * T * C];
        var lse = new float[B * H * T];
        CausalAttentionKernels.ForwardFusedQkv(y, lse, qkv, B, T, H, D);
        var added = new float[qkv.Length];
        CausalAttentionKernels.BackwardFusedQkv(added, dy, y, lse, qkv, B, T, H, D);
        var written = new float[qkv.Length];
        Array.Fill(written, float.NaN);
        CausalAttentionKernels.BackwardFusedQkv(written, dy, y, lse, qkv, B, T, H, D, accumulate: false);
        Assert.Equal(added, written);
    }

    /// <summary>
    /// Large, widely spread scores (softmax rows dominated by one key, maxima that move between key tiles) still
    /// match the reference, on each forward path: scores transposed (100 tokens), whole rows (200), and the online
    /// softmax's rescaling (1100); and the exp clamp.
    /// </summary>
    [Theory]
    [InlineData(100)]
    [InlineData(200)]
    [InlineData(1100)]
    public void HandlesLargeScores(int T)
    {
        const int B = 1, H = 2, D = 32;
        int n = B * H * T * D;
        float[] q = Randn(61, n, 4f), k = Randn(62, n, 4f), v = Randn(63, n), dy = Randn(64, n);
        // Make later keys larger so row maxima grow from tile to tile.
        for (int bh = 0; bh < B * H; bh++)
            for (int t = 0; t < T; t++)
                for (int d = 0; d < D; d++) k[(bh * T + t) * D + d] *= 1f + t / 100f;
        var yRef = new double[n]; var lseRef = new double[B * H * T];
        NaiveAttention.Forward(yRef, lseRef, ToD(q), ToD(k), ToD(v), B, H, T, D);
        var dqRef = new double[n]; var dkRef = new double[n]; var dvRef = new double[n];
        NaiveAttention.Backward(dqRef, dkRef, dvRef, ToD(dy), ToD(q), ToD(k), ToD(v), B, H, T, D);
        var y = new float[n]; var lse = new float[B * H * T];
        CausalAttentionKernels.Forward(y, lse, q, k, v, B, H, T, D);
        Close.All(ToD(y), yRef, "y", 1e-4, 1e-3);
        Close.All(ToD(lse), lseRef, "lse", 1e-4, 1e-5);
        var dq = new float[n]; var dk = new float[n]; var dv = new float[n];
        CausalAttentionKernels.Backward(dq, dk, dv, dy, y, lse, q, k, v, B, H, T, D);
        Close.All(ToD(dq), dqRef, "dq", 2e-4, 1e-3);
        Close.All(ToD(dk), dkRef, "dk", 2e-4, 1e-3);
        Close.All(ToD(dv), dvRef, "dv", 1e-4, 1e-3);
    }

    /// <summary>Central finite differences of sum(y * dy) through the double reference forward vs our float backward.</summary>
    [Theory]
    [InlineData(7, 8)]
    [InlineData(66, 4)]
    public void BackwardMatchesFiniteDifferences(int T, int D)
    {
        const int B = 1, H = 2;
        int n = B * H * T * D;
        float[] q = Randn(11, n), k = Randn(12, n), v = Randn(13, n), dy = Randn(14, n);
        var y = new float[n]; var lse = new float[B * H * T];
        CausalAttentionKernels.Forward(y, lse, q, k, v, B, H, T, D);
        var dq = new float[n]; var dk = new float[n]; var dv = new float[n];
        CausalAttentionKernels.Backward(dq, dk, dv, dy, y, lse, q, k, v, B, H, T, D);

        double[] qd = ToD(q), kd = ToD(k), vd = ToD(v), dyd = ToD(dy);
        var yd = new double[n]; var ld = new double[B * H * T];
        double Loss()
        {
            NaiveAttention.Forward(yd, ld, qd, kd, vd, B, H, T, D);
            double s = 0; for (int i = 0; i < n; i++) s += yd[i] * dyd[i];
            return s;
        }
        const double eps = 1e-6;
        // Check a spread of elements (all of them for the small case).
        int stride = n <= 128 ? 1 : 7;
        foreach (var (x, g, name) in new[] { (qd, dq, "dq"), (kd, dk, "dk"), (vd, dv, "dv") })
        {
            for (int i = 0; i < n; i += stride)
            {
                double old = x[i];
                x[i] = old + eps; double lp = Loss();
                x[i] = old - eps; double lm = Loss();
                x[i] = old;
                double fd = (lp - lm) / (2 * eps);
                Assert.True(Math.Abs(g[i] - fd) <= 2e-4 + 1e-3 * Math.Abs(fd), $"{name}[{i}]: backward {g[i]}, finite difference {fd}");
            }
        }
    }

    [Fact]
    public void ThreadCountDoesNotChangeResults()
    {
        const int B = 4, H = 4, T = 130, D = 32;
        int n = B * H * T * D;
        float[] q = Randn(21, n), k = Randn(22, n), v = Randn(23, n), dy = Randn(24, n);
        // y, dq, dk, dv
        float[][] Run(int threads) => EngineThreads.With(threads, () =>
        {
            var y = new float[n]; var lse = new float[B * H * T];
            CausalAttentionKernels.Forward(y, lse, q, k, v, B, H, T, D);
            var dq = new float[n]; var dk = new float[n]; var dv = new float[n];
            CausalAttentionKernels.Backward(dq, dk, dv, dy, y, lse, q, k, v, B, H, T, D);
            return new[] { y, dq, dk, dv };
        });
        // Two threads split whole batch items (B >= 2 x threads), three split single (batch, head) pairs.
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }

    [Fact]
    public void FusedQkvResultsDoNotDependOnTheThreadCount()
    {
        // Long enough to split: two threads take whole batch items, three and eight single (batch, head) pairs.
        const int B = 4, H = 4, T = 130, D = 32, C = H * D;
        float[] qkv = Randn(31, B * T * 3 * C), dy = Randn(32, B * T * C);
        (float[] Y, float[] Dqkv) Run(int threads) => EngineThreads.With(threads, () =>
        {
            var y = new float[B * T * C]; var lse = new float[B * H * T];
            long before = ParallelChunks.ParallelChunksRun;
            CausalAttentionKernels.ForwardFusedQkv(y, lse, qkv, B, T, H, D);
            var dqkv = new float[qkv.Length];
            CausalAttentionKernels.BackwardFusedQkv(dqkv, dy, y, lse, qkv, B, T, H, D, accumulate: false);
            if (threads > 1) Assert.True(ParallelChunks.ParallelChunksRun - before > 2, $"attention at {threads} threads must run in parallel chunks");
            return (y, dqkv);
        });
        var one = Run(1);
        foreach (int threads in new[] { 2, 3, 8 })
        {
            var other = Run(threads);
            Assert.True(one.Y.AsSpan().SequenceEqual(other.Y), $"y at {threads} threads");
            Assert.True(one.Dqkv.AsSpan().SequenceEqual(other.Dqkv), $"dqkv at {threads} threads");
        }
    }

    /// <summary>The polynomial exp used by the softmax tiles stays within a few float ulps of exp over [-87, 88].</summary>
    [Fact]
    public void FastExpIsAccurate()
    {
        double worst = 0;
        for (int i = 0; i < 175000; i++)
        {
            float x = -87f + i * 0.001f;
            double exact = Math.Exp(x);
            if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
            {
                float got = FastExp.Exp<System.Runtime.Intrinsics.Vector512<float>, Ortho.Kernels.Simd.Simd512>(System.Runtime.Intrinsics.Vector512.Create(x))[5];
                worst = Math.Max(worst, Math.Abs(got - exact) / exact);
            }
            if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
            {
                float got = FastExp.Exp<System.Runtime.Intrinsics.Vector256<float>, Ortho.Kernels.Simd.Simd256>(System.Runtime.Intrinsics.Vector256.Create(x))[3];
                worst = Math.Max(worst, Math.Abs(got - exact) / exact);
            }
            if (System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated)
            {
                float got = FastExp.Exp<System.Runtime.Intrinsics.Vector128<float>, Ortho.Kernels.Simd.Simd128>(System.Runtime.Intrinsics.Vector128.Create(x))[1];
                worst = Math.Max(worst, Math.Abs(got - exact) / exact);
            }
        }
        Assert.True(worst < 4e-7, $"worst relative error {worst}");
    }

    [Fact]
    public void RejectsTooSmallBuffers()
    {
        var q = new float[2 * 3 * 4];
        var y = new float[q.Length];
        Assert.Throws<ArgumentException>(() => CausalAttentionKernels.Forward(y, new float[5], q, q, q, 1, 2, 3, 4));
        Assert.Throws<ArgumentException>(() => CausalAttentionKernels.Forward(new float[3], new float[6], q, q, q, 1, 2, 3, 4));
    }
}
