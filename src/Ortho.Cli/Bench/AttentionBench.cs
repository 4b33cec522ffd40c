using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ortho.Kernels;

namespace Ortho.Cli.Bench;

/// <summary>
/// Throughput of the fused causal attention kernels (fused-QKV layout, as the GPT model calls them) for the
/// default LM shape and the GPT-2 124M shape. FLOP convention (as in the FlashAttention papers): forward counts
/// the causal half of the two T x T x D products, 2 B H T^2 D; backward counts its five products (two of them
/// recomputation/dP), 5 B H T^2 D, so forward+backward is 3.5x the forward count.
/// </summary>
internal static class AttentionBench
{
    private static readonly (string Name, int B, int T, int H, int D)[] Shapes =
    {
        ("lm-default", 16, 128, 4, 32),
        ("gpt2-124m", 4, 1024, 12, 64),
    };

    /// <summary>
    /// Runs the benchmark at each thread count (EngineSettings.Threads is restored afterwards) and writes a table under
    /// the <see cref="BenchHeader"/>, or one JSON object per line when <paramref name="json"/>.
    /// </summary>
    public static void Run(int[] threads, bool json, TextWriter output) => RunTable(threads, json, output, Rows);

    /// <summary>Runs the benchmark at the current thread count, with its own header (see the thread-list overload).</summary>
    public static void Run(TextWriter output, bool json) => Run([EngineSettings.Threads], json, output);

    private static List<Row> Rows()
    {
        var rows = new List<Row>();
        foreach (var (name, B, T, H, D) in Shapes)
        {
            int C = H * D;
            var qkv = new float[B * T * 3 * C];
            new Rng(1).FillNormal(qkv, 0f, 1f);
            var y = new float[B * T * C];
            var dy = new float[B * T * C];
            new Rng(2).FillNormal(dy, 0f, 1f);
            var lse = new float[B * H * T];
            var dqkv = new float[qkv.Length];
            double fwdFlops = 2.0 * B * H * (double)T * T * D; // the convention of the class summary
            double fwd = Measure(() => CausalAttentionKernels.ForwardFusedQkv(y, lse, qkv, B, T, H, D));
            double both = Measure(() =>
            {
                CausalAttentionKernels.ForwardFusedQkv(y, lse, qkv, B, T, H, D);
                CausalAttentionKernels.BackwardFusedQkv(dqkv, dy, y, lse, qkv, B, T, H, D);
            });
            string shape = $"B={B} T={T} H={H} D={D}";
            rows.Add(new Row($"attention.{name}.fwd", shape, fwd, fwdFlops / fwd * 1e-9));
            rows.Add(new Row($"attention.{name}.fwd+bwd", shape, both, 3.5 * fwdFlops / both * 1e-9));
        }
        return rows;
    }

    /// <summary>One measurement: kernel, shape, seconds per call and GFLOP/s.</summary>
    internal readonly record struct Row(string Name, string Shape, double Seconds, double Gflops);

    /// <summary>
    /// The attention and conv benches' driver: header and column names once, then <paramref name="measure"/>'s rows
    /// at each thread count (one compact JSON object per line when <paramref name="json"/>, like every other bench).
    /// </summary>
    internal static void RunTable(int[] threads, bool json, TextWriter output, Func<List<Row>> measure)
    {
        ArgumentNullException.ThrowIfNull(threads);
        ArgumentNullException.ThrowIfNull(output);
        if (!json)
        {
            BenchHeader.WriteTable(output);
            output.WriteLine($"{"kernel",-34} {"shape",-28} {"threads",7} {"ms",10} {"GFLOP/s",8}");
        }
        int saved = EngineSettings.Threads;
        try
        {
            foreach (int t in threads)
            {
                EngineSettings.Threads = t;
                foreach (var r in measure())
                {
                    output.WriteLine(json
                        ? BenchHeader.AddTo(JsonSerializer.Serialize(new { name = r.Name, shape = r.Shape, ms = Math.Round(r.Seconds * 1e3, 4), gflops = Math.Round(r.Gflops, 2), threads = t }, BenchHeader.JsonOptions))
                        : string.Create(CultureInfo.InvariantCulture, $"{r.Name,-34} {r.Shape,-28} {t,7} {r.Seconds * 1e3,10:F3} {r.Gflops,8:F1}"));
                }
                output.Flush();
            }
        }
        finally { EngineSettings.Threads = saved; }
    }

    /// <summary>
    /// Seconds per call of <paramref name="body"/>: warm up (at least 2 calls and 0.5 s, so tiered JIT settles),
    /// then the median of batches timed over at least ~1 s in total.
    /// </summary>
    internal static double Measure(Action body, double warmupSeconds = 0.5, double measureSeconds = 1.0)
    {
        var sw = Stopwatch.StartNew();
        int warm = 0;
        while (warm < 2 || sw.Elapsed.TotalSeconds < warmupSeconds) { body(); warm++; }
        double per = sw.Elapsed.TotalSeconds / warm;
        int reps = Math.Max(1, (int)(0.2 / Math.Max(per, 1e-9)));
        var samples = new List<double>();
        var total = Stopwatch.StartNew();
        while (samples.Count < 3 || total.Elapsed.TotalSeconds < measureSeconds)
        {
            sw.Restart();
            for (int i = 0; i < reps; i++) body();
            samples.Add(sw.Elapsed.TotalSeconds / reps);
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }
}
