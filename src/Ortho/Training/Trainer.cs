using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ortho.NN;
using Ortho.Optim;

namespace Ortho.Training;

/// <summary>
/// The training loop of every task: the warmup-cosine schedule, the guarded <see cref="TrainStep"/>, metrics.jsonl,
/// periodic and on-interrupt checkpoints (atomic), resume, the final model file and the task's evaluation.
/// </summary>
public sealed class Trainer
{
    private readonly WarmupCosineSchedule _schedule;
    private readonly TrainStep _step;
    private readonly Func<Tensor> _loss;
    private readonly Func<string?> _diagnose;

    /// <summary>Creates the optimizer from the task's recipe; the run writes into <paramref name="runDirectory"/>.</summary>
    public Trainer(ITrainingTask task, string runDirectory)
    {
        ArgumentNullException.ThrowIfNull(task);
        Task = task;
        task.Train.Validate();
        _step = TrainStep.ForTask(task);
        _schedule = task.Train.Schedule(task.TotalSteps);
        _loss = task.Loss;
        _diagnose = task.DiagnoseNonFinite;
        RunDirectory = runDirectory;
        Directory.CreateDirectory(runDirectory);
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

    /// <summary>Runs (or resumes) training until the last step or cancellation, then evaluates.</summary>
    /// <exception cref="NonFiniteLossException">The loss or a gradient became NaN or infinite; the last checkpoint is left intact.</exception>
    public TrainResult Run(IProgress<TrainProgress>? progress = null, CancellationToken cancel = default, bool resume = false)
    {
        string config = Task.ConfigJson;
        int total = Task.TotalSteps, items = Task.ItemsPerStep, every = Task.Train.CheckpointEvery;
        int start = 0;
        if (resume && File.Exists(CheckpointPath))
        {
            var theirs = Checkpoint.ReadConfig(CheckpointPath);
            if (theirs != config)
                throw new InvalidDataException($"{CheckpointPath}: the checkpoint was written by a run with another configuration ({ConfigDifference(theirs, config)}); use the same flags, or another --run-dir.");
            var ck = Checkpoint.Load(CheckpointPath, Model, Optimizer);
            start = ck.Step;
            Task.SamplerState = ck.SamplerState;
        }
        TrimMetrics(start);
        using var metrics = new StreamWriter(MetricsPath, append: true, new UTF8Encoding(false));
        Model.Train();
        var sw = new Stopwatch();
        double totalMs = 0;
        int timed = 0;
        float lastLoss = float.NaN;
        long peak = Environment.WorkingSet;
        for (int step = start; step < total; step++)
        {
            if (cancel.IsCancellationRequested)
            {
                metrics.Flush();
                SaveCheckpoint(step, config);
                return new TrainResult(step, true, lastLoss, null, null, timed > 0 ? totalMs / timed : 0, peak, RunDirectory);
            }
            sw.Restart();
            float lr = _schedule.At(step);
            string samplerBefore = Task.SamplerState;
            try
            {
                Task.NextBatch();
                lastLoss = _step.Run(step, lr, _loss, _diagnose).Loss;
            }
            catch (NonFiniteLossException)
            {
                Task.SamplerState = samplerBefore; // as before the failed step
                throw;
            }
            sw.Stop();
            double ms = sw.Elapsed.TotalMilliseconds;
            if (step > start) { totalMs += ms; timed++; } // the first step includes JIT warm-up
            peak = Math.Max(peak, Environment.WorkingSet);
            var p = new TrainProgress(step + 1, total, lastLoss, lr, ms, items / (ms / 1000));
            metrics.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"step\":{p.Step},\"loss\":{p.Loss:R},\"lr\":{p.Lr:R},\"ms\":{p.MsPerStep:F2},\"items_per_s\":{p.ItemsPerSecond:F0}}}"));
            progress?.Report(p);
            if (every > 0 && (step + 1) % every == 0 && step + 1 < total)
            {
                metrics.Flush();
                SaveCheckpoint(step + 1, config);
            }
        }
        SaveCheckpoint(total, config);
        IO.StateDictFile.Save(Model, Path.Combine(RunDirectory, "model.safetensors"), [new("config", config)]);
        Model.Eval();
        var (vl, acc) = Task.Evaluate();
        Model.Train();
        var result = new TrainResult(total, false, lastLoss, vl, acc, timed > 0 ? totalMs / timed : 0, peak, RunDirectory);
        metrics.WriteLine(JsonSerializer.Serialize<Dictionary<string, object?>>(new()
        {
            ["event"] = "eval", ["step"] = total, ["val_loss"] = vl, ["test_acc"] = acc, ["ms_per_step"] = Math.Round(result.MeanMsPerStep, 2),
            ["peak_mb"] = Math.Round(peak / 1048576.0, 1),
        }, MetricsJson));
        return result;
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

    private void SaveCheckpoint(int step, string config) => Checkpoint.Save(CheckpointPath, Model, Optimizer, step, Task.SamplerState, config);

    /// <summary>On resume, drop metric lines of steps that will be run again.</summary>
    private void TrimMetrics(int start)
    {
        if (!File.Exists(MetricsPath)) return;
        var keep = File.ReadAllLines(MetricsPath).Where(l =>
        {
            try
            {
                using var d = JsonDocument.Parse(l);
                return d.RootElement.TryGetProperty("step", out var s) && s.GetInt32() <= start && !d.RootElement.TryGetProperty("event", out _);
            }
            catch (JsonException) { return false; }
        }).ToList();
        IO.AtomicFile.WriteAllText(MetricsPath, keep.Count == 0 ? "" : string.Join("\n", keep) + "\n");
    }
}
