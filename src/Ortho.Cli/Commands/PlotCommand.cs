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
        var smooth = new Option<double?>("--smooth") { Description = "EMA weight of the smoothed training loss, in [0, 1) (0: raw only; default: 1 - 50/steps, at most 0.95)." };
        var range = new Option<string>("--range") { Description = "x range of the activation plots: LO,HI, or 'inputs' for each activation's own input range (with --data).", DefaultValueFactory = _ => "-4,4" };
        var reference = new Option<string>("--reference") { Description = "Reference curve: gelu, gelu_tanh, relu, silu, tanh, sigmoid or none.", DefaultValueFactory = _ => "gelu" };
        var layout = new Option<string>("--layout") { Description = "'grid': one figure with a row per activation; 'per-layer': one figure per activation.", DefaultValueFactory = _ => "grid" };
        var sigma = new Option<double>("--sigma") { Description = "Shade N(0, sigma^2)'s one- and two-sigma bands when no --data is run.", DefaultValueFactory = _ => 1.0 };
        var data = RunLoader.DataOption();
        var batches = new Option<int>("--batches") { Description = "Held-out batches run with --data.", DefaultValueFactory = _ => 4 };
        var threads = CommonOptions.Threads();
        var cmd = new Command("plot", "Plot what a run learned: its activations (f, f' against GELU; inputs' band shaded) or, with --curves, its loss curves.")
        {
            runs, output, curves, x, smooth, range, reference, layout, sigma, data, batches, threads,
        };
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            var paths = p.GetValue(runs)!;
            string dir = p.GetValue(output)!;
            IReadOnlyList<string> files;
            if (p.GetValue(curves))
            {
                var axis = Axis(p.GetValue(x)!);
                var names = RunLoader.Names(paths.Select(RunLoader.RunName).ToList(), paths);
                var metrics = paths.Select((path, i) => RunLoader.Metrics(path, names[i])).ToList();
                foreach (var m in metrics.Where(m => m.SkippedLines > 0))
                    Console.Error.WriteLine($"ortho: {m.Name}: skipped {m.SkippedLines} line(s) of metrics.jsonl that are not metrics records.");
                Directory.CreateDirectory(dir);
                files = CurvePlots.Build(metrics, axis, p.GetValue(smooth)).Save(Path.Combine(dir, axis == CurveAxis.Steps ? "curves-steps" : "curves-time"));
            }
            else
            {
                string lay = p.GetValue(layout)!;
                if (lay is not ("grid" or "per-layer")) throw new ArgumentException($"--layout must be grid or per-layer, got '{lay}'.");
                var (lo, hi, fit) = RunLoader.Range(p.GetValue(range)!);
                var options = new ActivationPlotOptions(lo, hi, Reference(p.GetValue(reference)!), p.GetValue(sigma), fit);
                options.Validate();
                int n = p.GetValue(batches);
                if (n < 1) throw new ArgumentException($"--batches must be at least 1, got {n}.");
                var models = RunLoader.Models(paths);
                var names = RunLoader.Names(models.Select(m => m.Name).ToList(), paths);
                var sets = RunLoader.Activations(models, names, RunLoader.DataRoot(p, data), n);
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

    /// <summary><c>--x</c>: steps or time.</summary>
    public static CurveAxis Axis(string x) => x switch
    {
        "steps" => CurveAxis.Steps,
        "time" => CurveAxis.Time,
        _ => throw new ArgumentException($"--x must be steps or time, got '{x}'."),
    };

    /// <summary><c>--reference</c>: a classical activation or none.</summary>
    public static Activations.FitTarget? Reference(string name)
    {
        try { return RunLoader.Reference(name); }
        catch (ArgumentException) { throw new ArgumentException($"--reference must be one of gelu, gelu_tanh, relu, silu, tanh, sigmoid or none, got '{name}'."); }
    }

    private static string FileSafe(string module) => string.Concat(module.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
}
