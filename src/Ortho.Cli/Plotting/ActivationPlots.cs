using System.Globalization;
using Ortho.Activations;
using Ortho.Inference;
using ScottPlot;

namespace Ortho.Cli.Plotting;

/// <summary>The learnable activations of one model, with the input statistics recorded on data when there are some.</summary>
/// <param name="Run">The name in legends.</param>
/// <param name="Activations">Dotted module name and module, in model order.</param>
/// <param name="Inputs">Per module name, what it received on a few data batches; null when no data was run.</param>
internal sealed record ActivationSet(string Run, IReadOnlyList<(string Module, LearnableActivation Act)> Activations,
    IReadOnlyDictionary<string, ActivationInputStats>? Inputs);

/// <summary>What the activation pictures show.</summary>
/// <param name="Lo">Left end of the x range.</param>
/// <param name="Hi">Right end of the x range.</param>
/// <param name="Reference">The classical activation drawn for comparison, or null.</param>
/// <param name="Sigma">Standard deviation of the N(0, sigma^2) band shaded when no input statistics were recorded.</param>
/// <param name="FitInputs">Each module's x range from its recorded inputs (the central 99.8%, widened by a fifth) where there are some.</param>
internal sealed record ActivationPlotOptions(double Lo = -4, double Hi = 4, FitTarget? Reference = null, double Sigma = 1, bool FitInputs = false)
{
    /// <summary>Checks the range and sigma.</summary>
    public void Validate()
    {
        if (!double.IsFinite(Lo) || !double.IsFinite(Hi) || !(Lo < Hi)) throw new ArgumentException($"the x range must be finite with lo < hi, got [{Lo}, {Hi}].");
        if (!(Sigma > 0) || double.IsInfinity(Sigma)) throw new ArgumentException($"--sigma must be positive, got {Sigma}.");
    }
}

/// <summary>
/// Pictures of learned activations, as in the paper's figures: f(x) and f'(x) over a range, beside a classical
/// reference (thin grey), over a shaded band where the inputs actually fall (the measured central 68% and 95% of the
/// inputs when data was run through the model, only the 95% per run when several are overlaid; else N(0, sigma^2)'s
/// one- and two-sigma bands); several runs overlaid in distinct colours.
/// </summary>
internal static class ActivationPlots
{
    private const int Points = 801;

    /// <summary>Module names in the order they first appear across the sets.</summary>
    public static IReadOnlyList<string> Modules(IReadOnlyList<ActivationSet> sets) =>
        sets.SelectMany(s => s.Activations.Select(a => a.Module)).Distinct().ToList();

    /// <summary>One figure per module: f on the left, f' on the right.</summary>
    public static IReadOnlyList<(string Module, Figure Figure)> PerLayer(IReadOnlyList<ActivationSet> sets, ActivationPlotOptions options)
    {
        options.Validate();
        return Modules(sets).Select(m =>
        {
            var fig = new Figure(2, 620, 440);
            AddModule(fig, m, sets, options);
            return (m, fig);
        }).ToList();
    }

    /// <summary>All modules in one figure: a row per module, f and f' side by side.</summary>
    public static Figure Grid(IReadOnlyList<ActivationSet> sets, ActivationPlotOptions options)
    {
        options.Validate();
        var fig = new Figure(2, 560, 360);
        foreach (var m in Modules(sets)) AddModule(fig, m, sets, options);
        return fig;
    }

    private static void AddModule(Figure fig, string module, IReadOnlyList<ActivationSet> sets, ActivationPlotOptions o)
    {
        var present = sets.Select((s, i) => (Set: s, Color: i, Act: s.Activations.FirstOrDefault(a => a.Module == module).Act)).Where(x => x.Act != null).ToList();
        o = o.FitInputs ? InputRange(module, present.Select(p => p.Set), o) : o;
        string what = present.Select(p => p.Act.Spec.ToString()).Distinct().Count() == 1 ? $" ({present[0].Act.Spec})" : "";
        var f = fig.Add();
        var d = fig.Add();
        f.Title($"{module}{what}: f(x)");
        d.Title($"{module}{what}: f'(x)");
        foreach (var p in new[] { f, d })
        {
            p.XLabel("x (activation input)");
            p.Axes.SetLimitsX(o.Lo, o.Hi);
        }
        f.YLabel("f(x)");
        d.YLabel("f'(x)");

        Shade(f, d, present.Select(p => (p.Set, p.Color)).ToList(), module, o, named: sets.Count > 1);
        var xs = Enumerable.Range(0, Points).Select(i => o.Lo + (o.Hi - o.Lo) * i / (Points - 1)).ToArray();
        if (o.Reference is { } r)
        {
            Line(f, xs, xs.Select(r.Function).ToArray(), Colors.Gray, r.Name.ToUpperInvariant() + " (reference)", reference: true);
            Line(d, xs, xs.Select(r.Derivative).ToArray(), Colors.Gray, r.Name.ToUpperInvariant() + " (reference)", reference: true);
        }
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var (set, color, act) in present)
        {
            var ys = new double[xs.Length];
            var ds = new double[xs.Length];
            for (int i = 0; i < xs.Length; i++) ys[i] = act.Evaluate(xs[i], out ds[i]);
            string label = present.Count == 1 && sets.Count == 1 ? act.Spec.ToString() : set.Run;
            Line(f, xs, ys, palette.GetColor(color), label, reference: false);
            Line(d, xs, ds, palette.GetColor(color), label, reference: false);
        }
        f.ShowLegend(Alignment.UpperLeft);
        d.ShowLegend(Alignment.UpperLeft);
    }

    // The range that holds the module's recorded inputs in every run, or the given one where none were recorded.
    private static ActivationPlotOptions InputRange(string module, IEnumerable<ActivationSet> sets, ActivationPlotOptions o)
    {
        var stats = sets.Select(s => s.Inputs?.GetValueOrDefault(module)).OfType<ActivationInputStats>().ToList();
        if (stats.Count == 0) return o;
        double lo = stats.Min(s => s.Quantile(0.001)), hi = stats.Max(s => s.Quantile(0.999)), pad = Math.Max(0.1 * (hi - lo), 1e-3);
        return o with { Lo = lo - pad, Hi = hi + pad };
    }

    // The input band: measured central intervals per run, else N(0, sigma^2).
    private static void Shade(Plot f, Plot d, List<(ActivationSet Set, int Color)> sets, string module, ActivationPlotOptions o, bool named)
    {
        var palette = new ScottPlot.Palettes.Category10();
        bool any = false;
        foreach (var (set, color) in sets)
        {
            if (set.Inputs == null || !set.Inputs.TryGetValue(module, out var s)) continue;
            any = true;
            // One run: its 68% and 95% bands; several: each run's 95% band in its colour (more would be a blur).
            if (named) Band(f, d, s.Quantile(0.025), s.Quantile(0.975), palette.GetColor(color).WithAlpha(0.12), $"{set.Run} inputs, central 95%");
            else
            {
                Band(f, d, s.Quantile(0.025), s.Quantile(0.975), Colors.SteelBlue.WithAlpha(0.10), "inputs, central 95%");
                Band(f, d, s.Quantile(0.16), s.Quantile(0.84), Colors.SteelBlue.WithAlpha(0.14), "inputs, central 68%");
            }
        }
        if (any) return;
        string sigma = o.Sigma.ToString("G3", CultureInfo.InvariantCulture);
        Band(f, d, -2 * o.Sigma, 2 * o.Sigma, Colors.SteelBlue.WithAlpha(0.08), $"N(0, {sigma}²) ±2σ");
        Band(f, d, -o.Sigma, o.Sigma, Colors.SteelBlue.WithAlpha(0.12), $"N(0, {sigma}²) ±1σ");
    }

    private static void Band(Plot f, Plot d, double lo, double hi, ScottPlot.Color color, string label)
    {
        foreach (var p in new[] { f, d })
        {
            var span = p.Add.HorizontalSpan(lo, hi, color);
            span.LineWidth = 0;
            span.EnableAutoscale = false;
            if (p == f) span.LegendText = label;
        }
    }

    // No dash patterns: Skia's SVG backend cannot draw them (it draws solid lines and complains on the console).
    private static void Line(Plot p, double[] xs, double[] ys, ScottPlot.Color color, string label, bool reference)
    {
        var s = p.Add.ScatterLine(xs, ys, reference ? color.WithAlpha(0.8) : color);
        s.LineWidth = reference ? 1.5f : 2.2f;
        s.LegendText = label;
    }
}
