using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text.Json;
using Ortho.Autograd;

namespace Ortho.Cli.Bench;

/// <summary>What <c>ortho bench train</c> measures: the task, presets, activations, batch and block overrides, threads, steps, output.</summary>
internal sealed record TrainBenchOptions(string Task, string[] Presets, string[] Activations, int[] Batches, int Block, int[] Threads, int Steps,
    bool Profile, bool Json, int? Warmup = null);

/// <summary>
/// Training-step time of the presets (<see cref="TrainPresets"/>) on synthetic batches of their shapes: the recipe's
/// guarded <see cref="Training.TrainStep"/> (loss and gradient checks, clip or norm, AdamW), no checkpoints or metrics.
/// Each case reports milliseconds per step (median of the timed steps after warm-up), tokens or images per second, the
/// step's matrix FLOPs (counted by an <see cref="OpProfile"/> of the warm-up) and achieved GFLOP/s, our own SGEMM rate
/// (1024^3, one product timed after each timed step, median: the step and its reference see the same moments of a machine
/// whose speed drifts), the FLOP floor (the step's FLOPs at that SGEMM rate) and the step's ratio to it, and peak memory:
/// the process's resident peak (less the SGEMM probe's operands; the runtime keeps memory an earlier case freed, so only
/// the first case of a process has a peak of its own) and the tensor pool's (activations and temporaries, per case),
/// next to the weights, gradients and AdamW moments (16 bytes per parameter).
/// With <c>--profile</c> the timed steps run under an <see cref="OpProfile"/> and the split by op family follows.
/// </summary>
internal static class TrainBench
{
    private const int SgemmSize = 1024;

    public static void Run(TrainBenchOptions o, TextWriter output)
    {
        if (o.Steps < 1) throw new ArgumentException($"--steps must be at least 1, got {o.Steps}.");
        var presets = o.Presets.Select(p => TrainPresets.Find(o.Task, p)).ToList();
        if (o.Block < 0) throw new ArgumentException($"--block must be positive, got {o.Block}.");
        if (o.Block > 0 && o.Task != "lm") throw new ArgumentException("--block applies to --task lm only.");
        using var probe = new GemmBench.SquareProbe(SgemmSize);
        var profiles = new List<(string Title, double Flops, List<TrainProfileReport.Summary> ByThreads)>();
        int saved = EngineSettings.Threads;
        if (!o.Json)
        {
            BenchHeader.WriteTable(output);
            output.WriteLine($"{"task",-5} {"preset",-10} {"activation",-12} {"batch",5} {"size",5} {"threads",7} {"ms/step",9} {"items/s",9} " +
                $"{"GFLOP",8} {"GFLOP/s",8} {"SGEMM",7} {"floor ms",9} {"x floor",7} {"RSS MB",7} {"pool MB",7} {"state MB",8}");
        }
        try
        {
            foreach (var preset in presets)
                foreach (int batch in o.Batches.Length == 0 ? [0] : o.Batches)
                    foreach (var act in o.Activations)
                    {
                        PeakMemory.Reset();
                        var c = TrainPresets.Build(preset, act, batch, o.Block);
                        var results = new List<(int Threads, double Ms, double Sgemm, long Compiles, TrainProfileReport.Summary? Profile)>();
                        double flops = 0;
                        foreach (int th in o.Threads)
                        {
                            EngineSettings.Threads = th;
                            flops = WarmUp(c, o.Warmup);
                            probe.WarmUp(0.2, quietCalls: 35);
                            // Without warm-up the timed steps count the FLOPs (under a profile, whose cost is a few clock reads per op).
                            var (ms, rate, profile, counted, compiled) = Time(c, probe, o.Steps, o.Profile || flops == 0, th);
                            if (flops == 0) flops = counted;
                            results.Add((th, ms, rate, compiled, o.Profile ? profile : null));
                        }
                        long? rss = PeakMemory.ResidentBytes() - probe.Bytes;
                        long pool = TensorPool.PeakBytes;
                        foreach (var (th, ms, rate, compiles, profile) in results)
                        {
                            var m = new Measurement(o.Task, preset.Name, act, c, th, ms, flops, rate, rss, pool, compiles);
                            output.WriteLine(o.Json ? JsonLine(m, profile) : m.Row());
                            output.Flush();
                        }
                        if (o.Profile && !o.Json)
                            profiles.Add(($"{o.Task} {preset.Name} {act}, batch {c.Batch} x {c.Size}{(o.Task == "lm" ? " tokens" : " px")}", flops,
                                results.Select(r => r.Profile!).ToList()));
                    }
        }
        finally { EngineSettings.Threads = saved; }
        foreach (var (title, flops, byThreads) in profiles) TrainProfileReport.WriteText(output, title, flops, byThreads);
    }

    /// <summary>
    /// Warm-up: <paramref name="steps"/> steps, or by default one step, then at least 5 more and 2 s of them, until the
    /// JIT has compiled nothing for <see cref="QuietSteps"/> steps in a row, stopping after 8 s (two or three steps of the
    /// largest presets). The clock starts after the first step, which pays for compiling the step's code. The runtime
    /// compiles a method unoptimized first; after 30 calls it recompiles it with profiling probes, and after 30 more,
    /// optimized, in the background. The hot kernels get there in the first steps, but a method called once a step (the
    /// batch, the embedding, cross-entropy) only after 60 or more. Stopping at 2 s (28 steps of the default LM on one
    /// thread) timed the first case of a process with those methods still unoptimized: 0.3-0.5 ms a step each instead
    /// of 0.03-0.1 in the profile (measured with tiered compilation off, `DOTNET_TieredCompilation=0`, for comparison);
    /// with <c>--warmup 28</c> the JIT compiles some 190 methods during 40 timed steps of the default LM. Earlier, with 1 s counted from the start, the background
    /// recompiling itself slowed the first case by 15-33% on two threads. The JSON's <c>jit_compiles</c> says how many
    /// methods the JIT compiled during the timed steps. The first step runs under a profile, which counts the step's
    /// matrix FLOPs (returned; 0 without warm-up); the others run as the timed steps will.
    /// </summary>
    // More than the 30 calls between a method's profiled and optimized versions: a shorter quiet stretch can end inside it.
    private const int QuietSteps = 35;

    private static double WarmUp(TrainCase c, int? steps)
    {
        if (steps == 0) return 0;
        double flops;
        using (var p = OpProfile.Start())
        {
            p.BeginStep();
            c.Step();
            p.EndStep();
            flops = p.FlopsPerStep;
        }
        var sw = Stopwatch.StartNew();
        if (steps is { } n)
        {
            for (int i = 1; i < n; i++) c.Step();
            return flops;
        }
        var quiet = JitQuiet.Start();
        for (int i = 1; sw.Elapsed.TotalSeconds < 8 && (i < 6 || sw.Elapsed.TotalSeconds < 2 || quiet.Calls < QuietSteps); i++)
        {
            c.Step();
            quiet.Tick();
        }
        return flops;
    }

    /// <summary>
    /// The median of <paramref name="steps"/> timed steps and of the SGEMM probe timed after each, and with
    /// <paramref name="profile"/> the steps' profile and FLOPs per step; and how many methods the JIT compiled meanwhile.
    /// </summary>
    private static (double Ms, double Sgemm, TrainProfileReport.Summary? Profile, double Flops, long JitCompiles) Time(TrainCase c,
        GemmBench.SquareProbe probe, int steps, bool profile, int threads)
    {
        using var p = profile ? OpProfile.Start() : null;
        var t = new double[steps];
        var rates = new double[steps];
        long compiled = JitInfo.GetCompiledMethodCount();
        for (int i = 0; i < steps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            p?.BeginStep();
            c.Step();
            p?.EndStep();
            t[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            rates[i] = probe.TimeOne(); // between steps: a profile charges nothing outside BeginStep..EndStep
        }
        compiled = JitInfo.GetCompiledMethodCount() - compiled;
        Array.Sort(t);
        Array.Sort(rates);
        return (t[steps / 2], rates[steps / 2], p == null ? null : TrainProfileReport.Summarize(p, threads), p?.FlopsPerStep ?? 0, compiled);
    }

    private static string JsonLine(Measurement m, TrainProfileReport.Summary? profile)
    {
        var d = m.Json();
        if (profile != null) d["profile"] = TrainProfileReport.Json(profile);
        return BenchHeader.AddTo(JsonSerializer.Serialize(d, BenchHeader.JsonOptions));
    }

    /// <summary>One case at one thread count, and what follows from it.</summary>
    private sealed record Measurement(string Task, string Preset, string Activation, TrainCase Case, int Threads, double Ms, double Flops,
        double SgemmGflops, long? ResidentBytes, long PoolBytes, long JitCompiles)
    {
        private double ItemsPerSecond => Case.Items / (Ms / 1e3);
        private double Gflops => Flops / Ms / 1e6;
        private double FloorMs => Flops / SgemmGflops / 1e6;
        private double StateBytes => 16.0 * Case.Parameters;

        public string Row() => string.Create(CultureInfo.InvariantCulture,
            $"{Task,-5} {Preset,-10} {Activation,-12} {Case.Batch,5} {Case.Size,5} {Threads,7} {Ms,9:F1} {ItemsPerSecond,9:F0} " +
            $"{Flops / 1e9,8:F2} {Gflops,8:F1} {SgemmGflops,7:F1} {FloorMs,9:F1} {Ms / FloorMs,7:F2} " +
            $"{(ResidentBytes is { } r ? (r / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) : "?"),7} {PoolBytes / 1048576.0,7:F0} {StateBytes / 1048576.0,8:F0}");

        public Dictionary<string, object?> Json() => new()
        {
            ["task"] = Task,
            ["preset"] = Preset,
            ["activation"] = Activation,
            ["batch"] = Case.Batch,
            [Task == "lm" ? "block" : "image_size"] = Case.Size,
            ["params"] = Case.Parameters,
            ["threads"] = Threads,
            ["ms_per_step"] = Math.Round(Ms, 2),
            [Case.ItemName + "_per_s"] = Math.Round(ItemsPerSecond, 1),
            ["step_gflop"] = Math.Round(Flops / 1e9, 4),
            ["gflops"] = Math.Round(Gflops, 2),
            ["sgemm_gflops"] = Math.Round(SgemmGflops, 2),
            ["floor_ms"] = Math.Round(FloorMs, 2),
            ["floor_ratio"] = Math.Round(Ms / FloorMs, 3),
            ["peak_rss_mb"] = ResidentBytes is { } r ? Math.Round(r / 1048576.0, 1) : null,
            ["peak_pool_mb"] = Math.Round(PoolBytes / 1048576.0, 1),
            ["state_mb"] = Math.Round(StateBytes / 1048576.0, 1),
            // Methods the JIT compiled during the timed steps: 0 when the warm-up left nothing to recompile.
            ["jit_compiles"] = JitCompiles,
        };
    }
}
