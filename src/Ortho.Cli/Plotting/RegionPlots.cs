using Ortho.Analysis;
using ScottPlot;

namespace Ortho.Cli.Plotting;

/// <summary>
/// Pictures of linear regions (ScottPlot, PNG and SVG): a 2-D slice with every region filled as its exact polygon,
/// and a network output along a segment, drawn through its exact breakpoints (it is linear in between).
/// </summary>
internal static class RegionPlots
{
    /// <summary>The slice's regions in distinct colours; writes <paramref name="stem"/>.png and .svg.</summary>
    public static IReadOnlyList<string> Slice(SliceRegions slice, string title, string stem)
    {
        var plot = new Plot();
        // Golden-ratio hue steps give neighbouring indices very different colours.
        for (int i = 0; i < slice.Regions.Count; i++)
        {
            var v = slice.Regions[i].VerticesDouble();
            var poly = plot.Add.Polygon(v.Select(p => new Coordinates(p.U, p.V)).ToArray());
            poly.FillColor = Color.FromHSL((float)(i * 0.6180339887 % 1.0), 0.55f, 0.72f);
            poly.LineColor = Colors.Black.WithAlpha(0.35);
            poly.LineWidth = 0.5f;
        }
        plot.Title(title);
        plot.XLabel($"x{slice.DimU}");
        plot.YLabel($"x{slice.DimV}");
        plot.Axes.SetLimits(slice.URange.Lo, slice.URange.Hi, slice.VRange.Lo, slice.VRange.Hi);
        return Save(plot, stem, 800, 760);
    }

    /// <summary>Each output along the segment (t in [0, 1]) with the region boundaries; writes .png and .svg.</summary>
    public static IReadOnlyList<string> Line(LineRegions line, IReadOnlyList<double[]> outputsAtBreaks, string title, string stem)
    {
        var plot = new Plot();
        var ts = line.Boundaries.Select(b => b.ToDouble()).Prepend(0).Append(1).ToArray();
        foreach (var t in ts.Skip(1).SkipLast(1))
        {
            var vl = plot.Add.VerticalLine(t);
            vl.LineColor = Colors.Gray.WithAlpha(0.4);
            vl.LineWidth = 0.5f;
        }
        int outputs = outputsAtBreaks[0].Length;
        for (int o = 0; o < outputs; o++)
        {
            var sc = plot.Add.Scatter(ts, outputsAtBreaks.Select(y => y[o]).ToArray());
            sc.MarkerSize = 0;
            sc.LineWidth = 1.5f;
            sc.LegendText = $"output {o}";
        }
        plot.Title(title);
        plot.XLabel("t (position along the segment)");
        plot.YLabel("network output");
        return Save(plot, stem, 900, 500);
    }

    private static IReadOnlyList<string> Save(Plot plot, string stem, int width, int height)
    {
        string png = stem + ".png", svg = stem + ".svg";
        plot.SavePng(png, width, height);
        plot.SaveSvg(svg, width, height);
        return [png, svg];
    }
}
