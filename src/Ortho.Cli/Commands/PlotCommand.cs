using System.CommandLine;
using Ortho.Cli.Plotting;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho plot RUN...</c>: every learnable activation of the models, f and f' against a reference over a range with
/// the inputs' band shaded, several runs overlaid (PNG and SVG); <c>ortho plot --curves RUN...</c>: their training and
/// validation loss (and test accuracy) against steps or wall time.
/// </summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "Run directories of 'ortho train' (or model files; for --curves, run directories or metrics.jsonl files).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Directory for the pictures.", DefaultValueFactory = _ => "plots" };
        var curves = new Option<bool>("--curves") { Description = "Plot loss curves (train raw + smoothed, validation, test accuracy) instead of activations." };
        var x = new Option<string>("--x") { Description = "Loss curves against 'steps' or wall 'time'.", DefaultValueFactory = _ => "steps" };
        var layout = new Option<string>("--layout") { Description = "'grid': one figure with a row per activation; 'per-layer': one figure per activation.", DefaultValueFactory = _ => "grid" };
        var view = new ViewOptions();
        var cmd = new Command("plot", "Plot what a run learned: its activations (f, f' against GELU; inputs' band shaded) or, with --curves, its loss curves.")
        {
            runs, output, curves, x, layout,
        };
        view.AddTo(cmd);
        cmd.SetAction(p =>
        {
            view.ApplyThreads(p);
            var paths = p.GetValue(runs)!;
            string dir = p.GetValue(output)!;
            IReadOnlyList<string> files;
            if (p.GetValue(curves))
            {
                var axis = p.GetValue(x) switch
                {
                    "steps" => CurveAxis.Steps,
                    "time" => CurveAxis.Time,
                    var other => throw new ArgumentException($"--x must be steps or time, got '{other}'."),
                };
                var names = RunLoader.Names(paths.Select(RunLoader.RunName).ToList(), paths);
                var metrics = paths.Select((path, i) => RunLoader.Metrics(path, names[i])).ToList();
                foreach (var m in metrics.Where(m => m.SkippedLines > 0))
                    Console.Error.WriteLine($"ortho: {m.Name}: skipped {m.SkippedLines} line(s) of metrics.jsonl that are not metrics records.");
                var figure = CurvePlots.Build(metrics, axis, view.Smoothing(p));
                Directory.CreateDirectory(dir);
                files = figure.Save(Path.Combine(dir, axis == CurveAxis.Steps ? "curves-steps" : "curves-time"));
            }
            else
            {
                string lay = p.GetValue(layout)!;
                if (lay is not ("grid" or "per-layer")) throw new ArgumentException($"--layout must be grid or per-layer, got '{lay}'.");
                var options = view.Plot(p);
                var models = RunLoader.Models(paths);
                var names = RunLoader.Names(models.Select(m => m.Name).ToList(), paths);
                var sets = view.Activations(p, models, names);
                var empty = sets.Where(s => s.Activations.Count == 0).Select(s => s.Run).ToList();
                if (empty.Count == sets.Count) throw new ArgumentException($"{string.Join(", ", empty)}: no learnable activations to plot (a model with gelu/relu/... has none); try --curves.");
                foreach (var e in empty) Console.Error.WriteLine($"ortho: {e} has no learnable activations; it is left out of the activation plots.");
                Directory.CreateDirectory(dir);
                files = lay == "grid"
                    ? ActivationPlots.Grid(sets, options).Save(Path.Combine(dir, "activations"))
                    : ActivationPlots.PerLayer(sets, options).SelectMany(f => f.Figure.Save(Path.Combine(dir, "activation-" + FileSafe(f.Module)))).ToList();
            }
            foreach (var f in files) Console.WriteLine($"wrote {f}");
            return 0;
        });
        return cmd;
    }

    private static string FileSafe(string module) => string.Concat(module.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
}
