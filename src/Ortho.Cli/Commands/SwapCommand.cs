using System.CommandLine;
using System.Globalization;
using Ortho.Activations;
using Ortho.Cli.Plotting;
using Ortho.Data;
using Ortho.Inference;
using Ortho.Surgery;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho swap MODEL --activation hermite:8 --fit gelu --out NEW</c>: replaces every GELU of a trained GPT or ConvNeXt
/// (a run directory, an Ortho model file, an imported GPT-2, a PyTorch state dict) by the learnable activation fitted to
/// it over each layer's own inputs, measured on a few training batches; prints each layer's input range and fit error
/// and writes the new model, which loads, evaluates, plots, exports and trains (<c>ortho train ... --init-from</c>)
/// like any other.
/// </summary>
internal static class SwapCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A run directory of 'ortho train', or a model file (model.safetensors, an imported GPT-2, a PyTorch state dict)." };
        var act = new Option<string>("--activation") { Description = "The learnable activation to put in: hermite:N, fourier:N, tropical:N, tropical_rational:N (hermite:N+clamp forces the clamp).", DefaultValueFactory = _ => "hermite:8" };
        var fit = new Option<string>("--fit") { Description = "The activation to replace and fit to: gelu (erf or tanh form, each layer fitted to its own), gelu_tanh, relu, silu, tanh, sigmoid.", DefaultValueFactory = _ => "gelu" };
        var output = new Option<string>("--out") { Description = "The model file to write.", Required = true };
        var clamp = new Option<string>("--clamp") { Description = "Hermite's soft clamp: auto (when a layer's measured range is wider than the polynomial fits well), on or off.", DefaultValueFactory = _ => "auto" };
        var data = DataCommand.DataDirOption("--data");
        var manifest = ViewOptions.ManifestOption();
        var noFetch = new Option<bool>("--no-fetch") { Description = "Do not download a missing or damaged data set; fail instead." };
        var batches = new Option<int>("--batches") { Description = "Training batches whose activation inputs the fits are weighted by (8 sequences or 64 images each).", DefaultValueFactory = _ => 4 };
        var plot = new Option<string?>("--plot") { Description = "Also draw each layer's fit over its input histogram into this directory (swap-fits.png and .svg)." };
        var json = new Option<bool>("--json") { Description = "Print the per-layer report as one JSON object instead of a table." };
        var threads = CommonOptions.Threads();
        var cmd = new Command("swap", "Replace the GELUs of a trained model by a learnable activation fitted to each layer's own inputs, ready to fine-tune.")
        {
            model, act, fit, output, clamp, data, manifest, noFetch, batches, plot, json, threads,
        };
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            var options = new SwapOptions
            {
                Activation = ActivationSpec.Parse(p.GetValue(act)!),
                Fit = p.GetValue(fit)!,
                Clamp = p.GetValue(clamp) switch
                {
                    "auto" => ClampMode.Auto,
                    "on" => ClampMode.On,
                    "off" => ClampMode.Off,
                    var other => throw new ArgumentException($"--clamp must be auto, on or off, got '{other}'."),
                },
            };
            options.Validate();
            int n = p.GetValue(batches);
            if (n < 1) throw new ArgumentException($"--batches must be at least 1, got {n}.");
            string outPath = p.GetValue(output)!;
            if (outPath.Length == 0) throw new ArgumentException("--out is empty.");
            if (Directory.Exists(outPath)) throw new ArgumentException($"--out {outPath} is a directory; give a file name, e.g. {Path.Combine(outPath, "swapped.safetensors")}.");
            var source = TrainedModel.Load(p.GetValue(model)!);
            if (source.Unknown.Count > 0)
                throw new ArgumentException($"{source.File} does not store its {string.Join(" and ", source.Unknown)}: write a complete model first with 'ortho convert' (giving them), then swap that.");
            if (source.Gpt == null && source.ConvNeXt == null)
                throw new ArgumentException($"{source.File}: swap knows GPT and ConvNeXt models, not {source.Model.GetType().Name}.");
            string root = Path.GetFullPath(p.GetValue(data) ?? DataDirectory.Resolve());
            string dir = ViewOptions.VerifiedData(source.Gpt != null ? DataSet.Brown : DataSet.FashionMnist, root, p.GetValue(manifest)!, !p.GetValue(noFetch));
            string dataRoot = Path.GetDirectoryName(dir)!;
            var result = ActivationSwap.Swap(source.Model, m => EvaluationData.Batches(m, dataRoot, n, training: true), options);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            ActivationSwap.Save(result, source, outPath);
            if (p.GetValue(json)) Console.WriteLine(ActivationSwap.ReportJson(result));
            else Print(source, result, n);
            if (p.GetValue(plot) is string plotDir)
            {
                Directory.CreateDirectory(plotDir);
                foreach (var f in SwapPlots.Fits(result).Save(Path.Combine(plotDir, "swap-fits"))) Console.WriteLine($"wrote {f}");
            }
            if (!p.GetValue(json)) Console.WriteLine(I($"Wrote {outPath} ({result.Activation}, {result.Model.ParameterCount():N0} parameters)."));
            return 0;
        });
        return cmd;
    }

    private static void Print(TrainedModel source, SwapResult r, int batches)
    {
        string from = string.Join("/", r.Layers.Select(l => l.Target.Name).Distinct());
        Console.WriteLine(I($"{source.Name}: {source.Description}"));
        Console.WriteLine(I($"{from} -> {r.Activation}: each layer fitted to f and f' weighted by its inputs on {batches} training batch(es)."));
        int width = Math.Max(8, r.Layers.Max(l => l.Module.Length));
        Console.WriteLine($"{"module".PadRight(width)}  {"inputs: min",11} {"0.1%",8} {"median",8} {"99.9%",8} {"max",8}   {"rms|f-g|",9} {"rms|f'-g'|",10} {"max|f-g|",9}  clamp");
        foreach (var l in r.Layers)
        {
            var s = l.Inputs;
            Console.WriteLine(I($"{l.Module.PadRight(width)}  {s.Min,11:F3} {s.Quantile(0.001),8:F3} {s.Quantile(0.5),8:F3} {s.Quantile(0.999),8:F3} {s.Max,8:F3}   {l.Errors.RmsError,9:E2} {l.Errors.RmsDerivativeError,10:E2} {l.Errors.MaxError,9:E2}  {(l.Clamped ? "yes" : "no")}"));
        }
        Console.WriteLine(r.ClampReason + ".");
        Console.WriteLine(I($"Outputs on those batches: RMS {r.OutputRms:G4}; changed by RMS {r.OutputChangeRms:G3} ({100 * r.OutputChangeRms / Math.Max(r.OutputRms, double.Epsilon):G3}%), at most {r.MaxOutputChange:G3}."));
    }

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
