using Ortho.Analysis.Variance;
using ScottPlot;
using SkiaSharp;

namespace Ortho.Cli.Plotting;

/// <summary>
/// Second moments against depth (ScottPlot, PNG and SVG): one panel forward (E[x^2] at the activation's input for the
/// MLP, where it carries the whole stack's history; at its output for the GPT, whose activation input is set by a
/// LayerNorm and the same in every block), one backward (E[g^2] at the activation's input), one colour per activation,
/// measured as markers with a solid line, the closed-form prediction dashed; log scale (powers of ten on the axis).
/// </summary>
internal static class VariancePlots
{
    /// <summary>Writes <paramref name="stem"/>.png and .svg; returns their paths.</summary>
    public static IReadOnlyList<string> Depth(IReadOnlyList<VarianceProfile> profiles, string stem)
    {
        var first = profiles[0];
        string what = first.Model == "mlp"
            ? $"MLP {first.Settings["depth"]} x {first.Settings["width"]}, {first.Settings["weights"]} weights"
            : $"GPT {first.Settings["layers"]} blocks, embd {first.Settings["embd"]}";
        bool gpt = first.Model == "gpt";
        var forward = gpt
            ? Panel(profiles, "act_out", backward: false, $"forward: E[activation output^2], {what}")
            : Panel(profiles, "act_in", backward: false, $"forward: E[pre-activation^2], {what}");
        var backward = Panel(profiles, "act_in", backward: true, $"backward: E[grad wrt pre-activation^2], {what}");
        const int w = 700, h = 560;
        string png = stem + ".png", svg = stem + ".svg";
        if (Path.GetDirectoryName(Path.GetFullPath(png)) is string dir) Directory.CreateDirectory(dir);
        // Side by side: each panel rendered alone, then placed (a plot's render fills its whole canvas).
        using (var surface = SKSurface.Create(new SKImageInfo(2 * w, h)))
        {
            surface.Canvas.Clear(SKColors.White);
            foreach (var (plot, x) in new[] { (forward, 0), (backward, w) })
            {
                using var panel = SKImage.FromEncodedData(plot.GetImageBytes(w, h, ImageFormat.Png));
                surface.Canvas.DrawImage(panel, x, 0);
            }
            using var image = surface.Snapshot();
            using var encoded = image.Encode(SKEncodedImageFormat.Png, 100);
            using var file = File.Create(png);
            encoded.SaveTo(file);
        }
        var xml = new System.Text.StringBuilder();
        xml.Append(System.FormattableString.Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{2 * w}\" height=\"{h}\">\n"));
        foreach (var (plot, x) in new[] { (forward, 0), (backward, w) })
            xml.Append(System.FormattableString.Invariant($"<g transform=\"translate({x},0)\">\n")).Append(StripXmlDeclaration(plot.GetSvgXml(w, h))).Append("\n</g>\n");
        xml.Append("</svg>\n");
        File.WriteAllText(svg, xml.ToString());
        return [png, svg];
    }

    private static string StripXmlDeclaration(string svg) =>
        svg.StartsWith("<?xml", StringComparison.Ordinal) ? svg[(svg.IndexOf("?>", StringComparison.Ordinal) + 2)..] : svg;

    private static Plot Panel(IReadOnlyList<VarianceProfile> profiles, string site, bool backward, string title)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (int i = 0; i < profiles.Count; i++)
        {
            var color = palette.GetColor(i);
            var sites = profiles[i].At(site).ToList();
            var measured = Points(sites, s => (backward ? s.Backward : s.Forward).Value);
            var predicted = Points(sites, s => backward ? s.PredictedBackward ?? s.LocalBackward : s.PredictedForward ?? s.LocalForward);
            foreach (var (_, y) in measured.Concat(predicted)) { lo = Math.Min(lo, y); hi = Math.Max(hi, y); }
            string label = profiles[i].Activation + (profiles[i].Settings["init"] is string init && init != "default" ? $" (init {init})" : "");
            if (measured.Count < sites.Count) label += measured.Count == 0 ? " (overflow)" : $" (overflow after layer {measured.Count})";
            if (measured.Count > 0)
            {
                var m = plot.Add.Scatter(measured.Select(p => p.X).ToArray(), measured.Select(p => p.Y).ToArray(), color);
                m.MarkerSize = 5;
                m.LineWidth = 1.5f;
                m.LegendText = label;
            }
            if (predicted.Count > 0)
            {
                var q = plot.Add.Scatter(predicted.Select(p => p.X).ToArray(), predicted.Select(p => p.Y).ToArray(), color);
                q.MarkerSize = 0;
                q.LineWidth = 1.5f;
                q.LinePattern = LinePattern.Dashed;
                if (measured.Count == 0) q.LegendText = label;
            }
        }
        plot.Title(title, size: 13);
        plot.XLabel("layer");
        plot.YLabel(backward ? "E[g^2] (log scale; dashed: closed form)" : "E[x^2] (log scale; dashed: closed form)");
        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Abs(y) < 3 ? Math.Pow(10, y).ToString("G3", System.Globalization.CultureInfo.InvariantCulture) : $"1e{y:0}",
        };
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        if (double.IsFinite(lo)) plot.Axes.SetLimitsY(Math.Min(lo, 0) - 0.3, Math.Max(hi, 0) + 0.3); // 1 always in view
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    // (layer, log10 value) for the finite positive values.
    private static List<(double X, double Y)> Points(List<VarianceSite> sites, Func<VarianceSite, double?> value) =>
        sites.Select(s => (X: (double)s.Layer, V: value(s))).Where(p => p.V is double v && v > 0 && double.IsFinite(v))
            .Select(p => (p.X, Math.Log10(p.V!.Value))).ToList();
}
