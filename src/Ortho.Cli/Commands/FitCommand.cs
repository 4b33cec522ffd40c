using System.CommandLine;
using System.Globalization;
using Ortho.Activations;
using Ortho.IO;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho fit --activation hermite:8 --target gelu</c>: fits a learnable activation to a classical one (matching f
/// and f'), prints the error report and the parameters, and optionally saves them as safetensors.
/// </summary>
internal static class FitCommand
{
    public static Command Create()
    {
        var act = new Option<string>("--activation") { Description = "The learnable activation to fit (e.g. hermite:8).", DefaultValueFactory = _ => "hermite:8" };
        var target = new Option<string>("--target") { Description = "gelu, gelu_tanh, relu, silu, tanh or sigmoid.", DefaultValueFactory = _ => "gelu" };
        var lo = new Option<double>("--lo") { Description = "Left end of the range.", DefaultValueFactory = _ => -3 };
        var hi = new Option<double>("--hi") { Description = "Right end of the range.", DefaultValueFactory = _ => 3 };
        var weighting = new Option<string>("--weighting") { Description = "uniform or gaussian (N(0,1) density).", DefaultValueFactory = _ => "uniform" };
        var refine = new Option<bool>("--refine") { Description = "Fourier: also refine the frequencies (Levenberg-Marquardt)." };
        var output = new Option<string?>("--out") { Description = "Write the fitted parameters to this safetensors file." };
        var cmd = new Command("fit", "Fit a learnable activation to a classical one (function and derivative).") { act, target, lo, hi, weighting, refine, output };
        cmd.SetAction(p =>
        {
            var spec = ActivationSpec.Parse(p.GetValue(act)!);
            if (spec.Create(new Rng(0)) is not LearnableActivation module) throw new ArgumentException($"'{spec}' is not a learnable activation.");
            var w = p.GetValue(weighting) switch
            {
                "uniform" => FitWeighting.Uniform,
                "gaussian" => FitWeighting.Gaussian,
                var other => throw new ArgumentException($"--weighting must be uniform or gaussian, got '{other}'."),
            };
            double l = p.GetValue(lo), h = p.GetValue(hi);
            // Activations see inputs of order one; far wider ranges overflow the polynomials in float.
            if (!(double.IsFinite(l) && double.IsFinite(h) && l >= -MaxRange && h <= MaxRange && h - l >= 1e-3))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"--lo {l} and --hi {h} must be finite, within [-{MaxRange}, {MaxRange}], with --hi at least 0.001 above --lo."));
            if (p.GetValue(refine) && spec.Kind != "fourier")
                throw new ArgumentException($"--refine refines Fourier frequencies; {spec} has none (drop --refine).");
            if (p.GetValue(output) is string outPath) CheckOutput(outPath);
            var options = new FitOptions { Lo = l, Hi = h, Weighting = w, RefineFrequencies = p.GetValue(refine) };
            var fit = module.FitTo(FitTarget.Parse(p.GetValue(target)!), options);
            var r = fit.Report;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{spec} fitted to {fit.Target.Name} on [{options.Lo}, {options.Hi}] ({w}) in {r.Elapsed.TotalMilliseconds:F1} ms"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  max |f - g|   {r.MaxError:E3}   rms {r.RmsError:E3}   (float kernels: {r.MaxKernelError:E3})"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  max |f' - g'| {r.MaxDerivativeError:E3}   rms {r.RmsDerivativeError:E3}   (float kernels: {r.MaxKernelDerivativeError:E3})"));
            foreach (var (name, t) in module.NamedParameters())
                Console.WriteLine($"  {name} = [{string.Join(", ", t.ToArray().Select(v => v.ToString("G9", CultureInfo.InvariantCulture)))}]");
            if (p.GetValue(output) is string path)
            {
                StateDictFile.Save(module, path, [new("activation", spec.ToString()), new("fit_target", fit.Target.Name)]);
                Console.WriteLine($"Saved to {path} (keys as torchortho's state dict).");
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>Largest |x| of the fit range.</summary>
    private const double MaxRange = 100;

    /// <summary>Checks before fitting that <paramref name="path"/> can be written: not a directory, and its directory can be created and written.</summary>
    private static void CheckOutput(string path)
    {
        if (path.Length == 0) throw new ArgumentException("--out is empty.");
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new ArgumentException($"--out {path} is a directory; give a file name, e.g. {Path.Combine(path, "fit.safetensors")}.");
        string dir = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(dir);
            string probe = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.probe.tmp");
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--out {path} cannot be written: {Program.Sentence(e)}", e);
        }
    }
}
