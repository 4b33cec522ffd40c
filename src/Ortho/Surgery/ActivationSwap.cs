using System.Globalization;
using System.Text.Json;
using Ortho.Activations;
using Ortho.Inference;
using Ortho.IO;
using Ortho.Models;
using Ortho.NN;

namespace Ortho.Surgery;

/// <summary>
/// Model surgery: replaces every classic activation (GELU, in either form) of a trained GPT or ConvNeXt by a learnable
/// activation fitted to it, each layer over the distribution of its own inputs. The inputs are measured on a few data
/// batches (<see cref="ActivationInputs"/>); each layer's fit is the kind's weighted least squares on f and f'
/// (<see cref="ActivationFitter"/>) with the layer's input histogram over its measured range as the weights, so the
/// fit is tight where the layer's inputs actually fall. The result is a new model of the same sizes whose every other
/// weight is copied, ready to evaluate or fine-tune.
/// </summary>
public static class ActivationSwap
{
    private const string ClampOption = "clamp";

    /// <summary>The metadata key of the per-layer swap report in a file written by <see cref="Save"/>.</summary>
    public const string ReportKey = "swap";

    /// <summary>
    /// Swaps the activations of <paramref name="model"/> (unchanged) and returns the new model with a per-layer report.
    /// <paramref name="batches"/> gives the forward passes of a model (returning its outputs) on a few data batches: run
    /// on the original model to measure the inputs, then on both models to measure how much the outputs moved.
    /// </summary>
    /// <exception cref="ArgumentException">Bad options, a model other than GPT or ConvNeXt, or no activation of the kind to replace.</exception>
    /// <exception cref="InvalidOperationException">An activation took no part in the forward passes.</exception>
    public static SwapResult Swap(Module model, Func<Module, IReadOnlyList<Func<Tensor>>> batches, SwapOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (model is not (Gpt or ConvNeXt))
            throw new ArgumentException($"swap rebuilds GPT and ConvNeXt models; this is a {model.GetType().Name}.");
        var layers = model.NamedModules().Where(m => Replaces(m.Module, options.Fit)).Select(m => (m.Name, Target: TargetOf(m.Module))).ToList();
        if (layers.Count == 0)
            throw new ArgumentException($"the model has no {options.Fit} activation to swap: its activation is {ActivationOf(model)}.");

        var inputs = ActivationInputs.Record(model, batches(model), classic: true);
        var spec = options.Activation;
        var plain = spec.Family.WithOptions(spec.Family.Options.Where(o => o != ClampOption));
        bool clampable = plain.SupportedOptions.Contains(ClampOption);
        var clamped = clampable ? plain.WithOptions([.. plain.Options, ClampOption]) : null;
        bool forced = spec.Family.Options.Contains(ClampOption) || options.Clamp == ClampMode.On;
        bool both = options.Clamp == ClampMode.Auto && clampable && !forced;

        var fits = new List<LayerFits>();
        foreach (var (name, target) in layers)
        {
            if (!inputs.TryGetValue(name, out var s))
                throw new InvalidOperationException($"{name} took no part in the forward passes: its inputs cannot be measured.");
            var grid = Grid(target, s, options.GridSize);
            Fitted Fit(ActivationFamily f)
            {
                var p = ActivationFitter.Fit(f, spec.Degree, target, grid, options.FitOptions).Parameters;
                return new Fitted(p, grid.Errors(p));
            }
            fits.Add(new LayerFits(name, target, s, forced ? null : Fit(plain), forced || both ? Fit(clamped!) : null));
        }

        bool clamp = forced;
        string reason;
        if (forced) reason = "clamp applied: asked for";
        else if (!both)
            reason = options.Clamp == ClampMode.Off ? "no clamp: asked for none" : $"no clamp: {plain.Name} has none";
        else
        {
            double tol = options.ClampTolerance;
            var wide = fits.Where(f => f.Plain!.Errors.MaxError > tol).ToList();
            var helped = wide.Where(f => f.Clamped!.Errors.MaxError < f.Plain!.Errors.MaxError).ToList();
            clamp = helped.Count > 0;
            var worst = fits.MaxBy(f => f.Plain!.Errors.MaxError)!;
            reason = clamp
                ? Invariant($"clamp applied (to every layer: the model has one activation spec): the plain polynomial's largest error over the measured range exceeds {tol} in {string.Join(", ", helped.Select(f => Invariant($"{f.Name} ({f.Plain!.Errors.MaxError:G3}, clamped {f.Clamped!.Errors.MaxError:G3})")))}")
                : wide.Count > 0
                    ? Invariant($"no clamp: the plain polynomial's largest error over the measured range exceeds {tol} in {string.Join(", ", wide.Select(f => f.Name))}, but the clamped fit is no better there")
                    : Invariant($"no clamp: every layer's plain fit stays within {tol} of its target over the measured range (largest error {worst.Plain!.Errors.MaxError:G3}, {worst.Name})");
        }

        var finalSpec = new ActivationSpec(spec.Kind, spec.Degree, string.Join("+", (clamp ? clamped! : plain).Options));
        var swapped = Rebuild(model, finalSpec.ToString());
        var state = new Dictionary<string, Tensor>(model.StateDict());
        var reports = new List<LayerSwap>();
        foreach (var f in fits)
        {
            var (chosen, other) = clamp ? (f.Clamped!, f.Plain) : (f.Plain!, f.Clamped);
            var act = swapped.NamedModules().First(m => m.Name == f.Name).Module as LearnableActivation
                ?? throw new InvalidOperationException($"the rebuilt model has no learnable activation at {f.Name}.");
            act.Load(chosen.Parameters);
            foreach (var (key, t) in act.StateDict()) state[f.Name + "." + key] = t;
            reports.Add(new LayerSwap(f.Name, f.Target, f.Inputs, chosen.Errors, clamp, other?.Errors.MaxError, chosen.Parameters));
        }
        swapped.LoadStateDict(state);
        swapped.Eval();
        var (rms, change, max) = OutputChange(batches(model), batches(swapped));
        return new SwapResult(swapped, finalSpec, reports, reason, rms, change, max);
    }

    /// <summary>
    /// Writes the swapped model as an Ortho model file that loads, evaluates and trains like any other: the config of
    /// <paramref name="source"/> (its training recipe, when it came from <c>ortho train</c>; else the model's own) with
    /// the new activation, the weights, and the per-layer report under <see cref="ReportKey"/>.
    /// </summary>
    public static void Save(SwapResult result, TrainedModel source, string path)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(source);
        string spec = result.Activation.ToString();
        var metadata = source.LmRecipe is { } lm ? [new(ModelFile.ModelKey, "gpt"), new("config", (lm with { Activation = spec }).ToConfigJson())]
            : source.ImageRecipe is { } image ? [new(ModelFile.ModelKey, "convnext"), new("config", (image with { Model = image.Model with { Activation = spec } }).ToConfigJson())]
            : ModelFile.OrthoMetadata(result.Model).ToList();
        metadata.Add(new("swapped_from", Path.GetFileName(source.File)));
        metadata.Add(new(ReportKey, ReportJson(result)));
        StateDictFile.Save(result.Model, path, metadata);
    }

    /// <summary>The per-layer report as JSON: module, target, input quantiles, fit errors, clamp.</summary>
    public static string ReportJson(SwapResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return JsonSerializer.Serialize(new
        {
            activation = result.Activation.ToString(),
            clamp = result.ClampReason,
            output_rms = result.OutputRms,
            output_change_rms = result.OutputChangeRms,
            max_output_change = result.MaxOutputChange,
            layers = result.Layers.Select(l => new
            {
                module = l.Module,
                target = l.Target.Name,
                count = l.Inputs.Count,
                mean = l.Inputs.Mean,
                std = l.Inputs.Std,
                quantiles = ReportQuantiles.ToDictionary(q => q.ToString("0.###", CultureInfo.InvariantCulture), l.Inputs.Quantile),
                rms_error = l.Errors.RmsError,
                rms_derivative_error = l.Errors.RmsDerivativeError,
                max_error = l.Errors.MaxError,
                max_derivative_error = l.Errors.MaxDerivativeError,
                clamped = l.Clamped,
            }),
        });
    }

    /// <summary>The input quantiles a report gives: the extremes, the central 99.8% and 95%, the median.</summary>
    public static IReadOnlyList<double> ReportQuantiles { get; } = [0, 0.001, 0.025, 0.5, 0.975, 0.999, 1];

    /// <summary>The function a <see cref="SwapOptions.Fit"/> name fits to (gelu: the erf form; each layer is fitted to its own form).</summary>
    /// <exception cref="ArgumentException">A name that is not a classic activation.</exception>
    public static FitTarget TargetOf(string fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        try { return FitTarget.Parse(fit); }
        catch (ArgumentException) { throw new ArgumentException($"cannot fit to '{fit}': swap replaces one of {string.Join(", ", FitTarget.Builtins.Select(t => t.Name))}."); }
    }

    private sealed record Fitted(ActivationParameters Parameters, FitGridErrors Errors);

    // A layer's fits: without the clamp (null when it is forced) and with it (when forced, or compared by auto).
    private sealed record LayerFits(string Name, FitTarget Target, ActivationInputStats Inputs, Fitted? Plain, Fitted? Clamped);

    // gelu replaces either GELU; any other name only its own kind.
    private static bool Replaces(Module m, string fit)
    {
        string? op = ActivationInputs.ClassicOp(m);
        if (op == null) return false;
        string want = TargetOf(fit).Name;
        return op == want || (want == "gelu" && op == "gelu_tanh");
    }

    private static FitTarget TargetOf(Module m) => FitTarget.Parse(ActivationInputs.ClassicOp(m)!);

    private static string ActivationOf(Module model) => model switch
    {
        Gpt g => g.Config.Activation,
        ConvNeXt c => c.Config.Activation,
        _ => model.GetType().Name,
    };

    // Equally spaced over the measured range (widened when it is a point), weighted by the inputs' histogram.
    private static FitGrid Grid(FitTarget target, ActivationInputStats s, int points)
    {
        double lo = s.Min, hi = s.Max, width = Math.Max(1e-3, 1e-6 * Math.Max(Math.Abs(lo), Math.Abs(hi)));
        if (hi - lo < width) { lo -= width / 2; hi += width / 2; }
        var x = new double[points];
        for (int i = 0; i < points; i++) x[i] = lo + (hi - lo) * i / (points - 1);
        return new FitGrid(target, x, s.Histogram(lo, hi, points));
    }

    private static Module Rebuild(Module model, string activation) => model switch
    {
        Gpt g => new Gpt(g.Config with { Activation = activation }, new Rng(0)),
        ConvNeXt c => new ConvNeXt(c.Config with { Activation = activation }, new Rng(0)),
        _ => throw new ArgumentException($"swap rebuilds GPT and ConvNeXt models; this is a {model.GetType().Name}."),
    };

    private static (double Rms, double ChangeRms, double Max) OutputChange(IReadOnlyList<Func<Tensor>> before, IReadOnlyList<Func<Tensor>> after)
    {
        double sq = 0, dsq = 0, max = 0;
        long n = 0;
        using var noGrad = Tensor.NoGrad();
        for (int b = 0; b < before.Count; b++)
        {
            using var scope = Tensor.Scope();
            var y0 = before[b]().Data;
            var y1 = after[b]().Data;
            for (int i = 0; i < y0.Length; i++)
            {
                double d = (double)y1[i] - y0[i];
                sq += (double)y0[i] * y0[i];
                dsq += d * d;
                max = Math.Max(max, Math.Abs(d));
            }
            n += y0.Length;
        }
        return n == 0 ? (0, 0, 0) : (Math.Sqrt(sq / n), Math.Sqrt(dsq / n), max);
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
