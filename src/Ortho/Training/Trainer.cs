using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ortho.NN;
using Ortho.Optim;

namespace Ortho.Training;

/// <summary>
/// The training loop shared by the LM and image tasks: schedule, clipping, metrics.jsonl, periodic and on-interrupt
/// checkpoints (atomic), resume, and non-finite detection.
/// </summary>
public abstract class Trainer
{
    /// <summary>Creates the trainer writing into <paramref name="runDirectory"/>.</summary>
    protected Trainer(string runDirectory)
    {
        RunDirectory = runDirectory;
        Directory.CreateDirectory(runDirectory);
    }

    /// <summary>Where checkpoints, metrics and the final model go.</summary>
    public string RunDirectory { get; }

    /// <summary>The checkpoint path inside the run directory.</summary>
    public string CheckpointPath => Path.Combine(RunDirectory, "checkpoint.safetensors");

    /// <summary>The metrics path inside the run directory.</summary>
    public string MetricsPath => Path.Combine(RunDirectory, "metrics.jsonl");

    /// <summary>The model being trained.</summary>
    public abstract Module Model { get; }

    /// <summary>The optimizer.</summary>
    protected abstract Optimizer Optimizer { get; }

    /// <summary>Total steps of the run.</summary>
    public abstract int TotalSteps { get; }

    /// <summary>Items (tokens or images) per step, for throughput.</summary>
    protected abstract int ItemsPerStep { get; }

    /// <summary>Checkpoint interval (0: none besides the end and interrupts).</summary>
    protected abstract int CheckpointEvery { get; }

    /// <summary>Clip norm (0: off).</summary>
    protected abstract float Clip { get; }

    /// <summary>The learning rate of a step.</summary>
    protected abstract float LearningRate(int step);

    /// <summary>The run's configuration as JSON (stored in checkpoints).</summary>
    protected abstract string ConfigJson { get; }

    /// <summary>The data sampler's state to checkpoint (an opaque string).</summary>
    protected abstract string SamplerState { get; set; }

    /// <summary>Computes the loss of the next batch (inside a scope; the caller backpropagates).</summary>
    protected abstract Tensor NextLoss();

    /// <summary>Replays the last batch's forward and names the first module with a non-finite output.</summary>
    protected abstract string? DiagnoseNonFinite();

    /// <summary>The end-of-run evaluation: (validation loss, test accuracy), either may be null.</summary>
    protected abstract (double? Loss, double? Accuracy) Evaluate();

    /// <summary>Runs (or resumes) training until the last step or cancellation, then evaluates.</summary>
    public TrainResult Run(IProgress<TrainProgress>? progress = null, CancellationToken cancel = default, bool resume = false)
    {
        int start = 0;
        if (resume && File.Exists(CheckpointPath))
        {
            var theirs = Checkpoint.ReadConfig(CheckpointPath);
            if (theirs != ConfigJson)
                throw new InvalidDataException($"{CheckpointPath}: the checkpoint was written by a run with another configuration ({ConfigDifference(theirs, ConfigJson)}); use the same flags, or another --run-dir.");
            var ck = Checkpoint.Load(CheckpointPath, Model, Optimizer);
            start = ck.Step;
            SamplerState = ck.SamplerState;
        }
        TrimMetrics(start);
        using var metrics = new StreamWriter(MetricsPath, append: true, new UTF8Encoding(false));
        Model.Train();
        var sw = new Stopwatch();
        double totalMs = 0;
        int timed = 0;
        float lastLoss = float.NaN;
        long peak = Environment.WorkingSet;
        for (int step = start; step < TotalSteps; step++)
        {
            if (cancel.IsCancellationRequested)
            {
                metrics.Flush();
                SaveCheckpoint(step);
                return new TrainResult(step, true, lastLoss, null, null, timed > 0 ? totalMs / timed : 0, peak, RunDirectory);
            }
            sw.Restart();
            float lr = LearningRate(step);
            Optimizer.Lr = lr;
            string samplerBefore = SamplerState;
            using (Tensor.Scope())
            {
                var loss = NextLoss();
                lastLoss = loss.Item();
                if (!float.IsFinite(lastLoss))
                {
                    SamplerState = samplerBefore;
                    string? where;
                    using (Tensor.NoGrad()) where = DiagnoseNonFinite();
                    throw new NonFiniteLossException(step, lastLoss, where);
                }
                Optimizer.ZeroGrad();
                loss.Backward();
            }
            // A non-finite gradient must not reach the weights (nor a checkpoint): stop before the update.
            float norm = Clip > 0 ? GradClip.ClipGradNorm(Model.Parameters(), Clip) : GradClip.GradNorm(Model.Parameters());
            if (!float.IsFinite(norm))
            {
                SamplerState = samplerBefore;
                var bad = Model.NamedParameters().FirstOrDefault(p => p.Parameter.Grad is { } g && !NN.NonFinite.AllFinite(g.Data)).Name;
                throw new NonFiniteLossException(step, lastLoss, bad == null ? "gradients" : "gradient of " + bad);
            }
            Optimizer.Step();
            sw.Stop();
            double ms = sw.Elapsed.TotalMilliseconds;
            if (step > start) { totalMs += ms; timed++; } // the first step includes JIT warm-up
            peak = Math.Max(peak, Environment.WorkingSet);
            var p = new TrainProgress(step + 1, TotalSteps, lastLoss, lr, ms, ItemsPerStep / (ms / 1000));
            metrics.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"step\":{p.Step},\"loss\":{p.Loss:R},\"lr\":{p.Lr:R},\"ms\":{p.MsPerStep:F2},\"items_per_s\":{p.ItemsPerSecond:F0}}}"));
            progress?.Report(p);
            if (CheckpointEvery > 0 && (step + 1) % CheckpointEvery == 0 && step + 1 < TotalSteps)
            {
                metrics.Flush();
                SaveCheckpoint(step + 1);
            }
        }
        SaveCheckpoint(TotalSteps);
        IO.StateDictFile.Save(Model, Path.Combine(RunDirectory, "model.safetensors"), [new("config", ConfigJson)]);
        Model.Eval();
        var (vl, acc) = Evaluate();
        Model.Train();
        var result = new TrainResult(TotalSteps, false, lastLoss, vl, acc, timed > 0 ? totalMs / timed : 0, peak, RunDirectory);
        metrics.WriteLine(JsonSerializer.Serialize<Dictionary<string, object?>>(new()
        {
            ["event"] = "eval", ["step"] = TotalSteps, ["val_loss"] = vl, ["test_acc"] = acc, ["ms_per_step"] = Math.Round(result.MeanMsPerStep, 2),
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

    private void SaveCheckpoint(int step) => Checkpoint.Save(CheckpointPath, Model, Optimizer, step, SamplerState, ConfigJson);

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
