using System.Globalization;
using Ortho.Activations;
using Ortho.Surgery;
using ScottPlot;

namespace Ortho.Cli.Plotting;

/// <summary>
/// Pictures of a swap (<see cref="ActivationSwap"/>): a row per layer with the fitted f against the function it replaced,
/// the same for f', and the errors f - g and f' - g'; each over the layer's measured input range, with the layer's
/// input histogram (the fit's weights) filled behind on the right axis.
/// </summary>
internal static class SwapPlots
{
    private const int Points = 401, Bins = 120;

    /// <summary>One figure, a row of three panels per swapped layer.</summary>
    public static Figure Fits(SwapResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var fig = new Figure(3, 520, 340);
        foreach (var layer in result.Layers) AddLayer(fig, layer, result.Activation);
        return fig;
    }

    private static void AddLayer(Figure fig, LayerSwap layer, ActivationSpec spec)
    {
        double lo = layer.Inputs.Min, hi = layer.Inputs.Max;
        if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
        var xs = Enumerable.Range(0, Points).Select(i => lo + (hi - lo) * i / (Points - 1)).ToArray();
        var f = new double[Points];
        var d = new double[Points];
        for (int i = 0; i < Points; i++) f[i] = ActivationKernels.Evaluate(layer.Parameters, xs[i], out d[i]);
        var g = xs.Select(layer.Target.Function).ToArray();
        var dg = xs.Select(layer.Target.Derivative).ToArray();
        string target = layer.Target.Name.ToUpperInvariant();

        var pf = Panel(fig, $"{layer.Module}: f(x)", "f(x)", lo, hi, layer);
        Line(pf, xs, g, Colors.Gray, target, 1.5f);
        Line(pf, xs, f, Colors.C0, spec.ToString(), 2.2f);
        var pd = Panel(fig, $"{layer.Module}: f'(x)", "f'(x)", lo, hi, layer);
        Line(pd, xs, dg, Colors.Gray, target + "'", 1.5f);
        Line(pd, xs, d, Colors.C0, spec + "'", 2.2f);
        var pe = Panel(fig, I($"error: weighted rms {layer.Errors.RmsError:G2} (f), {layer.Errors.RmsDerivativeError:G2} (f')"), "fit - target", lo, hi, layer);
        Line(pe, xs, xs.Select((_, i) => f[i] - g[i]).ToArray(), Colors.C0, "f - g", 2f);
        Line(pe, xs, xs.Select((_, i) => d[i] - dg[i]).ToArray(), Colors.C1, "f' - g'", 2f);
        foreach (var p in new[] { pf, pd, pe }) p.ShowLegend(Alignment.UpperLeft);
    }

    // A panel over [lo, hi] with the layer's input histogram filled behind, on the right axis.
    private static Plot Panel(Figure fig, string title, string yLabel, double lo, double hi, LayerSwap layer)
    {
        var p = fig.Add();
        p.Title(title);
        p.XLabel("x (activation input)");
        p.YLabel(yLabel);
        p.Axes.SetLimitsX(lo, hi);
        var w = layer.Inputs.Histogram(lo, hi, Bins);
        double step = (hi - lo) / (Bins - 1);
        var centers = Enumerable.Range(0, Bins).Select(i => lo + i * step).ToArray();
        var fill = p.Add.FillY(centers, new double[Bins], w.Select(v => v / step).ToArray());
        fill.Axes.YAxis = p.Axes.Right;
        fill.FillStyle.Color = Colors.SteelBlue.WithAlpha(0.18);
        fill.LineStyle.Width = 0;
        fill.LegendText = "inputs (density)";
        p.Axes.Right.Label.Text = "input density";
        return p;
    }

    private static void Line(Plot p, double[] xs, double[] ys, ScottPlot.Color color, string label, float width)
    {
        var s = p.Add.ScatterLine(xs, ys, color);
        s.LineWidth = width;
        s.LegendText = label;
    }

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
