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

    private static Command Lm()
    {
        var d = new LmRecipe();
        var block = TrainOptions.Opt("--block", d.Block, "Tokens per sequence.");
        var layers = TrainOptions.Opt("--layers", d.Layers, "Transformer blocks.");
        var heads = TrainOptions.Opt("--heads", d.Heads, "Attention heads.");
        var embd = TrainOptions.Opt("--embd", d.Embd, "Embedding width.");
        var evalBatches = TrainOptions.Opt("--eval-batches", d.EvalBatches, "Validation batches at the end.");
        var shared = new TrainOptions(d.Train, d.Activation, "--steps", "Training steps.", "Sequences per batch.", "MLP activation");
        var cmd = new Command("lm", "Byte-level GPT on the Brown corpus (default recipe: 600 steps, 4 layers, 128 dims).") { block, layers, heads, embd, evalBatches };
        shared.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var r = new LmRecipe
            {
                Train = shared.Recipe(p), Block = p.GetValue(block), Layers = p.GetValue(layers), Heads = p.GetValue(heads), Embd = p.GetValue(embd),
                Activation = shared.Activation(p), EvalBatches = p.GetValue(evalBatches),
            };
            r.Validate();
            var o = shared.Run(p, "lm-" + r.Activation.Replace(':', '-'));
            var (train, val) = BrownCorpus.Load(DataFetch.EnsureData(o.DataDir, "brown", o.Fetch));
            AnsiConsole.MarkupLine($"[bold]Ortho LM[/]: Brown corpus {train.Length:N0} train / {val.Length:N0} validation bytes; activation [green]{r.Activation}[/]; {r.Train.Steps} steps of {r.Train.Batch}x{r.Block} tokens; run dir {Markup.Escape(o.RunDir)}");
            var trainer = new Trainer(new LmTask(r, train, val), o.RunDir);
            if (shared.ApplyActivationInit(p, trainer.Model) is string note) AnsiConsole.MarkupLine(Markup.Escape(note));
            AnsiConsole.MarkupLine($"Model: {trainer.Model.ParameterCount():N0} parameters, {EngineSettings.Threads} thread(s).");
            return Report(RunWithProgress(trainer, o.Resume, "tok/s"));
        });
        return cmd;
    }

    private static Command Image()
    {
        var d = new ImageRecipe();
        var epochs = TrainOptions.Opt("--epochs", d.Epochs, "Epochs over the 60,000 training images.");
        var shared = new TrainOptions(d.Train, d.Model.Activation, "--max-steps", "Stop after this many steps (0: the epochs decide).", "Images per batch.", "Block activation");
        var cmd = new Command("image", "ConvNeXt on Fashion-MNIST (default recipe: 1 epoch, batch 128).") { epochs };
        shared.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var r = new ImageRecipe { Train = shared.Recipe(p), Epochs = p.GetValue(epochs), Model = d.Model with { Activation = shared.Activation(p) } };
            r.Validate();
            var o = shared.Run(p, "image-" + r.Model.Activation.Replace(':', '-'));
            var data = FashionMnist.Load(DataFetch.EnsureData(o.DataDir, "fashion-mnist", o.Fetch));
            AnsiConsole.MarkupLine($"[bold]Ortho image[/]: Fashion-MNIST {data.Train.Count:N0} train / {data.Test.Count:N0} test images; activation [green]{r.Model.Activation}[/]; run dir {Markup.Escape(o.RunDir)}");
            var trainer = new Trainer(new ImageTask(r, data.Train, data.Test), o.RunDir);
            if (shared.ApplyActivationInit(p, trainer.Model) is string note) AnsiConsole.MarkupLine(Markup.Escape(note));
            AnsiConsole.MarkupLine($"Model: {trainer.Model.ParameterCount():N0} parameters, {trainer.TotalSteps} steps, {EngineSettings.Threads} thread(s).");
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
}
