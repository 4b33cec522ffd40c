using System.CommandLine;
using Ortho.Cli.Plotting;
using Ortho.Cli.Report;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho report RUN... --out report.html</c>: one self-contained HTML page (pictures inlined, no network) with the
/// runs' configurations, final numbers, loss curves, learned activations with their moments and gains, and a
/// side-by-side table when several runs are given.
/// </summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "Run directories of 'ortho train' (or model files).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "The HTML file to write.", DefaultValueFactory = _ => "report.html" };
        var view = new ViewOptions();
        var cmd = new Command("report", "Write one self-contained HTML page about runs: configs, final numbers, loss curves, learned activations with moments and gains.")
        {
            runs, output,
        };
        view.AddTo(cmd);
        cmd.SetAction(p =>
        {
            view.ApplyThreads(p);
            var paths = p.GetValue(runs)!;
            var options = new HtmlReport.Options(view.Plot(p), view.Sigma(p), view.Smoothing(p));
            var models = RunLoader.Models(paths);
            var names = RunLoader.Names(models.Select(m => m.Name).ToList(), paths);
            var sets = view.Activations(p, models, names);
            var reportRuns = models.Select((m, i) => new ReportRun(names[i], m, m.MetricsPath is { } mp ? RunMetrics.Read(mp, names[i]) : null, sets[i])).ToList();
            string html = HtmlReport.Build(reportRuns, options);
            string file = p.GetValue(output)!;
            if (Path.GetDirectoryName(Path.GetFullPath(file)) is { } dir) Directory.CreateDirectory(dir);
            IO.AtomicFile.WriteAllText(file, html);
            Console.WriteLine($"wrote {file} ({html.Length / 1024.0:F0} KiB, {reportRuns.Count} run{(reportRuns.Count == 1 ? "" : "s")})");
            return 0;
        });
        return cmd;
    }
}
