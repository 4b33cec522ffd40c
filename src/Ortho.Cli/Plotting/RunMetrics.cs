using System.Globalization;
using System.Text.Json;

namespace Ortho.Cli.Plotting;

/// <summary>One training step of metrics.jsonl.</summary>
/// <param name="Step">Steps done (1-based).</param>
/// <param name="Loss">Training loss of the step's batch (nats per token).</param>
/// <param name="WallSeconds">Seconds since the run started, when logged; else the sum of the logged step times.</param>
/// <param name="Lr">Learning rate, when logged.</param>
internal readonly record struct TrainPoint(int Step, double Loss, double WallSeconds, double? Lr);

/// <summary>One evaluation of metrics.jsonl (periodic or final).</summary>
internal readonly record struct EvalPoint(int Step, double? ValLoss, double? TestAccuracy, double WallSeconds);

/// <summary>
/// A run's metrics.jsonl: train lines <c>{"step","loss","lr","ms","items_per_s"[,"wall_s"]}</c> and eval lines
/// <c>{"event":"eval","step",["val_loss"],["test_acc"][,"wall_s"]...}</c>. Lines written by older versions (no
/// <c>wall_s</c>, only a final eval) are read as they are: wall time is then estimated from the step times.
/// </summary>
internal sealed class RunMetrics
{
    private RunMetrics(string name, List<TrainPoint> train, List<EvalPoint> evals, bool wallLogged, int skipped, double? msPerStep, double? peakMb)
    {
        Name = name;
        Train = train;
        Evals = evals;
        WallTimeLogged = wallLogged;
        SkippedLines = skipped;
        MeanMsPerStep = msPerStep;
        PeakMb = peakMb;
    }

    /// <summary>The run's name (legends).</summary>
    public string Name { get; }

    /// <summary>Training steps in order.</summary>
    public IReadOnlyList<TrainPoint> Train { get; }

    /// <summary>Evaluations in order.</summary>
    public IReadOnlyList<EvalPoint> Evals { get; }

    /// <summary>Whether every train line had wall_s (else wall times are sums of step times: evaluation time left out).</summary>
    public bool WallTimeLogged { get; }

    /// <summary>Lines that were not JSON objects with a step (e.g. a line cut off when the run was killed).</summary>
    public int SkippedLines { get; }

    /// <summary>Mean milliseconds per step from the final eval line, when logged.</summary>
    public double? MeanMsPerStep { get; }

    /// <summary>Peak memory in MiB from the final eval line, when logged.</summary>
    public double? PeakMb { get; }

    /// <summary>Whether any evaluation has a test accuracy (an image run).</summary>
    public bool HasAccuracy => Evals.Any(e => e.TestAccuracy.HasValue);

    /// <summary>The last evaluation with a validation loss, if any.</summary>
    public EvalPoint? LastValidation => Evals.LastOrDefault(e => e.ValLoss.HasValue) is { ValLoss: not null } e ? e : null;

    /// <summary>The last evaluation with a test accuracy, if any.</summary>
    public EvalPoint? LastAccuracy => Evals.LastOrDefault(e => e.TestAccuracy.HasValue) is { TestAccuracy: not null } e ? e : null;

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not one line is a metrics record.</exception>
    public static RunMetrics Read(string path, string name)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no metrics log (metrics.jsonl) there.", path);
        var rows = new List<(int Step, double Loss, double? Wall, double Summed, double? Lr)>();
        var evals = new List<(int Step, double? Val, double? Acc, double? Wall)>();
        int skipped = 0;
        double summed = 0;
        double? msPerStep = null, peak = null;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException) { skipped++; continue; }
            using (doc)
            {
                var e = doc.RootElement;
                if (e.ValueKind != JsonValueKind.Object || Number(e, "step") is not double step) { skipped++; continue; }
                double? wall = Number(e, "wall_s");
                if (e.TryGetProperty("event", out var ev))
                {
                    if (ev.ValueKind == JsonValueKind.String && ev.GetString() == "eval")
                    {
                        evals.Add(((int)step, Number(e, "val_loss"), Number(e, "test_acc"), wall));
                        msPerStep = Number(e, "ms_per_step") ?? msPerStep;
                        peak = Number(e, "peak_mb") ?? peak;
                    }
                    continue;
                }
                if (Number(e, "loss") is not double loss) { skipped++; continue; }
                summed += Number(e, "ms") is double ms ? ms / 1000 : 0;
                rows.Add(((int)step, loss, wall, summed, Number(e, "lr")));
            }
        }
        if (rows.Count == 0 && evals.Count == 0) throw new InvalidDataException($"{path}: no training or evaluation records in it.");
        // One clock for every point: the logged wall time if every line has it, else the summed step times.
        bool wallLogged = rows.Count > 0 && rows.All(r => r.Wall.HasValue);
        var train = rows.Select(r => new TrainPoint(r.Step, r.Loss, wallLogged ? r.Wall!.Value : r.Summed, r.Lr)).ToList();
        // A run evaluated at its last step twice (periodic, then final on the whole evaluation set): keep the final.
        evals = evals.GroupBy(e => e.Step).Select(g => g.Last()).OrderBy(e => e.Step).ToList();
        var evalPoints = evals.Select(v => new EvalPoint(v.Step, v.Val, v.Acc, wallLogged && v.Wall is double w ? w : WallAt(train, v.Step))).ToList();
        return new RunMetrics(name, train, evalPoints, wallLogged, skipped, msPerStep, peak);
    }

    /// <summary>The wall time at the train point of <paramref name="step"/> (or the nearest before it).</summary>
    private static double WallAt(List<TrainPoint> train, int step)
    {
        double w = 0;
        foreach (var p in train)
        {
            if (p.Step > step) break;
            w = p.WallSeconds;
        }
        return w;
    }

    /// <summary>A finite number (NaN and infinities come as strings or not at all), or null.</summary>
    private static double? Number(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        if (v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)) return d;
        return null;
    }
}
