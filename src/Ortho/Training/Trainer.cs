using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ortho.NN;
using Ortho.Optim;

namespace Ortho.Training;

/// <summary>What a <see cref="Trainer"/> is doing, for a signal handler's message.</summary>
public enum TrainPhase
{
    /// <summary>Not yet training: taking the run directory, restoring the checkpoint.</summary>
    Starting,
    /// <summary>Training steps (an interrupt stops after the current step and writes a checkpoint).</summary>
    Training,
    /// <summary>The final evaluation: the last checkpoint and the model are written (an interrupt stops the evaluation).</summary>
    FinalEvaluation,
    /// <summary>Finished.</summary>
    Done,
}

/// <summary>
/// The training loop of every task: the warmup-cosine schedule, the guarded <see cref="TrainStep"/>, metrics.jsonl
/// (a line per step, evaluation lines along the way), periodic and on-interrupt checkpoints (atomic, never holding
/// NaN or infinity), exact resume, the final model file and the task's evaluation. The run directory is locked for
/// the run, and a new run never writes over another one (see <see cref="RunDirectory"/>).
/// </summary>
public sealed class Trainer
{
    private readonly WarmupCosineSchedule _schedule;
    private readonly TrainStep _step;
    private readonly Func<Tensor> _loss;
    private volatile TrainPhase _phase;

    /// <summary>Creates the optimizer from the task's recipe; the run will write into <paramref name="runDirectory"/> (created by <see cref="Run"/>).</summary>
    public Trainer(ITrainingTask task, string runDirectory)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentException.ThrowIfNullOrEmpty(runDirectory);
        Task = task;
        task.Train.Validate();
        _step = TrainStep.ForTask(task);
        _schedule = task.Train.Schedule(task.TotalSteps);
        _loss = task.Loss;
        RunDirectory = Path.GetFullPath(runDirectory);
    }

    /// <summary>The task: model, data, evaluation.</summary>
    public ITrainingTask Task { get; }

    /// <summary>The model being trained.</summary>
    public Module Model => Task.Model;

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer => _step.Optimizer;

    /// <summary>Total steps of the run.</summary>
    public int TotalSteps => Task.TotalSteps;

    /// <summary>Where checkpoints, metrics and the final model go.</summary>
    public string RunDirectory { get; }

    /// <summary>The checkpoint path inside the run directory.</summary>
    public string CheckpointPath => Path.Combine(RunDirectory, "checkpoint.safetensors");

    /// <summary>The metrics path inside the run directory.</summary>
    public string MetricsPath => Path.Combine(RunDirectory, "metrics.jsonl");

    /// <summary>The model file written at the end of the run.</summary>
    public string ModelPath => Path.Combine(RunDirectory, "model.safetensors");

    /// <summary>What the run is doing now (read from another thread, e.g. a signal handler).</summary>
    public TrainPhase Phase => _phase;

    /// <summary>
    /// Runs training until the last step or cancellation, then evaluates. <paramref name="start"/> says whether this is
    /// a new run (the directory must be missing or empty), a resume (from the directory's checkpoint: the same
    /// configuration continues to exactly the losses of an uninterrupted run; a finished run returns its numbers),
    /// or a new run that replaces the directory's run files.
    /// </summary>
    /// <exception cref="NonFiniteLossException">The loss, a gradient, the weights or the optimizer state became NaN or
    /// infinite; no checkpoint holds such values, and the message says which checkpoint is the last good one.</exception>
    /// <exception cref="InvalidOperationException">The directory holds another run (new run), or no checkpoint (resume).</exception>
    /// <exception cref="IOException">Another process is training in the directory.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is invalid or of another configuration (resume).</exception>
    public TrainResult Run(IProgress<TrainProgress>? progress = null, CancellationToken cancel = default, TrainStart start = TrainStart.New)
    {
        _phase = TrainPhase.Starting;
        using var lockHeld = Ortho.Training.RunDirectory.Acquire(RunDirectory, start);
        string config = Task.ConfigJson;
        int total = Task.TotalSteps, items = Task.ItemsPerStep;
        int every = Task.Train.CheckpointEvery, evalEvery = Task.Train.EvalInterval(total);
        int first = 0, lastCheckpoint = -1;
        double wallBefore = 0;
        float lastLoss = float.NaN;
        if (start == TrainStart.Resume)
        {
            (first, wallBefore, lastLoss) = Restore(config, total);
            lastCheckpoint = first;
            MetricsLog.Trim(MetricsPath, first);
            if (first == total && Finished(total) is { } done) { _phase = TrainPhase.Done; return done; }
        }
        var wall = Stopwatch.StartNew();
        double Wall() => wallBefore + wall.Elapsed.TotalSeconds;
        using var metrics = new MetricsLog(MetricsPath);
        Model.Train();
        var sw = new Stopwatch();
        double totalMs = 0;
        int timed = 0;
        long peak = Environment.WorkingSet;
        TrainResult Result(int steps, bool interrupted, Evaluation? final = null) =>
            new(steps, interrupted, lastLoss, final?.Loss, final?.Accuracy, timed > 0 ? totalMs / timed : 0, peak, RunDirectory);
        void Checkpoint(int step)
        {
            if (step == lastCheckpoint) return;
            // The weights were checked after every update; the optimizer's moments are checked here, before they are saved.
            if (Ortho.Training.Checkpoint.FirstNonFinite(Model, Optimizer) is { } bad)
                throw new NonFiniteLossException(step, NonFiniteKind.OptimizerState, lastLoss, bad, CheckpointNote(lastCheckpoint));
            Ortho.Training.Checkpoint.Save(CheckpointPath, Model, Optimizer, step, Task.SamplerState, config, new Dictionary<string, string>
            {
                ["wall_s"] = Wall().ToString("R", CultureInfo.InvariantCulture), ["loss"] = lastLoss.ToString("R", CultureInfo.InvariantCulture),
            });
            lastCheckpoint = step;
        }

        _phase = TrainPhase.Training;
        for (int step = first; step < total; step++)
        {
            if (cancel.IsCancellationRequested)
            {
                Checkpoint(step);
                return Result(step, true);
            }
            sw.Restart();
            float lr = _schedule.At(step);
            string samplerBefore = Task.SamplerState;
            try
            {
                Task.NextBatch();
                lastLoss = _step.Run(step + 1, lr, _loss).Loss;
            }
            catch (NonFiniteLossException e)
            {
                Task.SamplerState = samplerBefore; // as before the failed step
                throw e.WithCheckpointNote(CheckpointNote(lastCheckpoint));
            }
            sw.Stop();
            double ms = sw.Elapsed.TotalMilliseconds;
            if (step > first) { totalMs += ms; timed++; } // the first step includes JIT warm-up
            peak = Math.Max(peak, Environment.WorkingSet);
            int done = step + 1;
            var p = new TrainProgress(done, total, lastLoss, lr, ms, items / (ms / 1000), Wall());
            metrics.Write(string.Create(CultureInfo.InvariantCulture,
                $"{{\"step\":{p.Step},\"loss\":{p.Loss:R},\"lr\":{p.Lr:R},\"ms\":{p.MsPerStep:F2},\"items_per_s\":{p.ItemsPerSecond:F0},\"wall_s\":{p.WallSeconds:F3}}}"));
            progress?.Report(p);
            if (evalEvery > 0 && done % evalEvery == 0 && done < total)
            {
                Model.Eval();
                var e = Task.Evaluate(full: false).Subset;
                Model.Train();
                metrics.Write(EvalLine(done, e, Wall()));
            }
            if (every > 0 && done % every == 0 && done < total) Checkpoint(done);
        }
        Checkpoint(total);
        IO.StateDictFile.Save(Model, ModelPath, [new("config", config)]);
        _phase = TrainPhase.FinalEvaluation;
        EvalResult ev;
        Model.Eval();
        try { ev = Task.Evaluate(full: true, cancel); }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return Result(total, true) with { InterruptedInEvaluation = true };
        }
        finally { Model.Train(); }
        var full = ev.Full!.Value;
        var result = Result(total, false, full);
        // The curve's subset at the last step, then the full evaluation: the last line of a finished run.
        if (evalEvery > 0) metrics.Write(EvalLine(total, ev.Subset, Wall()));
        metrics.Write(JsonSerializer.Serialize<Dictionary<string, object?>>(new()
        {
            ["event"] = "eval", ["step"] = total, ["val_loss"] = full.Loss, ["test_acc"] = full.Accuracy, ["ms_per_step"] = Math.Round(result.MeanMsPerStep, 2),
            ["peak_mb"] = Math.Round(peak / 1048576.0, 1), ["eval_items"] = full.Items, ["wall_s"] = Math.Round(Wall(), 3), ["final"] = true,
        }, MetricsJson));
        _phase = TrainPhase.Done;
        return result;
    }

    /// <summary>A periodic evaluation's line: the fixed subset's loss (and accuracy) at a step.</summary>
    private static string EvalLine(int step, Evaluation e, double wall) => JsonSerializer.Serialize<Dictionary<string, object?>>(new()
    {
        ["event"] = "eval", ["step"] = step, ["val_loss"] = e.Loss, ["test_acc"] = e.Accuracy, ["eval_items"] = e.Items, ["wall_s"] = Math.Round(wall, 3),
    }, MetricsJson);

    /// <summary>What became of the checkpoints when a step failed.</summary>
    private string CheckpointNote(int lastCheckpoint) => lastCheckpoint < 0
        ? "No checkpoint of this run was written."
        : $"The last checkpoint, of step {lastCheckpoint}, was left intact: {CheckpointPath}.";

    /// <summary>Restores model, optimizer and sampler from the checkpoint after checking it against this run; returns the step, wall time and loss it holds.</summary>
    private (int Step, double Wall, float Loss) Restore(string config, int total)
    {
        string path = CheckpointPath;
        var theirs = Ortho.Training.Checkpoint.ReadConfig(path);
        if (theirs != config)
            throw new InvalidDataException($"{path}: the checkpoint was written by a run with another configuration ({ConfigDifference(theirs, config)}); use the same flags, or another --run-dir.");
        var ck = Ortho.Training.Checkpoint.Load(path, Model, Optimizer);
        if (ck.Step > total) throw new InvalidDataException($"{path}: metadata 'step' = {ck.Step} is beyond this run's {total} steps.");
        if (ck.OptimizerSteps != ck.Step)
            throw new InvalidDataException($"{path}: metadata 'optimizer_steps' = {ck.OptimizerSteps} differs from 'step' = {ck.Step} (every step updates the optimizer once).");
        try { Task.SamplerState = ck.SamplerState; }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"{path}: metadata 'sampler' = '{ck.SamplerState}' is not a sampler state of this run: {e.Message}", e);
        }
        return (ck.Step, Number(ck, "wall_s", path, 0), (float)Number(ck, "loss", path, double.NaN));
    }

    private static double Number(Checkpoint ck, string key, string path, double missing)
    {
        if (!ck.Extra.TryGetValue(key, out var s)) return missing; // checkpoints of older versions
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && !(key == "wall_s" && !(v >= 0))
            ? v : throw new InvalidDataException($"{path}: metadata 'extra.{key}' = '{s}' is not a valid number.");
    }

    /// <summary>A resumed run that had already finished and been evaluated: its numbers, from metrics.jsonl.</summary>
    private TrainResult? Finished(int total)
    {
        if (!File.Exists(ModelPath)) return null;
        var (loss, final) = MetricsLog.ReadFinished(MetricsPath, total);
        if (final is not { } f) return null;
        double? Get(string key) => f.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        return new TrainResult(total, false, loss ?? float.NaN, Get("val_loss"), Get("test_acc"), Get("ms_per_step") ?? 0,
            (long)((Get("peak_mb") ?? 0) * 1048576), RunDirectory) { AlreadyFinished = true };
    }

    /// <summary>Metrics JSON: a NaN or infinite evaluation is written as a string rather than failing the run.</summary>
    private static readonly JsonSerializerOptions MetricsJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The top-level config fields whose values differ, e.g. "Steps: 600 vs 1000".</summary>
    private static string ConfigDifference(string a, string b)
    {
        try
        {
            using var da = JsonDocument.Parse(a);
            using var db = JsonDocument.Parse(b);
            var fa = Flatten(da.RootElement, "");
            var fb = Flatten(db.RootElement, "");
            var diffs = fa.Keys.Union(fb.Keys).Where(k => fa.GetValueOrDefault(k) != fb.GetValueOrDefault(k))
                .Select(k => $"{k}: checkpoint {fa.GetValueOrDefault(k) ?? "-"}, this run {fb.GetValueOrDefault(k) ?? "-"}").ToList();
            return diffs.Count == 0 ? "formatting differs" : string.Join("; ", diffs);
        }
        catch (JsonException) { return "checkpoint config is not valid JSON"; }
    }

    private static Dictionary<string, string> Flatten(JsonElement e, string prefix)
    {
        var d = new Dictionary<string, string>();
        if (e.ValueKind == JsonValueKind.Object)
            foreach (var p in e.EnumerateObject())
                foreach (var kv in Flatten(p.Value, prefix.Length == 0 ? p.Name : prefix + "." + p.Name)) d[kv.Key] = kv.Value;
        else d[prefix] = e.GetRawText();
        return d;
    }
}
