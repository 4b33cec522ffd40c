using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Ortho.Activations;
using Ortho.Cli.Plotting;
using Ortho.Inference;

namespace Ortho.Cli.Report;

/// <summary>One run in a report: the model and, when its directory has one, its metrics log.</summary>
internal sealed record ReportRun(string Name, TrainedModel Model, RunMetrics? Metrics, ActivationSet Activations);

/// <summary>
/// A self-contained HTML page about one or more runs: a side-by-side table, loss curves, the learned activations
/// (pictures as data: URIs, so the file needs nothing else and no network), and per run its final numbers, every
/// learnable activation's moments and gains (as <c>ortho inspect</c> prints them) and its configuration.
/// </summary>
internal static class HtmlReport
{
    /// <summary>What the page shows besides the runs.</summary>
    /// <param name="Plot">Range and reference of the activation pictures.</param>
    /// <param name="Sigma">Input standard deviation of the moments and gains.</param>
    /// <param name="Smoothing">EMA weight of the smoothed training loss (null: <see cref="CurvePlots.AutoSmoothing"/>).</param>
    public sealed record Options(ActivationPlotOptions Plot, double Sigma = 1, double? Smoothing = null);

    /// <summary>The page.</summary>
    public static string Build(IReadOnlyList<ReportRun> runs, Options o)
    {
        if (runs.Count == 0) throw new ArgumentException("no runs to report on.");
        var h = new StringBuilder();
        string title = "Ortho report: " + string.Join(", ", runs.Select(r => r.Name));
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.Append($"<title>{E(title)}</title>\n<style>{Css}</style>\n</head>\n<body>\n");
        h.Append($"<h1>{E(title)}</h1>\n");
        h.Append(I($"<p class=\"meta\">{runs.Count} run{(runs.Count == 1 ? "" : "s")}; written {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC by ortho {E(BuildInfo.Version)} (commit {E(BuildInfo.Commit)}).</p>\n"));
        h.Append("<nav>");
        if (runs.Count > 1) h.Append("<a href=\"#comparison\">Comparison</a> · ");
        h.Append("<a href=\"#curves\">Loss curves</a> · <a href=\"#activations\">Activations</a> · ");
        h.Append(string.Join(" · ", runs.Select((r, i) => $"<a href=\"#run-{i}\">{E(r.Name)}</a>")));
        h.Append("</nav>\n");

        if (runs.Count > 1) Comparison(h, runs);
        Curves(h, runs, o);
        ActivationFigure(h, runs, o);
        for (int i = 0; i < runs.Count; i++) Run(h, runs[i], i, o);

        h.Append("<script>\n").Append(CheckScript).Append("</script>\n</body>\n</html>\n");
        return h.ToString();
    }

    private static void Comparison(StringBuilder h, IReadOnlyList<ReportRun> runs)
    {
        h.Append("<section id=\"comparison\">\n<h2>Comparison</h2>\n<table class=\"grid\">\n<tr><th></th>");
        foreach (var r in runs) h.Append($"<th>{E(r.Name)}</th>");
        h.Append("</tr>\n");
        var rows = runs.Select(Summary).ToList();
        foreach (var key in rows.SelectMany(r => r.Select(kv => kv.Key)).Distinct())
        {
            h.Append($"<tr><th>{E(key)}</th>");
            foreach (var r in rows) h.Append($"<td>{E(r.FirstOrDefault(kv => kv.Key == key).Value ?? "–")}</td>");
            h.Append("</tr>\n");
        }
        h.Append("</table>\n</section>\n");
    }

    /// <summary>The run's headline numbers, in display order.</summary>
    private static List<KeyValuePair<string, string>> Summary(ReportRun r)
    {
        var s = new List<KeyValuePair<string, string>>();
        void Add(string k, string v) => s.Add(new(k, v));
        var m = r.Model;
        Add("model", m.Description);
        Add("activation", m.Gpt?.Config.Activation ?? m.ConvNeXt?.Config.Activation ?? "–");
        Add("parameters", m.Model.ParameterCount().ToString("N0", CultureInfo.InvariantCulture));
        if (r.Metrics is { } x)
        {
            if (x.Train.Count > 0)
            {
                Add("steps", I($"{x.Train[^1].Step}"));
                Add("train loss (last step)", F(x.Train[^1].Loss));
                Add("train loss (mean of last 10 steps)", F(x.Train.TakeLast(10).Average(p => p.Loss)));
                Add(x.WallTimeLogged ? "wall time" : "training time (sum of steps)", Duration(x.Train[^1].WallSeconds));
            }
            if (x.LastValidation is { } v) Add("validation loss", I($"{F(v.ValLoss!.Value)} (step {v.Step})"));
            if (x.LastAccuracy is { } a) Add("test accuracy", I($"{100 * a.TestAccuracy!.Value:F2}% (step {a.Step})"));
            if (x.MeanMsPerStep is double ms) Add("ms per step", I($"{ms:F1}"));
            if (x.PeakMb is double mb) Add("peak memory", I($"{mb:F0} MiB"));
        }
        else Add("metrics", "no metrics.jsonl");
        return s;
    }

    private static void Curves(StringBuilder h, IReadOnlyList<ReportRun> runs, Options o)
    {
        h.Append("<section id=\"curves\">\n<h2>Loss curves</h2>\n");
        var withMetrics = runs.Where(r => r.Metrics != null).Select(r => r.Metrics!).ToList();
        if (withMetrics.Count == 0)
        {
            h.Append("<p>No run has a metrics.jsonl.</p>\n</section>\n");
            return;
        }
        h.Append(I($"<p>Training loss per step (faint) and smoothed (EMA weight {o.Smoothing ?? CurvePlots.AutoSmoothing(withMetrics):G2}); validation loss as dots; cross-entropy in nats per token (per image for image runs).</p>\n"));
        Image(h, CurvePlots.Build(withMetrics, CurveAxis.Steps, o.Smoothing), "loss curves against training steps");
        if (withMetrics.Any(m => m.Train.Count > 1))
            Image(h, CurvePlots.Build(withMetrics, CurveAxis.Time, o.Smoothing), "loss curves against wall time");
        h.Append("</section>\n");
    }

    private static void ActivationFigure(StringBuilder h, IReadOnlyList<ReportRun> runs, Options o)
    {
        h.Append("<section id=\"activations\">\n<h2>Activations</h2>\n");
        var sets = runs.Select(r => r.Activations).Where(s => s.Activations.Count > 0).ToList();
        if (sets.Count == 0)
        {
            h.Append("<p>No run has learnable activations.</p>\n</section>\n");
            return;
        }
        string band = sets.Any(s => s.Inputs != null) ? (sets.Count > 1 ? "the central 95%" : "the central 68% and 95%") + " of the inputs each activation received on held-out data" : I($"N(0, {o.Plot.Sigma:G3}²)'s one- and two-sigma bands");
        string reference = o.Plot.Reference is { } r ? $", beside {E(r.Name.ToUpperInvariant())} (thin grey)" : "";
        string range = o.Plot.FitInputs ? "over each activation's input range" : I($"on [{o.Plot.Lo:G4}, {o.Plot.Hi:G4}]");
        h.Append(I($"<p>f(x) and f'(x) {range}{reference}; shaded: {band}.</p>\n"));
        Image(h, ActivationPlots.Grid(sets, o.Plot), "learned activations and their derivatives");
        h.Append("</section>\n");
    }

    private static void Run(StringBuilder h, ReportRun r, int index, Options o)
    {
        h.Append($"<section id=\"run-{index}\">\n<h2>{E(r.Name)}</h2>\n<p class=\"meta\">{E(r.Model.File)}</p>\n<table class=\"kv\">\n");
        foreach (var (k, v) in Summary(r)) h.Append($"<tr><th>{E(k)}</th><td>{E(v)}</td></tr>\n");
        h.Append("</table>\n");

        var acts = r.Activations.Activations;
        if (acts.Count > 0)
        {
            h.Append("<h3>Learnable activations</h3>\n");
            h.Append(I($"<p>Moments under x ~ N(0, {o.Sigma * o.Sigma:G4}); gains: forward Var[x]/E[f²], backward Var[x]/E[f'²] (as <code>ortho inspect</code> prints them).</p>\n"));
            bool inputs = r.Activations.Inputs != null;
            h.Append("<table class=\"grid\">\n<tr><th>module</th><th>activation</th><th>E[f]</th><th>E[f²]</th><th>E[f'²]</th><th>forward gain</th><th>backward gain</th>");
            if (inputs) h.Append("<th>inputs: mean ± std</th><th>inputs: 2.5% – 97.5%</th>");
            h.Append("<th>parameters</th></tr>\n");
            foreach (var (module, act) in acts)
            {
                var m = act.Moments(o.Sigma);
                h.Append($"<tr><td><code>{E(module)}</code></td><td>{E(act.Spec.ToString())}</td><td>{F(m.Mean)}</td><td>{F(m.SecondMoment)}</td><td>{F(m.DerivativeSecondMoment)}</td><td>{F(m.ForwardGain)}</td><td>{F(m.BackwardGain)}</td>");
                if (inputs)
                {
                    if (r.Activations.Inputs!.TryGetValue(module, out var s))
                        h.Append(I($"<td>{F(s.Mean)} ± {F(s.Std)}</td><td>{F(s.Quantile(0.025))} – {F(s.Quantile(0.975))}</td>"));
                    else h.Append("<td>–</td><td>–</td>");
                }
                h.Append("<td class=\"params\">");
                h.Append(string.Join("<br>", act.NamedParameters().Select(p =>
                    $"{E(p.Name)} = [{E(string.Join(", ", p.Parameter.ToArray().Select(v => v.ToString("G5", CultureInfo.InvariantCulture))))}]")));
                h.Append("</td></tr>\n");
            }
            h.Append("</table>\n");
        }
        h.Append($"<h3>Configuration</h3>\n<p>{E(r.Model.Description)}</p>\n");
        if (r.Model.ConfigJson is { } config)
        {
            h.Append("<table class=\"kv\">\n");
            foreach (var (k, v) in FlattenConfig(config)) h.Append($"<tr><th>{E(k)}</th><td><code>{E(v)}</code></td></tr>\n");
            h.Append("</table>\n");
        }
        h.Append("</section>\n");
    }

    /// <summary>The config JSON as dotted keys and values.</summary>
    internal static List<(string Key, string Value)> FlattenConfig(string json)
    {
        var list = new List<(string, string)>();
        using var doc = JsonDocument.Parse(json);
        void Walk(JsonElement e, string prefix)
        {
            if (e.ValueKind == JsonValueKind.Object)
                foreach (var p in e.EnumerateObject()) Walk(p.Value, prefix.Length == 0 ? p.Name : prefix + "." + p.Name);
            else list.Add((prefix, e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()));
        }
        Walk(doc.RootElement, "");
        return list;
    }

    private static void Image(StringBuilder h, Figure figure, string alt)
    {
        string svg = Convert.ToBase64String(Encoding.UTF8.GetBytes(figure.Svg()));
        h.Append(I($"<figure><img alt=\"{E(alt)}\" width=\"{figure.Width}\" height=\"{figure.Height}\" src=\"data:image/svg+xml;base64,{svg}\"></figure>\n"));
    }

    private static string Duration(double seconds) =>
        seconds >= 3600 ? I($"{seconds / 3600:F2} h") : seconds >= 60 ? I($"{seconds / 60:F1} min") : I($"{seconds:F1} s");

    private static string F(double v) => v.ToString("G5", CultureInfo.InvariantCulture);

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private const string Css = """
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 24px auto; max-width: 1180px; color: #1d1d1f; padding: 0 12px; }
        h1 { font-size: 26px; margin-bottom: 4px; } h2 { font-size: 21px; margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; } h3 { font-size: 17px; }
        .meta { color: #666; font-size: 13px; } nav { font-size: 14px; margin: 8px 0 16px; } a { color: #1f5fa8; }
        table { border-collapse: collapse; font-size: 13px; margin: 8px 0; } th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
        table.grid th { background: #f4f5f7; } table.kv th { background: #f8f8f8; font-weight: 600; white-space: nowrap; }
        td.params { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11px; max-width: 420px; word-break: break-all; }
        figure { margin: 12px 0; } img { max-width: 100%; height: auto; border: 1px solid #eee; }
        code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
        """;

    // Marks the page once every picture has decoded, so a headless browser can check it rendered.
    private const string CheckScript = """
        window.addEventListener('load', function () {
          var bad = 0;
          for (var i = 0; i < document.images.length; i++) {
            var im = document.images[i];
            if (!im.complete || im.naturalWidth === 0) bad++;
          }
          document.body.setAttribute('data-check', bad === 0 ? 'ok' : 'broken-images-' + bad);
        });

        """;
}
