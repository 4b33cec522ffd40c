using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Ortho.Data;
using Ortho.Training;
using Spectre.Console;
using Spectre.Console.Rendering;

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
        var heads = TrainOptions.Opt("--heads", d.Heads, "Attention heads (a divisor of --embd).");
        var embd = TrainOptions.Opt("--embd", d.Embd, "Embedding width.");
        var evalBatches = TrainOptions.Opt("--eval-batches", d.EvalBatches,
            "Fixed validation batches of the final evaluation; the evaluations along the way use the first quarter of them.");
        var shared = new TrainOptions(d.Train, d.Activation, "Training steps: the length of the run and of its learning-rate schedule.", "Sequences per batch.", "MLP activation");
        var cmd = new Command("lm", "Byte-level GPT on the Brown corpus (default recipe: 600 steps, 4 layers, 128 dims).") { block, layers, heads, embd, evalBatches };
        shared.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var init = shared.InitFrom(p);
            var r = new LmRecipe { Train = shared.Recipe(p), EvalBatches = p.GetValue(evalBatches) };
            if (init == null) r = r with { Block = p.GetValue(block), Layers = p.GetValue(layers), Heads = p.GetValue(heads), Embd = p.GetValue(embd), Activation = shared.Activation(p) };
            else
            {
                var c = (init.Gpt ?? throw new ArgumentException($"--init-from {init.File} holds a {init.Description}; 'train lm' starts from a GPT ('train image' from a ConvNeXt).")).Config;
                int b = TrainOptions.Given(p, block) ? p.GetValue(block) : c.Block;
                if (b > c.Block) throw new ArgumentException($"--block {b} is longer than the {c.Block} positions of --init-from {init.File}: give at most {c.Block}.");
                r = r with
                {
                    Vocab = c.Vocab, Block = b, Layers = TrainOptions.Architecture(p, layers, init, c.Layers, "layers"),
                    Heads = TrainOptions.Architecture(p, heads, init, c.Heads, "attention heads", init.Unknown.Contains("heads")),
                    Embd = TrainOptions.Architecture(p, embd, init, c.Embd, "embedding width"), Activation = shared.Activation(p, init, c.Activation),
                };
            }
            r.Validate(TrainOptions.Flag);
            var w = shared.Run(p, "lm-" + r.Activation.Replace(':', '-'));
            string brown = Data(DataSet.Brown, w);
            LmTask task;
            if (r.Vocab == ByteTokenizer.VocabSize)
            {
                var (train, val) = BrownCorpus.Load(brown);
                Say($"[bold]Ortho LM[/]: Brown corpus {train.Length:N0} train / {val.Length:N0} validation bytes; activation [green]{r.Activation}[/]; {r.Train.Steps} steps of {r.Train.Batch}x{r.Block} tokens; run dir {Markup.Escape(w.RunDir)}");
                task = new LmTask(r, train, val);
            }
            else
            {
                var tokenizer = Inference.Tokenizers.For(r.Model);
                var corpus = TokenizedCorpus.Brown(tokenizer, brown);
                Say($"[bold]Ortho LM[/]: Brown corpus {corpus.Train.Length:N0} train / {corpus.Validation.Length:N0} validation {tokenizer.Name} tokens; activation [green]{r.Activation}[/]; {r.Train.Steps} steps of {r.Train.Batch}x{r.Block} tokens; run dir {Markup.Escape(w.RunDir)}");
                task = new LmTask(r, corpus.Train, corpus.Validation);
            }
            var trainer = new Trainer(task, w.RunDir);
            if (shared.ApplyActivationInit(p, trainer.Model) is string note) Say(Markup.Escape(note));
            StartFrom(init, task.Model);
            Say($"Model: {trainer.Model.ParameterCount():N0} parameters, {EngineSettings.Threads} thread(s).");
            return Report(RunWithProgress(trainer, w.Start, "tok/s"));
        });
        return cmd;
    }

    private static Command Image()
    {
        var d = new ImageRecipe();
        var epochs = new Option<double?>("--epochs") { Description = "Epochs over the training images: the run takes epochs x (images / batch) steps (default: 1 epoch, unless --steps is given)." };
        var maxSteps = new Option<int?>("--max-steps") { Description = "Deprecated spelling of --steps.", Hidden = true };
        var shared = new TrainOptions(d.Train, d.Model.Activation,
            "Training steps: the length of the run and of its learning-rate schedule (default: set by --epochs).", "Images per batch.", "Block activation");
        var cmd = new Command("image", "ConvNeXt on Fashion-MNIST (default recipe: 1 epoch, batch 128).") { epochs, maxSteps };
        shared.AddTo(cmd);
        cmd.SetAction(p =>
        {
            bool stepsGiven = p.GetResult(shared.Steps) is { Implicit: false };
            var recipe = shared.Recipe(p);
            if (p.GetValue(maxSteps) is int old)
            {
                if (stepsGiven) throw new ArgumentException("--max-steps is the old spelling of --steps: give --steps only.");
                Console.Error.WriteLine("ortho: --max-steps is deprecated: use --steps, the length of the run (it is no longer capped by --epochs).");
                recipe = recipe with { Steps = old };
                stepsGiven = true;
            }
            if (stepsGiven && p.GetValue(epochs) is not null)
                throw new ArgumentException("--steps and --epochs both set the length of the run: give one of them.");
            var init = shared.InitFrom(p);
            var model = d.Model with { Activation = shared.Activation(p) };
            if (init != null)
            {
                var c = (init.ConvNeXt ?? throw new ArgumentException($"--init-from {init.File} holds a {init.Description}; 'train image' starts from a ConvNeXt ('train lm' from a GPT).")).Config;
                model = c with { Activation = shared.Activation(p, init, c.Activation) };
            }
            var r = new ImageRecipe { Train = recipe, Epochs = p.GetValue(epochs) ?? 1, Model = model };
            r.Validate(TrainOptions.Flag);
            var w = shared.Run(p, "image-" + r.Model.Activation.Replace(':', '-'));
            var data = FashionMnist.Load(Data(DataSet.FashionMnist, w));
            r.Validate(TrainOptions.Flag, data.Train.Count);
            Say($"[bold]Ortho image[/]: Fashion-MNIST {data.Train.Count:N0} train / {data.Test.Count:N0} test images; activation [green]{r.Model.Activation}[/]; run dir {Markup.Escape(w.RunDir)}");
            var task = new ImageTask(r, data.Train, data.Test);
            var trainer = new Trainer(task, w.RunDir);
            if (shared.ApplyActivationInit(p, trainer.Model) is string note) Say(Markup.Escape(note));
            StartFrom(init, task.Model);
            Say($"Model: {trainer.Model.ParameterCount():N0} parameters, {trainer.TotalSteps} steps, {EngineSettings.Threads} thread(s).");
            return Report(RunWithProgress(trainer, w.Start, "img/s"));
        });
        return cmd;
    }

    /// <summary>Copies the weights of --init-from into the run's freshly built model (a resume then restores its checkpoint over them).</summary>
    private static void StartFrom(Inference.TrainedModel? init, NN.Module model)
    {
        if (init == null) return;
        try { InitialWeights.Copy(init.Model, model); }
        catch (ArgumentException e) { throw new ArgumentException($"--init-from {init.File}: {e.Message}", e); }
        Say(Markup.Escape($"Weights from {init.File} ({init.Description}{(init.Step is int s ? $", step {s}" : "")})."));
    }

    /// <summary>The data set's directory, verified (fetched first when it does not verify and fetching is allowed).</summary>
    private static string Data(DataSet set, TrainOptions.Where w) =>
        new DataFetcher(Console.Error).Ensure(w.Manifest is { } m ? set.WithManifest(m) : set, w.DataRoot, w.Fetch, builtInManifest: w.Manifest is null);

    /// <summary>Whether output goes to a terminal that redraws (progress bar, colours); else plain lines.</summary>
    private static bool Terminal => AnsiConsole.Profile.Capabilities is { Interactive: true, Ansi: true };

    /// <summary>A line of markup: styled on a terminal, plain text (no ANSI codes, no wrapping) otherwise.</summary>
    private static void Say(string markup)
    {
        if (Terminal) AnsiConsole.MarkupLine(markup);
        else Console.WriteLine(Markup.Remove(markup));
    }

    private static (TrainResult Result, int Signal) RunWithProgress(Trainer trainer, TrainStart start, string unit)
    {
        using var cts = new CancellationTokenSource();
        int signal = 130;
        string Stopping() => trainer.Phase == TrainPhase.FinalEvaluation
            ? "stopping the final evaluation (the last step's checkpoint and model are written; --resume evaluates them)"
            : "writing a checkpoint after the current step, then stopping";
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return; // a second Ctrl-C ends the process at once
            e.Cancel = true;
            cts.Cancel();
            Console.Error.WriteLine($"ortho: interrupt received; {Stopping()} (Ctrl-C again to abort at once).");
        };
        Console.CancelKeyPress += onCancel;
        // SIGTERM (kill, a scheduler's stop) gets the same treatment, and the conventional exit code 128 + 15.
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            if (cts.IsCancellationRequested) return;
            ctx.Cancel = true;
            signal = 143;
            cts.Cancel();
            Console.Error.WriteLine($"ortho: SIGTERM received; {Stopping()}.");
        });
        try
        {
            if (start == TrainStart.Resume) Say($"Resuming the run in {Markup.Escape(trainer.RunDirectory)}.");
            var clock = Stopwatch.StartNew();
            int first = -1;
            if (!Terminal)
            {
                int every = Math.Max(1, trainer.TotalSteps / 20);
                var r = trainer.Run(new SyncProgress(p =>
                {
                    if (first < 0) first = p.Step - 1;
                    if (p.Step % every == 0 || p.Step == p.TotalSteps)
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"step {p.Step,5}/{p.TotalSteps}  loss {p.Loss:F4}  lr {p.Lr:E2}  {p.MsPerStep,7:F1} ms/step  {p.ItemsPerSecond,8:F0} {unit}  elapsed {Clock(clock.Elapsed)}  ETA {Clock(Eta(clock.Elapsed, p.Step - first, p.TotalSteps - p.Step))}"));
                }), cts.Token, start);
                return (r, signal);
            }
            TrainResult? result = null;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new LabelledTime(elapsed: true), new LabelledTime(elapsed: false))
                .Start(ctx =>
                {
                    var task = ctx.AddTask("starting", maxValue: trainer.TotalSteps);
                    result = trainer.Run(new SyncProgress(p =>
                    {
                        if (first < 0) { first = p.Step - 1; task.Value = first; task.StartTask(); }
                        task.Value = p.Step;
                        task.Description = string.Create(CultureInfo.InvariantCulture,
                            $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} lr {p.Lr:E2} {p.ItemsPerSecond:F0} {unit}");
                    }), cts.Token, start);
                });
            return (result!, signal);
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    private static TimeSpan Eta(TimeSpan elapsed, int done, int left) => done <= 0 ? TimeSpan.Zero : elapsed / done * left;

    private static string Clock(TimeSpan t) => $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}";

    private static int Report((TrainResult Result, int Signal) run)
    {
        var r = run.Result;
        string metrics = Path.Combine(r.RunDirectory, "metrics.jsonl"), model = Path.Combine(r.RunDirectory, "model.safetensors");
        if (r.InterruptedInEvaluation)
        {
            Say($"[yellow]Interrupted during the final evaluation[/]: the checkpoint and the model of step {r.Steps} are written in {Markup.Escape(r.RunDirectory)}; run the same command with --resume to evaluate them.");
            return run.Signal;
        }
        if (r.Interrupted)
        {
            Say($"[yellow]Interrupted at step {r.Steps}[/]; checkpoint written to {Markup.Escape(r.RunDirectory)}. Run the same command with --resume to continue.");
            return run.Signal;
        }
        if (r.AlreadyFinished)
            Say(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"This run had already finished: {r.Steps} steps, final train loss {r.FinalTrainLoss:F4}. Nothing was changed.")));
        else
            Say(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"Done: {r.Steps} steps, final train loss {r.FinalTrainLoss:F4}, {r.MeanMsPerStep:F1} ms/step, peak memory {r.PeakWorkingSetBytes / 1048576.0:F0} MiB.")));
        if (r.ValidationLoss is double vl) Say(string.Create(CultureInfo.InvariantCulture, $"[bold]Validation loss {vl:F4}[/] (mean cross-entropy over the fixed evaluation set; lower is better)."));
        if (r.TestAccuracy is double acc) Say(string.Create(CultureInfo.InvariantCulture, $"[bold]Test accuracy {acc * 100:F2}%[/] on the test images."));
        Say(Markup.Escape($"Metrics: {metrics}; weights: {model}."));
        return 0;
    }

    /// <summary>"elapsed 0:01:23" or "ETA 0:04:56": Spectre's time columns, labelled.</summary>
    private sealed class LabelledTime(bool elapsed) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var t = elapsed ? task.ElapsedTime : task.RemainingTime;
            return new Text((elapsed ? "elapsed " : "ETA ") + (t is { } v ? Clock(v) : "-:--:--"), new Style(Color.Grey));
        }
    }

    /// <summary>Reports on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<TrainProgress> report) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => report(value);
    }
}
