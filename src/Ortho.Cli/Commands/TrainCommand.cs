using System.CommandLine;
using System.Globalization;
using Ortho.Data;
using Ortho.Training;
using Spectre.Console;

namespace Ortho.Cli.Commands;

/// <summary><c>ortho train lm</c> and <c>ortho train image</c>: the default recipes, every number a flag.</summary>
internal static class TrainCommand
{
    public static Command Create() => new("train", "Train a model with a (learnable) activation.") { Lm(), Image() };

    private static Option<T> Opt<T>(string name, T def, string desc) => new(name) { Description = desc, DefaultValueFactory = _ => def };

    private static ulong Seed(ParseResult p, Option<long> o) =>
        p.GetValue(o) is long v and >= 0 ? (ulong)v : throw new ArgumentException($"{o.Name} must be a non-negative integer, got {p.GetValue(o)}.");

    private static Command Lm()
    {
        var d = new LmRecipe();
        var steps = Opt("--steps", d.Steps, "Training steps.");
        var batch = Opt("--batch", d.Batch, "Sequences per batch.");
        var block = Opt("--block", d.Block, "Tokens per sequence.");
        var layers = Opt("--layers", d.Layers, "Transformer blocks.");
        var heads = Opt("--heads", d.Heads, "Attention heads.");
        var embd = Opt("--embd", d.Embd, "Embedding width.");
        var act = Opt("--activation", d.Activation, "MLP activation: gelu, relu, silu, hermite:N, fourier:N, tropical:N, tropical_rational:N.");
        var lr = Opt("--lr", d.Lr, "Peak learning rate.");
        var minLr = Opt("--min-lr", d.MinLr, "Final learning rate of the cosine.");
        var warmup = Opt("--warmup", d.Warmup, "Linear warmup steps.");
        var wd = Opt("--weight-decay", d.WeightDecay, "AdamW weight decay (matrices only).");
        var b1 = Opt("--beta1", d.Beta1, "AdamW beta1.");
        var b2 = Opt("--beta2", d.Beta2, "AdamW beta2.");
        var clip = Opt("--clip", d.Clip, "Gradient-norm clip (0: off).");
        var seed = Opt("--seed", (long)d.Seed, "Model initialization seed.");
        var dataSeed = Opt("--data-seed", (long)d.DataSeed, "Batch sampling seed.");
        var evalBatches = Opt("--eval-batches", d.EvalBatches, "Validation batches at the end.");
        var every = Opt("--checkpoint-every", d.CheckpointEvery, "Checkpoint interval in steps (0: end and Ctrl-C only).");
        var common = new RunOptions();
        var cmd = new Command("lm", "Byte-level GPT on the Brown corpus (default recipe: 600 steps, 4 layers, 128 dims).")
        {
            steps, batch, block, layers, heads, embd, act, lr, minLr, warmup, wd, b1, b2, clip, seed, dataSeed, evalBatches, every,
        };
        common.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var r = new LmRecipe
            {
                Steps = p.GetValue(steps), Batch = p.GetValue(batch), Block = p.GetValue(block), Layers = p.GetValue(layers),
                Heads = p.GetValue(heads), Embd = p.GetValue(embd), Activation = Activations.ActivationSpec.Parse(p.GetValue(act)!).ToString(),
                Lr = p.GetValue(lr), MinLr = p.GetValue(minLr), Warmup = p.GetValue(warmup), WeightDecay = p.GetValue(wd),
                Beta1 = p.GetValue(b1), Beta2 = p.GetValue(b2), Clip = p.GetValue(clip), Seed = Seed(p, seed),
                DataSeed = Seed(p, dataSeed), EvalBatches = p.GetValue(evalBatches), CheckpointEvery = p.GetValue(every),
            };
            var o = common.Read(p, "lm-" + r.Activation.Replace(':', '-'));
            var dir = DataFetch.EnsureData(o.DataDir, "brown", o.Fetch);
            var (train, val) = BrownCorpus.Load(dir);
            AnsiConsole.MarkupLine($"[bold]Ortho LM[/]: Brown corpus {train.Length:N0} train / {val.Length:N0} validation bytes; activation [green]{r.Activation}[/]; {r.Steps} steps of {r.Batch}x{r.Block} tokens; run dir {Markup.Escape(o.RunDir)}");
            var trainer = new LmTrainer(r, train, val, o.RunDir);
            AnsiConsole.MarkupLine($"Model: {trainer.Gpt.ParameterCount():N0} parameters, {EngineSettings.Threads} thread(s).");
            return Report(RunWithProgress(trainer, o.Resume, "tok/s"));
        });
        return cmd;
    }

    private static Command Image()
    {
        var d = new ImageRecipe();
        var epochs = Opt("--epochs", d.Epochs, "Epochs over the 60,000 training images.");
        var batch = Opt("--batch", d.Batch, "Images per batch.");
        var act = Opt("--activation", d.Activation, "Block activation: gelu, relu, silu, hermite:N, fourier:N, tropical:N, tropical_rational:N.");
        var lr = Opt("--lr", d.Lr, "Peak learning rate.");
        var minLr = Opt("--min-lr", d.MinLr, "Final learning rate of the cosine.");
        var warmup = Opt("--warmup", d.Warmup, "Linear warmup steps.");
        var wd = Opt("--weight-decay", d.WeightDecay, "AdamW weight decay (matrices and conv kernels only).");
        var b1 = Opt("--beta1", d.Beta1, "AdamW beta1.");
        var b2 = Opt("--beta2", d.Beta2, "AdamW beta2.");
        var clip = Opt("--clip", d.Clip, "Gradient-norm clip (0: off).");
        var seed = Opt("--seed", (long)d.Seed, "Model initialization seed.");
        var dataSeed = Opt("--data-seed", (long)d.DataSeed, "Shuffle seed.");
        var every = Opt("--checkpoint-every", d.CheckpointEvery, "Checkpoint interval in steps (0: end and Ctrl-C only).");
        var maxSteps = Opt("--max-steps", d.MaxSteps, "Stop after this many steps (0: the epochs decide).");
        var common = new RunOptions();
        var cmd = new Command("image", "ConvNeXt on Fashion-MNIST (default recipe: 1 epoch, batch 128).")
        {
            epochs, batch, act, lr, minLr, warmup, wd, b1, b2, clip, seed, dataSeed, every, maxSteps,
        };
        common.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var r = new ImageRecipe
            {
                Epochs = p.GetValue(epochs), Batch = p.GetValue(batch), Activation = Activations.ActivationSpec.Parse(p.GetValue(act)!).ToString(),
                Lr = p.GetValue(lr), MinLr = p.GetValue(minLr), Warmup = p.GetValue(warmup), WeightDecay = p.GetValue(wd),
                Beta1 = p.GetValue(b1), Beta2 = p.GetValue(b2), Clip = p.GetValue(clip), Seed = Seed(p, seed),
                DataSeed = Seed(p, dataSeed), CheckpointEvery = p.GetValue(every), MaxSteps = p.GetValue(maxSteps),
            };
            var o = common.Read(p, "image-" + r.Activation.Replace(':', '-'));
            var dir = DataFetch.EnsureData(o.DataDir, "fashion-mnist", o.Fetch);
            var data = FashionMnist.Load(dir);
            AnsiConsole.MarkupLine($"[bold]Ortho image[/]: Fashion-MNIST {data.Train.Count:N0} train / {data.Test.Count:N0} test images; activation [green]{r.Activation}[/]; run dir {Markup.Escape(o.RunDir)}");
            var trainer = new ImageTrainer(r, data.Train, data.Test, o.RunDir);
            AnsiConsole.MarkupLine($"Model: {trainer.Net.ParameterCount():N0} parameters, {trainer.TotalSteps} steps, {EngineSettings.Threads} thread(s).");
            return Report(RunWithProgress(trainer, o.Resume, "img/s"));
        });
        return cmd;
    }

    private static TrainResult RunWithProgress(Trainer trainer, bool resume, string unit)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return; // a second Ctrl-C ends the process at once
            e.Cancel = true; // finish the step, write the checkpoint, then stop
            cts.Cancel();
            Console.Error.WriteLine("ortho: interrupt received; writing a checkpoint after this step (Ctrl-C again to abort without one).");
        };
        Console.CancelKeyPress += onCancel;
        // SIGTERM (kill, a scheduler's stop) gets the same treatment: checkpoint, then exit.
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
        {
            if (cts.IsCancellationRequested) return;
            ctx.Cancel = true;
            cts.Cancel();
            Console.Error.WriteLine("ortho: SIGTERM received; writing a checkpoint after this step.");
        });
        try
        {
            if (!AnsiConsole.Profile.Capabilities.Interactive)
            {
                int every = Math.Max(1, trainer.TotalSteps / 20);
                return trainer.Run(new SyncProgress(p =>
                {
                    if (p.Step % every == 0 || p.Step == p.TotalSteps)
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"step {p.Step,5}/{p.TotalSteps}  loss {p.Loss:F4}  lr {p.Lr:E2}  {p.MsPerStep,7:F1} ms/step  {p.ItemsPerSecond,8:F0} {unit}"));
                }), cts.Token, resume);
            }
            TrainResult? result = null;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("starting", maxValue: trainer.TotalSteps);
                    result = trainer.Run(new SyncProgress(p =>
                    {
                        task.Value = p.Step;
                        task.Description = string.Create(CultureInfo.InvariantCulture,
                            $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} lr {p.Lr:E2} {p.ItemsPerSecond:F0} {unit}");
                    }), cts.Token, resume);
                });
            return result!;
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    private static int Report(TrainResult r)
    {
        if (r.Interrupted)
        {
            AnsiConsole.MarkupLine($"[yellow]Interrupted at step {r.Steps}[/]; checkpoint written to {Markup.Escape(r.RunDirectory)}. Run the same command with --resume to continue.");
            return 130;
        }
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"Done: {r.Steps} steps, final train loss {r.FinalTrainLoss:F4}, {r.MeanMsPerStep:F1} ms/step, peak memory {r.PeakWorkingSetBytes / 1048576.0:F0} MiB."));
        if (r.ValidationLoss is double vl) AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[bold]Validation loss {vl:F4}[/] (mean cross-entropy in nats per byte over the fixed validation batches; lower is better)."));
        if (r.TestAccuracy is double acc) AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[bold]Test accuracy {acc * 100:F2}%[/] on the 10,000 test images."));
        AnsiConsole.MarkupLine(Markup.Escape($"Metrics: {Path.Combine(r.RunDirectory, "metrics.jsonl")}; weights: {Path.Combine(r.RunDirectory, "model.safetensors")}."));
        return 0;
    }

    /// <summary>Reports on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<TrainProgress> report) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => report(value);
    }

    /// <summary>Options every train command has: run directory, data directory, resume, fetch, threads.</summary>
    private sealed class RunOptions
    {
        private readonly Option<string?> _runDir = new("--run-dir") { Description = "Where checkpoints and metrics go (default runs/<task>-<activation>)." };
        private readonly Option<string?> _data = new("--data") { Description = "Data directory holding brown/ and fashion-mnist/ (default: $ORTHO_DATA or ./data)." };
        private readonly Option<bool> _resume = new("--resume") { Description = "Continue from the run directory's checkpoint." };
        private readonly Option<bool> _noFetch = new("--no-fetch") { Description = "Do not download missing data; fail instead." };
        private readonly Option<int> _threads = CommonOptions.Threads();

        public void AddTo(Command c)
        {
            c.Options.Add(_runDir); c.Options.Add(_data); c.Options.Add(_resume); c.Options.Add(_noFetch); c.Options.Add(_threads);
        }

        public (string RunDir, string? DataDir, bool Resume, bool Fetch) Read(ParseResult p, string defaultName)
        {
            CommonOptions.ApplyThreads(p.GetValue(_threads));
            return (p.GetValue(_runDir) ?? Path.Combine("runs", defaultName), p.GetValue(_data), p.GetValue(_resume), !p.GetValue(_noFetch));
        }
    }
}
