using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Ortho.Cli.Commands;
using Ortho.Export.Onnx;
using Ortho.Models;
using Ortho.NN;

namespace Ortho.Cli.Bench;

/// <summary>
/// Inference speed of the exported models in ONNX Runtime (CPU execution provider, all graph optimizations, the
/// given intra-op threads) beside Ortho's own forward (no grad, the same thread count), in one process after
/// warm-up: the default LM (4 layers, 128 dims, block 128, vocab 256) on [1, 128] and [16, 128] token ids, and the
/// Fashion-MNIST ConvNeXt on 1 and 128 images, with the recipes' activation (hermite:3) unless told otherwise. The two
/// engines are timed in alternation, seven rounds each, and the fastest round of each is reported, so that load from
/// other processes weighs on both alike. Items are tokens for the LM and images for the ConvNeXt; the ratio is
/// Ortho's time over ONNX Runtime's (above 1: ONNX Runtime is faster).
/// </summary>
internal static partial class OnnxBench
{
    /// <summary>The <c>bench onnx</c> command.</summary>
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = "lm, image, or both (comma-separated).", DefaultValueFactory = _ => "lm,image" };
        var act = new Option<string>("--activation") { Description = "Activation specs (comma-separated).", DefaultValueFactory = _ => new Training.LmRecipe().Activation };
        var threads = CommonOptions.ThreadList();
        var json = CommonOptions.Json();
        var cpu = new Option<bool>("--cpu-time")
        {
            Description = "Time the process's CPU time instead of the wall clock (one thread only): steadier on a machine that other jobs load.",
        };
        var c = new Command("onnx", "Inference ms per forward and items/s: ONNX Runtime on the exported default LM and Fashion-MNIST ConvNeXt beside Ortho's forward.")
        {
            task, act, threads, json, cpu,
        };
        c.SetAction(p =>
        {
            static string[] List(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var tasks = List(p.GetValue(task)!);
            foreach (var t in tasks)
                if (t is not ("lm" or "image")) throw new ArgumentException($"--task takes lm and image, got '{t}'.");
            var acts = List(p.GetValue(act)!).Select(a => Activations.ActivationSpec.Parse(a).ToString()).ToArray();
            var counts = CommonOptions.ParseThreadList(p.GetValue(threads)!);
            if (p.GetValue(cpu) && counts.Any(t => t != 1)) throw new ArgumentException("--cpu-time measures one thread: add --threads 1.");
            Run(tasks, acts, counts, p.GetValue(json), Console.Out, p.GetValue(cpu));
            return 0;
        });
        return c;
    }

    private sealed record Row(string Model, string Activation, string Shape, int Threads, long Items, double OrthoSeconds, double OrtSeconds);

    public static void Run(string[] tasks, string[] activations, int[] threads, bool json, TextWriter output, bool cpuTime = false)
    {
        s_clock = cpuTime ? CpuSeconds : WallSeconds;
        s_clockName = cpuTime ? "cpu" : "wall";
        if (!json)
        {
            BenchHeader.WriteTable(output);
            output.WriteLine($"# ONNX Runtime {OnnxVerify.RuntimeVersion}, CPU execution provider, all graph optimizations; {(cpuTime ? "process CPU" : "wall-clock")} ms; ratio = Ortho ms / ONNX Runtime ms");
            output.WriteLine($"{"model",-9} {"activation",-12} {"shape",-16} {"threads",7} {"Ortho ms",10} {"ORT ms",10} {"Ortho items/s",14} {"ORT items/s",14} {"ratio",6}");
        }
        int saved = EngineSettings.Threads;
        try
        {
            foreach (var task in tasks)
                foreach (var act in activations)
                {
                    Module model = task == "lm" ? new Gpt(GptConfig.DefaultLm(act), new Rng(0)) : new ConvNeXt(ConvNeXtConfig.FashionMnist(act), new Rng(0));
                    byte[] onnx = OnnxExporter.Export(model, new OnnxExportOptions { DynamicBatch = true });
                    foreach (int t in threads)
                    {
                        EngineSettings.Threads = t;
                        using var session = OnnxVerify.Session(onnx, t);
                        foreach (var row in task == "lm" ? Lm((Gpt)model, session, act, t) : Image((ConvNeXt)model, session, act, t))
                            Write(row, json, output);
                    }
                }
        }
        finally { EngineSettings.Threads = saved; }
    }

    private static IEnumerable<Row> Lm(Gpt model, InferenceSession session, string act, int threads)
    {
        const int T = 128;
        foreach (int b in new[] { 1, 16 })
        {
            var rng = new Rng(1);
            var ids = new int[b * T];
            for (int i = 0; i < ids.Length; i++) ids[i] = rng.NextInt(model.Config.Vocab);
            var longs = ids.Select(i => (long)i).ToArray();
            var (ortho, ort) = Time(() =>
            {
                using (Tensor.NoGrad())
                using (Tensor.Scope()) model.Forward(ids, b, T);
            }, session, longs, [b, T]);
            yield return new Row("lm", act, $"[{b}, {T}] tokens", threads, b * T, ortho, ort);
        }
    }

    private static IEnumerable<Row> Image(ConvNeXt model, InferenceSession session, string act, int threads)
    {
        foreach (int b in new[] { 1, 128 })
        {
            var images = Tensor.RandN(new Rng(1), [b, 1, 28, 28]).Keep();
            var data = images.ToArray();
            var (ortho, ort) = Time(() =>
            {
                using (Tensor.NoGrad())
                using (Tensor.Scope()) model.Forward(images);
            }, session, data, [b, 1, 28, 28]);
            yield return new Row("convnext", act, $"[{b}, 1, 28, 28]", threads, b, ortho, ort);
        }
    }

    /// <summary>
    /// Seconds per forward of Ortho and of ONNX Runtime on the same input: each warmed up (0.5 s, then 5 calls), then
    /// seven alternating rounds of about 0.1 s each; the fastest round of each engine.
    /// </summary>
    private static (double Ortho, double Ort) Time<T>(Action ortho, InferenceSession session, T[] data, long[] shape) where T : unmanaged
    {
        using var input = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var runOptions = new RunOptions();
        IReadOnlyCollection<string> inputs = [session.InputNames[0]];
        IReadOnlyCollection<OrtValue> values = [input];
        void Ort()
        {
            using var outputs = session.Run(runOptions, inputs, values, session.OutputNames);
        }
        int repsA = Reps(WarmUp(ortho)), repsB = Reps(WarmUp(Ort));
        double a = double.MaxValue, b = double.MaxValue;
        for (int round = 0; round < 7; round++)
        {
            a = Math.Min(a, PerCall(ortho, repsA));
            b = Math.Min(b, PerCall(Ort, repsB));
        }
        return (a, b);
    }

    private static Func<double> s_clock = WallSeconds;
    private static string s_clockName = "wall";
    private static readonly Stopwatch Wall = Stopwatch.StartNew();

    private static double WallSeconds() => Wall.Elapsed.TotalSeconds;

    // The process's CPU time: clock_gettime(CLOCK_PROCESS_CPUTIME_ID) on Linux (nanoseconds; the Process API counts
    // 10 ms ticks there), else the Process API.
    private static double CpuSeconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(2, out var ts) == 0) return ts.Seconds + ts.Nanoseconds * 1e-9;
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime.TotalSeconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    private static bool s_warm;

    // At least 5 calls and 0.5 s; the first warm-up of the process 2 s, while the JIT's tiers settle.
    private static double WarmUp(Action body)
    {
        double seconds = s_warm ? 0.5 : 2;
        s_warm = true;
        double start = WallSeconds();
        while (WallSeconds() - start < seconds) body();
        double t0 = s_clock();
        for (int i = 0; i < 5; i++) body();
        return Math.Max(s_clock() - t0, 1e-9) / 5;
    }

    private static int Reps(double secondsPerCall) => Math.Max(1, (int)(0.1 / secondsPerCall));

    private static double PerCall(Action body, int reps)
    {
        double t0 = s_clock();
        for (int i = 0; i < reps; i++) body();
        return (s_clock() - t0) / reps;
    }

    private static void Write(Row r, bool json, TextWriter output)
    {
        double orthoRate = r.Items / r.OrthoSeconds, ortRate = r.Items / r.OrtSeconds, ratio = r.OrthoSeconds / r.OrtSeconds;
        output.WriteLine(json
            ? BenchHeader.AddTo(JsonSerializer.Serialize(new
            {
                name = "onnx." + r.Model, activation = r.Activation, shape = r.Shape, threads = r.Threads,
                ortho_ms = Math.Round(r.OrthoSeconds * 1e3, 4), ort_ms = Math.Round(r.OrtSeconds * 1e3, 4),
                ortho_items_per_s = Math.Round(orthoRate, 1), ort_items_per_s = Math.Round(ortRate, 1), ratio = Math.Round(ratio, 3),
                onnxruntime = OnnxVerify.RuntimeVersion, clock = s_clockName,
            }, BenchHeader.JsonOptions))
            : string.Create(CultureInfo.InvariantCulture,
                $"{r.Model,-9} {r.Activation,-12} {r.Shape,-16} {r.Threads,7} {r.OrthoSeconds * 1e3,10:F3} {r.OrtSeconds * 1e3,10:F3} {orthoRate,14:F0} {ortRate,14:F0} {ratio,6:F2}"));
        output.Flush();
    }
}
