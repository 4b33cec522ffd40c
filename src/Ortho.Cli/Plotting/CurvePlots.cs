using ScottPlot;

namespace Ortho.Cli.Plotting;

/// <summary>What the loss curves are drawn against.</summary>
internal enum CurveAxis
{
    /// <summary>Training steps.</summary>
    Steps,

    /// <summary>Wall-clock time since the run started.</summary>
    Time,
}

/// <summary>
/// Loss curves of one or more runs on one figure, TensorBoard style: the training loss raw (faint) and smoothed
/// (debiased exponential moving average), the validation loss as markers joined by a thin line, and for image runs
/// the test accuracy in a second panel; one colour per run.
/// </summary>
internal static class CurvePlots
{
    /// <summary>Builds the figure.</summary>
    /// <param name="runs">The runs' metrics (legend = their names).</param>
    /// <param name="axis">Steps or wall time on the x axis.</param>
    /// <param name="smoothing">EMA weight in [0, 1) for the smoothed training loss (0: none; null: <see cref="AutoSmoothing"/>).</param>
    public static Figure Build(IReadOnlyList<RunMetrics> runs, CurveAxis axis, double? smoothing = null)
    {
        if (runs.Count == 0) throw new ArgumentException("no runs to plot.", nameof(runs));
        double weight = smoothing ?? AutoSmoothing(runs);
        if (!(weight >= 0 && weight < 1)) throw new ArgumentException($"--smooth must be in [0, 1), got {weight}.");
        bool accuracy = runs.Any(r => r.HasAccuracy);
        var fig = new Figure(accuracy ? 2 : 1, 760, 480);
        var (scale, unit) = TimeUnit(axis == CurveAxis.Time ? runs.SelectMany(r => r.Train.Select(p => p.WallSeconds)).DefaultIfEmpty(0).Max() : 0);
        string xLabel = axis == CurveAxis.Steps ? "training step" :
            $"wall time ({unit}{(runs.All(r => r.WallTimeLogged) ? "" : "; summed step times where the log has no wall_s")})";
        double X(int step, double wall) => axis == CurveAxis.Steps ? step : wall / scale;

        var loss = fig.Add();
        loss.Title(runs.Count == 1 ? $"{runs[0].Name}: loss" : "Loss");
        loss.XLabel(xLabel);
        loss.YLabel("cross-entropy (nats per token or image)");
        Plot? acc = null;
        if (accuracy)
        {
            acc = fig.Add();
            acc.Title("Test accuracy");
            acc.XLabel(xLabel);
            acc.YLabel("test accuracy (%)");
        }
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < runs.Count; i++)
        {
            var r = runs[i];
            var color = palette.GetColor(i);
            if (r.Train.Count > 0)
            {
                double[] xs = r.Train.Select(p => X(p.Step, p.WallSeconds)).ToArray(), ys = r.Train.Select(p => p.Loss).ToArray();
                if (weight > 0)
                {
                    var raw = loss.Add.ScatterLine(xs, ys, color.WithAlpha(0.25));
                    raw.LineWidth = 1;
                    ys = Smooth(ys, weight);
                }
                var line = loss.Add.ScatterLine(xs, ys, color);
                line.LineWidth = 2;
                line.LegendText = $"{r.Name} train";
            }
            var val = r.Evals.Where(e => e.ValLoss.HasValue).ToList();
            if (val.Count > 0)
            {
                var v = loss.Add.Scatter(val.Select(e => X(e.Step, e.WallSeconds)).ToArray(), val.Select(e => e.ValLoss!.Value).ToArray(), color);
                v.LineWidth = 1f;
                v.MarkerShape = MarkerShape.FilledCircle;
                v.MarkerSize = 7;
                v.LegendText = $"{r.Name} validation";
            }
            var test = r.Evals.Where(e => e.TestAccuracy.HasValue).ToList();
            if (acc != null && test.Count > 0)
            {
                var a = acc.Add.Scatter(test.Select(e => X(e.Step, e.WallSeconds)).ToArray(), test.Select(e => 100 * e.TestAccuracy!.Value).ToArray(), color);
                a.LineWidth = 1.5f;
                a.MarkerShape = MarkerShape.FilledSquare;
                a.MarkerSize = 7;
                a.LegendText = r.Name;
            }
        }
        loss.ShowLegend(Alignment.UpperRight);
        acc?.ShowLegend(Alignment.LowerRight);
        return fig;
    }

    /// <summary>
    /// A smoothing weight for the longest run's length: 1 - 50/steps within [0, 0.95] (600 steps: 0.92; 50 steps or
    /// fewer: none), so that the average spans about 2% of the run and short runs are not flattened into a lagging line.
    /// </summary>
    public static double AutoSmoothing(IReadOnlyList<RunMetrics> runs) =>
        Math.Clamp(1 - 50.0 / Math.Max(1, runs.Max(r => r.Train.Count)), 0, 0.95);

    /// <summary>TensorBoard's smoothing: an exponential moving average divided by (1 - weight^n) so that it starts unbiased.</summary>
    public static double[] Smooth(IReadOnlyList<double> y, double weight)
    {
        var s = new double[y.Count];
        double last = 0, decay = 1;
        for (int i = 0; i < y.Count; i++)
        {
            last = last * weight + (1 - weight) * y[i];
            decay *= weight;
            s[i] = last / (1 - decay);
        }
        return s;
    }

    /// <summary>Seconds, minutes or hours, whichever keeps the axis numbers short.</summary>
    private static (double Scale, string Unit) TimeUnit(double maxSeconds) =>
        maxSeconds >= 3 * 3600 ? (3600, "h") : maxSeconds >= 300 ? (60, "min") : (1, "s");
}
