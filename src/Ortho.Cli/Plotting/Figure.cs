using ScottPlot;
using SkiaSharp;

namespace Ortho.Cli.Plotting;

/// <summary>
/// Several ScottPlot plots laid out in a grid (row-major, equal cells) and written as one picture: PNG and SVG
/// files, or SVG text for an HTML page.
/// </summary>
internal sealed class Figure(int columns, int cellWidth, int cellHeight)
{
    private readonly List<Plot> _panels = [];

    /// <summary>Columns of the grid.</summary>
    public int Columns { get; } = columns;

    /// <summary>Width of the picture in pixels.</summary>
    public int Width => Columns * cellWidth;

    /// <summary>Height of the picture in pixels.</summary>
    public int Height => Math.Max(1, (_panels.Count + Columns - 1) / Columns) * cellHeight;

    /// <summary>The panels, row-major.</summary>
    public IReadOnlyList<Plot> Panels => _panels;

    /// <summary>Adds an empty panel with Ortho's style and returns it.</summary>
    public Plot Add()
    {
        var p = new Plot();
        p.RenderManager.ClearCanvasBeforeEachRender = false; // the panels share one canvas
        if (SansFont is { } font) p.Font.Set(font);
        p.Axes.Title.Label.FontSize = 15;
        p.Axes.Bottom.Label.FontSize = 13;
        p.Axes.Left.Label.FontSize = 13;
        p.Legend.FontSize = 11;
        _panels.Add(p);
        return p;
    }

    // A sans-serif family that is installed, for labels that read at a glance (ScottPlot's fallback is a serif).
    private static readonly string? SansFont = new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica" }
        .FirstOrDefault(f => SKFontManager.Default.GetFontFamilies().Contains(f));

    /// <summary>Writes <paramref name="stem"/>.png and <paramref name="stem"/>.svg; returns their paths.</summary>
    public IReadOnlyList<string> Save(string stem)
    {
        string png = stem + ".png", svg = stem + ".svg";
        File.WriteAllBytes(png, Png());
        File.WriteAllText(svg, Svg());
        return [png, svg];
    }

    /// <summary>The picture as PNG bytes.</summary>
    public byte[] Png()
    {
        using var surface = SKSurface.Create(new SKImageInfo(Width, Height)) ?? throw new InvalidOperationException($"could not make a {Width}x{Height} picture.");
        Render(surface.Canvas);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The picture as SVG text.</summary>
    public string Svg()
    {
        using var stream = new MemoryStream();
        using (var canvas = SKSvgCanvas.Create(SKRect.Create(Width, Height), stream)) Render(canvas);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private void Render(SKCanvas canvas)
    {
        canvas.Clear(SKColors.White);
        for (int i = 0; i < _panels.Count; i++)
        {
            float x = i % Columns * cellWidth, y = i / Columns * cellHeight;
            _panels[i].Render(canvas, new PixelRect(x, x + cellWidth, y + cellHeight, y));
        }
    }
}
