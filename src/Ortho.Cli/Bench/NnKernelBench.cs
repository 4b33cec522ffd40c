using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ortho.Kernels;

namespace Ortho.Cli.Bench;

/// <summary>
/// Throughput of the fused single-pass kernels (layer norm, softmax, cross-entropy, AdamW, a layer's bias gradients) at
/// the default LM's shapes,
/// in GB/s of compulsory traffic, next to a plain memory copy of the same number of bytes (the peer for memory-bound
/// kernels: a ratio near 1 means the kernel runs at memory speed).
/// </summary>
internal static class NnKernelBench
{
    public static void Run(int[] threads, bool json, TextWriter output)
    {
        const int rows = 16 * 128, c = 128, vocab = 256, adam = 4 << 20;
        var rng = new Rng(3);
        float[] R(int n) { var a = new float[n]; rng.FillNormal(a); return a; }
        float[] x = R(rows * c), w = R(c), b = R(c), y = new float[rows * c], dx = new float[rows * c], dw = new float[c], db = new float[c];
        float[] mean = new float[rows], rstd = new float[rows];
        float[] logits = R(rows * vocab), lse = new float[rows], dlogits = new float[rows * vocab], probs = new float[rows * vocab];
        var targets = new int[rows];
        for (int i = 0; i < rows; i++) targets[i] = rng.NextInt(vocab);
        float[] p = R(adam), g = R(adam), m = new float[adam], v = new float[adam];
        int step = 0;
        // One transformer block's bias gradients (qkv, attention projection, MLP up and down): column sums of dy over the
        // tokens. dbias starts one float into its array, as a caller's array need not start on a cache line (a pooled
        // one does).
        int[] biasCols = [3 * c, c, 4 * c, c];
        float[] dyBias = R(rows * 4 * c), dBias = new float[4 * c + 1];
        void BiasGrads() { foreach (int n in biasCols) BiasKernels.Backward(dBias.AsSpan(1, n), dyBias.AsSpan(0, rows * n), rows, n); }
        // (name, bytes of compulsory traffic, action)
        var cases = new List<(string Name, long Bytes, Action Run)>
        {
            ("layernorm.fwd", 4L * (2 * rows * c), () => LayerNormKernels.Forward(y, mean, rstd, x, w, b, rows, c, 1e-5f)),
            ("layernorm.bwd", 4L * (3 * rows * c), () => LayerNormKernels.Backward(dx, dw, db, y, x, w, mean, rstd, rows, c)),
            ("softmax.fwd", 4L * (2 * rows * vocab), () => SoftmaxKernels.Forward(probs, logits, rows, vocab)),
            ("cross_entropy.fwd", 4L * (rows * vocab), () => CrossEntropyKernels.Forward(default, lse, logits, targets, rows, vocab)),
            ("cross_entropy.bwd", 4L * (2 * rows * vocab), () => CrossEntropyKernels.Backward(dlogits, logits, lse, targets, rows, vocab, 1f)),
            ("adamw.step", 4L * (7L * adam), () => AdamWKernels.Step(p, g, m, v, 1e-3, 0.9, 0.95, 1e-8, 0.1, ++step)),
            ("bias.bwd", 4L * rows * biasCols.Sum(), BiasGrads),
        };
        var copySrc = new float[adam * 4];
        var copyDst = new float[adam * 4];
        if (!json)
        {
            BenchHeader.WriteTable(output);
            output.WriteLine($"{"kernel",-20} {"threads",7} {"GB/s",9} {"memcpy GB/s",12} {"ratio",7}");
        }
        foreach (var t in threads)
        {
            EngineSettings.Threads = t;
            foreach (var (name, bytes, run) in cases)
            {
                double sec = Time(run);
                // memcpy of the same byte count: half read, half written, as a kernel's traffic roughly is
                int floats = (int)Math.Min(copySrc.Length, bytes / 8);
                double copySec = Time(() => copySrc.AsSpan(0, floats).CopyTo(copyDst));
                double gbs = bytes / sec / 1e9, copyGbs = 8.0 * floats / copySec / 1e9;
                if (json)
                    output.WriteLine(BenchHeader.AddTo(JsonSerializer.Serialize(new { name, threads = t, gb_s = Math.Round(gbs, 2), memcpy_gb_s = Math.Round(copyGbs, 2), ratio = Math.Round(gbs / copyGbs, 3) }, BenchHeader.JsonOptions)));
                else
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-20} {t,7} {gbs,9:F1} {copyGbs,12:F1} {gbs / copyGbs,7:F2}"));
            }
        }
    }

    /// <summary>Median seconds per call after 0.3 s of warm-up.</summary>
    private static double Time(Action a)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < 0.3) a();
        var t = new double[15];
        for (int i = 0; i < t.Length; i++)
        {
            sw.Restart();
            a();
            t[i] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(t);
        return t[t.Length / 2];
    }
}
