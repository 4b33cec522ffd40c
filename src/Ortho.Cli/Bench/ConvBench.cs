using Ortho.Kernels;

namespace Ortho.Cli.Bench;

/// <summary>
/// Throughput of the convolution kernels at the Fashion-MNIST ConvNeXt shapes (batch 128, channels-last): the 2 x 2
/// patchify stem (28 x 28 x 1 -> 14 x 14 x 32), the 2 x 2 stride-2 downsampling convs, and the depthwise 7 x 7
/// convs of the three stages (14 x 14 x 32, 7 x 7 x 64, 3 x 3 x 128); plus the general NCHW kernel on the first
/// depthwise shape for comparison. FLOPs by formula, 2 N OH OW Cout (Cin / groups) KH KW per forward (taps in the
/// zero padding included); backward counts 2x forward (dx and dweight), 1x for the stem (no dx).
/// </summary>
internal static class ConvBench
{
    /// <summary>
    /// Runs the benchmark at each thread count (EngineSettings.Threads is restored afterwards) and writes a table under
    /// the <see cref="BenchHeader"/>, or one JSON object per line when <paramref name="json"/>.
    /// </summary>
    public static void Run(int[] threads, bool json, TextWriter output) => AttentionBench.RunTable(threads, json, output, Rows);

    /// <summary>Runs the benchmark at the current thread count, with its own header (see the thread-list overload).</summary>
    public static void Run(TextWriter output, bool json) => Run([EngineSettings.Threads], json, output);

    private static List<AttentionBench.Row> Rows()
    {
        const int B = 128;
        var rows = new List<AttentionBench.Row>();
        Patchify(rows, "stem 28x28x1->14x14x32", new Conv2dGeometry(B, 1, 28, 28, 32, 2, 2), needDx: false);
        Patchify(rows, "down 14x14x32->7x7x64", new Conv2dGeometry(B, 32, 14, 14, 64, 2, 2), needDx: true);
        Patchify(rows, "down 7x7x64->3x3x128", new Conv2dGeometry(B, 64, 7, 7, 128, 2, 2), needDx: true);
        Depthwise(rows, "dw7 14x14x32", new Conv2dGeometry(B, 32, 14, 14, 32, 7, 1, 3, 32), general: false);
        Depthwise(rows, "dw7 7x7x64", new Conv2dGeometry(B, 64, 7, 7, 64, 7, 1, 3, 64), general: false);
        Depthwise(rows, "dw7 3x3x128", new Conv2dGeometry(B, 128, 3, 3, 128, 7, 1, 3, 128), general: false);
        Depthwise(rows, "dw7 14x14x32 (general NCHW)", new Conv2dGeometry(B, 32, 14, 14, 32, 7, 1, 3, 32), general: true);
        return rows;
    }

    private static double Flops(in Conv2dGeometry g) =>
        2.0 * g.Batch * g.OutHeight * g.OutWidth * g.OutChannels * (g.InChannels / g.Groups) * g.KernelH * g.KernelW;

    private static (float[] x, float[] w, float[] b, float[] y, float[] dy, float[] dx, float[] dw, float[] db) Buffers(in Conv2dGeometry g)
    {
        var x = new float[g.InputSize]; new Rng(1).FillNormal(x);
        var w = new float[g.WeightSize]; new Rng(2).FillNormal(w, 0f, 0.02f);
        var b = new float[g.OutChannels];
        var dy = new float[g.OutputSize]; new Rng(3).FillNormal(dy);
        return (x, w, b, new float[g.OutputSize], dy, new float[g.InputSize], new float[g.WeightSize], new float[g.OutChannels]);
    }

    private static void Patchify(List<AttentionBench.Row> rows, string name, Conv2dGeometry g, bool needDx)
    {
        var (x, w, b, y, dy, dx, dw, db) = Buffers(g);
        double fwd = AttentionBench.Measure(() => Conv2dKernels.PatchifyForward(y, x, w, b, g));
        double both = AttentionBench.Measure(() =>
        {
            Conv2dKernels.PatchifyForward(y, x, w, b, g);
            Conv2dKernels.PatchifyBackward(needDx ? dx : Span<float>.Empty, dw, db, dy, x, w, g);
        });
        double f = Flops(g);
        rows.Add(new AttentionBench.Row($"conv.patchify.fwd", name, fwd, f / fwd * 1e-9));
        rows.Add(new AttentionBench.Row($"conv.patchify.fwd+bwd", name, both, (needDx ? 3 : 2) * f / both * 1e-9));
    }

    private static void Depthwise(List<AttentionBench.Row> rows, string name, Conv2dGeometry g, bool general)
    {
        var (x, w, b, y, dy, dx, dw, db) = Buffers(g);
        double fwd = AttentionBench.Measure(() =>
        {
            if (general) Conv2dKernels.Forward(y, x, w, b, g);
            else Conv2dKernels.DepthwiseForward(y, x, w, b, g);
        });
        double both = AttentionBench.Measure(() =>
        {
            if (general)
            {
                Conv2dKernels.Forward(y, x, w, b, g);
                Conv2dKernels.Backward(dx, dw, db, dy, x, w, g);
            }
            else
            {
                Conv2dKernels.DepthwiseForward(y, x, w, b, g);
                Conv2dKernels.DepthwiseBackward(dx, dw, db, dy, x, w, g);
            }
        });
        double f = Flops(g);
        string kind = general ? "general" : "depthwise";
        rows.Add(new AttentionBench.Row($"conv.{kind}.fwd", name, fwd, f / fwd * 1e-9));
        rows.Add(new AttentionBench.Row($"conv.{kind}.fwd+bwd", name, both, 3 * f / both * 1e-9));
    }
}
