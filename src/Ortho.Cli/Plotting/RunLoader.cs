using System.CommandLine;
using Ortho.Activations;
using Ortho.Cli.Commands;
using Ortho.Inference;

namespace Ortho.Cli.Plotting;

/// <summary>Reads the runs and models named on a command line, and the data options the viewing commands share.</summary>
internal static class RunLoader
{
    /// <summary>Loads each run directory or model file.</summary>
    public static IReadOnlyList<TrainedModel> Models(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0) throw new ArgumentException("give at least one run directory or model file.");
        return paths.Select(TrainedModel.Load).ToList();
    }

    /// <summary>Legend names for the runs: their own, made unique by the parent folder, then by a number.</summary>
    public static IReadOnlyList<string> Names(IReadOnlyList<string> names, IReadOnlyList<string> paths)
    {
        var result = names.ToArray();
        for (int i = 0; i < result.Length; i++)
            if (names.Count(n => n == names[i]) > 1)
            {
                var parent = new DirectoryInfo(Path.GetFullPath(paths[i])).Parent;
                if (File.Exists(paths[i])) parent = parent?.Parent;
                if (parent != null) result[i] = parent.Name + "/" + names[i];
            }
        for (int i = 0; i < result.Length; i++)
            if (result.Count(n => n == result[i]) > 1) result[i] += $" #{i + 1}";
        return result;
    }

    /// <summary>The metrics of a run directory (its metrics.jsonl) or of a metrics file.</summary>
    public static RunMetrics Metrics(string path, string name)
    {
        string file = Directory.Exists(path) ? Path.Combine(path, TrainedModel.MetricsFileName) : path;
        return RunMetrics.Read(file, name);
    }

    /// <summary>The run's name for a directory or a file inside one.</summary>
    public static string RunName(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        return Directory.Exists(full) ? Path.GetFileName(full) : Path.GetFileName(Path.GetDirectoryName(full)) ?? Path.GetFileNameWithoutExtension(full);
    }

    /// <summary><c>--data [DIR]</c>: run held-out data through the model (DIR: the data root; default $ORTHO_DATA or ./data).</summary>
    public static Option<string?> DataOption() => new("--data")
    {
        Description = "Run a few held-out batches through each model and shade where each activation's inputs actually fall (optional value: data directory holding brown/ and fashion-mnist/; default $ORTHO_DATA or ./data).",
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary>The data root when <c>--data</c> was given (its value, or the default directory), else null.</summary>
    public static string? DataRoot(ParseResult p, Option<string?> data) =>
        p.GetResult(data) is null ? null : p.GetValue(data) ?? Ortho.Data.DataDirectory.Resolve();

    /// <summary>
    /// Each model's learnable activations, with their inputs recorded on <paramref name="batches"/> held-out batches
    /// when <paramref name="dataRoot"/> is set.
    /// </summary>
    public static IReadOnlyList<ActivationSet> Activations(IReadOnlyList<TrainedModel> models, IReadOnlyList<string> names, string? dataRoot, int batches)
    {
        var sets = new List<ActivationSet>();
        for (int i = 0; i < models.Count; i++)
        {
            var m = models[i];
            IReadOnlyDictionary<string, ActivationInputStats>? inputs = null;
            if (dataRoot != null)
            {
                string sub = m.Gpt != null ? "brown" : "fashion-mnist";
                DataFetch.EnsureData(dataRoot, sub, fetch: false); // a missing data set: the one-line message of training
                inputs = ActivationInputs.Record(m.Model, EvaluationData.Batches(m, dataRoot, batches));
            }
            sets.Add(new ActivationSet(names[i], m.LearnableActivations(), inputs));
        }
        return sets;
    }

    /// <summary>The reference activation of <c>--reference</c> (none: null).</summary>
    public static FitTarget? Reference(string name) =>
        name.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : FitTarget.Parse(name);

    /// <summary>Parses <c>LO,HI</c>, or <c>inputs</c> (each module's own input range; [-4, 4] where none was recorded).</summary>
    public static (double Lo, double Hi, bool FitInputs) Range(string text)
    {
        if (text.Trim().Equals("inputs", StringComparison.OrdinalIgnoreCase)) return (-4, 4, true);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !double.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out double lo)
            || !double.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out double hi) || !(lo < hi) || !double.IsFinite(lo) || !double.IsFinite(hi))
            throw new ArgumentException($"--range must be LO,HI with LO < HI (e.g. -4,4) or 'inputs', got '{text}'.");
        return (lo, hi, false);
    }
}
