using System.CommandLine;
using Ortho.Cli.Plotting;
using Ortho.Cli.Report;
using Ortho.Inference;

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
        var range = new Option<string>("--range") { Description = "x range of the activation plots: LO,HI, or 'inputs' for each activation's own input range (with --data).", DefaultValueFactory = _ => "-4,4" };
        var reference = new Option<string>("--reference") { Description = "Reference curve: gelu, gelu_tanh, relu, silu, tanh, sigmoid or none.", DefaultValueFactory = _ => "gelu" };
        var sigma = new Option<double>("--sigma") { Description = "Input standard deviation of the moments, gains and the shaded band.", DefaultValueFactory = _ => 1.0 };
        var smooth = new Option<double?>("--smooth") { Description = "EMA weight of the smoothed training loss, in [0, 1) (0: raw only; default: 1 - 50/steps, at most 0.95)." };
        var data = RunLoader.DataOption();
        var batches = new Option<int>("--batches") { Description = "Held-out batches run with --data.", DefaultValueFactory = _ => 4 };
        var threads = CommonOptions.Threads();
        var cmd = new Command("report", "Write one self-contained HTML page about runs: configs, final numbers, loss curves, learned activations with moments and gains.")
        {
            runs, output, range, reference, sigma, smooth, data, batches, threads,
        };
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            var paths = p.GetValue(runs)!;
            var (lo, hi, fit) = RunLoader.Range(p.GetValue(range)!);
            double s = p.GetValue(sigma);
            var plot = new ActivationPlotOptions(lo, hi, PlotCommand.Reference(p.GetValue(reference)!), s, fit);
            plot.Validate();
            int n = p.GetValue(batches);
            if (n < 1) throw new ArgumentException($"--batches must be at least 1, got {n}.");
            double? smoothing = p.GetValue(smooth);
            if (smoothing is double w && !(w >= 0 && w < 1)) throw new ArgumentException($"--smooth must be in [0, 1), got {w}.");
            var models = RunLoader.Models(paths);
            var names = RunLoader.Names(models.Select(m => m.Name).ToList(), paths);
            var sets = RunLoader.Activations(models, names, RunLoader.DataRoot(p, data), n);
            var reportRuns = models.Select((m, i) => new ReportRun(names[i], m, m.MetricsPath is { } mp ? RunMetrics.Read(mp, names[i]) : null, sets[i])).ToList();
            string html = HtmlReport.Build(reportRuns, new HtmlReport.Options(plot, s, smoothing));
            string file = p.GetValue(output)!;
            if (Path.GetDirectoryName(Path.GetFullPath(file)) is { } dir) Directory.CreateDirectory(dir);
            IO.AtomicFile.WriteAllText(file, html);
            Console.WriteLine($"wrote {file} ({html.Length / 1024.0:F0} KiB, {reportRuns.Count} run{(reportRuns.Count == 1 ? "" : "s")})");
            return 0;
        });
        return cmd;
    }
}
