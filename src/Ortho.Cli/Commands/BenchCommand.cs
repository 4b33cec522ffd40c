using System.CommandLine;
using Ortho.Cli.Bench;

namespace Ortho.Cli.Commands;

/// <summary><c>ortho bench gemm|activations|attention|train</c>: throughput after warm-up, as a table or JSON lines.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Measure kernel and training-step speed (Release build; warm-up first).");
        cmd.Subcommands.Add(GemmCommand());
        cmd.Subcommands.Add(Activations());
        cmd.Subcommands.Add(Simple("attention", "Fused causal attention GFLOP/s.", (t, j) => ForEachThreads(t, () => AttentionBench.Run(Console.Out, j))));
        cmd.Subcommands.Add(Simple("conv", "Patchify and depthwise 7x7 convolution throughput at the Fashion-MNIST ConvNeXt's shapes.", (t, j) => ForEachThreads(t, () => ConvBench.Run(Console.Out, j))));
        cmd.Subcommands.Add(Simple("kernels", "Layer norm, softmax, cross-entropy, AdamW and a layer's bias gradients in GB/s, next to a memory copy of the same bytes.",
            (t, j) => NnKernelBench.Run(t, j, Console.Out)));
        cmd.Subcommands.Add(Dispatch());
        cmd.Subcommands.Add(Slots());
        cmd.Subcommands.Add(Train());
        cmd.Subcommands.Add(GenerateBench.Create());
        cmd.Subcommands.Add(OnnxBench.Create());
        return cmd;
    }

    private static void ForEachThreads(int[] threads, Action run)
    {
        foreach (var t in threads)
        {
            EngineSettings.Threads = t;
            run();
        }
    }

    private static Command Simple(string name, string description, Action<int[], bool> run)
    {
        var c = new Command(name, description);
        return WithThreadsAndJson(c, (p, t, j) => run(t, j));
    }

    // A bench with one option of its own besides --threads and --json.
    private static Command Simple<T>(string name, string description, Option<T> option, Action<int[], bool, T> run)
    {
        var c = new Command(name, description) { option };
        return WithThreadsAndJson(c, (p, t, j) => run(t, j, p.GetValue(option)!));
    }

    // Adds --threads and --json; the action runs with the thread list and restores EngineSettings.Threads after.
    private static Command WithThreadsAndJson(Command c, Action<ParseResult, int[], bool> run)
    {
        var threads = CommonOptions.ThreadList();
        var json = CommonOptions.Json();
        c.Options.Insert(0, threads);
        c.Options.Insert(1, json);
        c.SetAction(p =>
        {
            int saved = EngineSettings.Threads;
            try { run(p, CommonOptions.ParseThreadList(p.GetValue(threads)!), p.GetValue(json)); }
            finally { EngineSettings.Threads = saved; }
            return 0;
        });
        return c;
    }

    private static Command GemmCommand()
    {
        var cold = new Option<bool>("--cold")
        {
            Description = "Evict the operands from the caches before every timed call (by writing 64 MB elsewhere), as a training " +
                "step's layers find them: the rate of products that read from memory.",
        };
        return Simple("gemm", "SGEMM GFLOP/s: 1024^3, 2048^3 and the default LM's Linear shapes, and each layer's backward as " +
            "two products in turn and as one pair.", cold, (t, j, c) => GemmBench.Run(t, j, Console.Out, c));
    }

    private static Command Activations()
    {
        var elements = new Option<string>("--elements")
        {
            Description = "Tensor size in floats (comma-separated list allowed: each size in turn, e.g. 65536,4194304 to compare a " +
                "cache-resident tensor with one from memory).",
            DefaultValueFactory = _ => "4194304",
        };
        return Simple("activations", "Forward and forward+backward Melem/s of GELU and the learnable activations on 4M floats " +
            "(or --elements), with GB/s beside a memory copy of the same bytes.", elements, (t, j, list) =>
            {
                foreach (int n in CommonOptions.ParsePositiveList(list, "--elements")) ActivationBench.Run(t, j, Console.Out, n);
            });
    }

    private static Command Dispatch() => JsonOnly("dispatch", "What a parallel region costs after serial work (the engine's worker " +
        "threads beside Parallel.For), and whether GELU and a copy of 1M floats gain from a second thread.", DispatchBench.Run);

    private static Command Slots() => JsonOnly("slots", "What an add, xor, shift or permute costs beside multiply-adds on this core " +
        "(AVX-512), in multiply-add issue slots, and the learned-frequency Fourier kernels' bound at those costs beside their measured rate and a copy of the same bytes from memory.",
        IssueSlotBench.Run);

    // A bench whose only option is --json (it sets its own thread counts).
    private static Command JsonOnly(string name, string description, Action<bool, TextWriter> run)
    {
        var json = CommonOptions.Json();
        var c = new Command(name, description) { json };
        c.SetAction(p =>
        {
            run(p.GetValue(json), Console.Out);
            return 0;
        });
        return c;
    }

    private static Command Train()
    {
        var task = new Option<string>("--task") { Description = "lm or image.", DefaultValueFactory = _ => "lm" };
        var preset = new Option<string>("--preset")
        {
            Description = "Model size (comma-separated list allowed). lm: " + PresetList("lm") + ". image: " + PresetList("image") + ".",
            DefaultValueFactory = _ => "default",
        };
        var act = new Option<string>("--activation") { Description = "Activation spec (comma-separated list allowed).", DefaultValueFactory = _ => "gelu" };
        var batch = new Option<string?>("--batch") { Description = "Sequences or images per step, replacing the preset's (comma-separated list allowed)." };
        var block = new Option<int>("--block") { Description = "Tokens per sequence (lm), replacing the preset's block size." };
        var steps = new Option<int>("--steps") { Description = "Timed steps after warm-up (the median is reported); 1-3 for the large presets.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int?>("--warmup") { Description = "Warm-up steps (default: the first step, then at least 5 more and 2 s of steps, until the JIT has compiled nothing for 35 steps, at most 8 s; 0 times the first step too)." };
        var profile = new Option<bool>("--profile") { Description = "Profile the timed steps: time by op family (GEMMs and attention by shape), forward, backward and update, with GFLOP/s or GB/s." };
        var threads = CommonOptions.ThreadList();
        var json = CommonOptions.Json();
        var c = new Command("train", "Training-step time of a model size on synthetic batches (the trainer's guarded step: forward, backward, clip, AdamW): " +
            "ms/step, tokens or images per second, the step's FLOPs and GFLOP/s, its ratio to the FLOP floor at our own SGEMM rate, and peak memory.")
        {
            task, preset, act, batch, block, steps, warmup, profile, threads, json,
        };
        c.SetAction(p =>
        {
            var t = p.GetValue(task)!;
            if (t is not ("lm" or "image")) throw new ArgumentException($"--task must be lm or image, got '{t}'.");
            var b = p.GetValue(batch);
            if (p.GetValue(warmup) is < 0) throw new ArgumentException($"--warmup must be 0 or more, got {p.GetValue(warmup)}.");
            TrainBench.Run(new TrainBenchOptions(t, List(p.GetValue(preset)!), List(p.GetValue(act)!),
                b == null ? [] : CommonOptions.ParsePositiveList(b, "--batch"), p.GetValue(block),
                CommonOptions.ParseThreadList(p.GetValue(threads)!), p.GetValue(steps), p.GetValue(profile), p.GetValue(json), p.GetValue(warmup)), Console.Out);
            return 0;
        });
        return c;
    }

    private static string[] List(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string PresetList(string task) => string.Join(", ", TrainPresets.All.Where(p => p.Task == task).Select(p => $"{p.Name} ({p.Description}; batch {p.Batch})"));
}
