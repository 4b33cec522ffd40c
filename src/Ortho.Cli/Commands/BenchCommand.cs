using System.CommandLine;
using Ortho.Cli.Bench;

namespace Ortho.Cli.Commands;

/// <summary><c>ortho bench gemm|activations|attention|train</c>: throughput after warm-up, as a table or JSON lines.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Measure kernel and training-step speed (Release build; warm-up first).");
        cmd.Subcommands.Add(Simple("gemm", "SGEMM GFLOP/s: 1024^3, 2048^3 and the default LM's Linear shapes.", (t, j) => GemmBench.Run(t, j, Console.Out)));
        cmd.Subcommands.Add(Simple("activations", "Forward and forward+backward Melem/s of GELU and the learnable activations on 4M floats.",
            (t, j) => ActivationBench.Run(t, j, Console.Out)));
        cmd.Subcommands.Add(Simple("attention", "Fused causal attention GFLOP/s.", (t, j) => ForEachThreads(t, () => AttentionBench.Run(Console.Out, j))));
        cmd.Subcommands.Add(Simple("conv", "Patchify and depthwise 7x7 convolution throughput at the Fashion-MNIST ConvNeXt's shapes.", (t, j) => ForEachThreads(t, () => ConvBench.Run(Console.Out, j))));
        cmd.Subcommands.Add(Simple("kernels", "Layer norm, softmax, cross-entropy and AdamW in GB/s, next to a memory copy of the same bytes.",
            (t, j) => NnKernelBench.Run(t, j, Console.Out)));
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
        var threads = CommonOptions.ThreadList();
        var json = CommonOptions.Json();
        var c = new Command(name, description) { threads, json };
        c.SetAction(p =>
        {
            int saved = EngineSettings.Threads;
            try { run(CommonOptions.ParseThreadList(p.GetValue(threads)!), p.GetValue(json)); }
            finally { EngineSettings.Threads = saved; }
            return 0;
        });
        return c;
    }

    private static Command Train()
    {
        var task = new Option<string>("--task") { Description = "lm or image.", DefaultValueFactory = _ => "lm" };
        var act = new Option<string>("--activation") { Description = "Activation spec (comma-separated list allowed).", DefaultValueFactory = _ => "gelu" };
        var steps = new Option<int>("--steps") { Description = "Timed steps after warm-up.", DefaultValueFactory = _ => 10 };
        var threads = CommonOptions.ThreadList();
        var json = CommonOptions.Json();
        var c = new Command("train", "Milliseconds per training step of the default recipe: the trainer's guarded step on synthetic data of the recipe's shapes.")
        {
            task, act, steps, threads, json,
        };
        c.SetAction(p =>
        {
            var t = p.GetValue(task)!;
            if (t is not ("lm" or "image")) throw new ArgumentException($"--task must be lm or image, got '{t}'.");
            TrainBench.Run(t, p.GetValue(act)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                CommonOptions.ParseThreadList(p.GetValue(threads)!), p.GetValue(steps), p.GetValue(json), Console.Out);
            return 0;
        });
        return c;
    }
}
