using System.CommandLine;
using Ortho.Activations;
using Ortho.Cli.Commands;
using Ortho.Data;
using Ortho.Inference;

namespace Ortho.Cli.Plotting;

/// <summary>
/// The flags <c>plot</c> and <c>report</c> share, declared once: what the activation pictures show (range, reference,
/// sigma), whether held-out data is run through the models (<c>--data [DIR]</c>, <c>--batches</c>), the smoothing of
/// the loss curves, and the thread count.
/// </summary>
internal sealed class ViewOptions
{
    private readonly Option<string> _range = new("--range")
    {
        Description = "x range of the activation plots: LO,HI, or 'inputs' for each activation's own input range (with --data).", DefaultValueFactory = _ => "-4,4",
    };
    private readonly Option<string> _reference = new("--reference")
    {
        Description = "Reference curve: gelu, gelu_tanh, relu, silu, tanh, sigmoid or none.", DefaultValueFactory = _ => "gelu",
    };
    private readonly Option<double> _sigma = new("--sigma")
    {
        Description = "Input standard deviation: of the moments and gains, and of the N(0, sigma^2) band shaded when no --data is run.", DefaultValueFactory = _ => 1.0,
    };
    private readonly Option<double?> _smooth = new("--smooth")
    {
        Description = "EMA weight of the smoothed training loss, in [0, 1) (0: raw only; default: 1 - 50/steps, at most 0.95).",
    };
    private readonly Option<string?> _data = new("--data")
    {
        Description = "Run a few held-out batches through each model and shade where each activation's inputs actually fall (optional value: the data directory holding brown/ and fashion-mnist/; default $ORTHO_DATA or ./data; without a value, put it after the runs).",
        Arity = ArgumentArity.ZeroOrOne,
    };
    private readonly Option<string[]> _manifests = ManifestOption();
    private readonly Option<int> _batches = new("--batches") { Description = "Held-out batches run with --data.", DefaultValueFactory = _ => 4 };
    private readonly Option<int> _threads = CommonOptions.Threads();

    /// <summary>Adds every shared option to <paramref name="c"/>.</summary>
    public void AddTo(Command c)
    {
        foreach (Option o in new Option[] { _range, _reference, _sigma, _smooth, _data, _manifests, _batches, _threads }) c.Options.Add(o);
    }

    /// <summary>Applies --threads.</summary>
    public void ApplyThreads(ParseResult p) => CommonOptions.ApplyThreads(p.GetValue(_threads));

    /// <summary>--sigma.</summary>
    public double Sigma(ParseResult p) => p.GetValue(_sigma);

    /// <summary>--smooth, checked (null: the automatic weight).</summary>
    public double? Smoothing(ParseResult p)
    {
        double? w = p.GetValue(_smooth);
        if (w is double v && !(v >= 0 && v < 1)) throw new ArgumentException($"--smooth must be in [0, 1), got {v}.");
        return w;
    }

    /// <summary>Range, reference and sigma of the activation pictures, checked.</summary>
    public ActivationPlotOptions Plot(ParseResult p)
    {
        string text = p.GetValue(_range)!;
        double lo = -4, hi = 4;
        bool fit = text.Trim().Equals("inputs", StringComparison.OrdinalIgnoreCase);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (!fit && (parts.Length != 2 || !double.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out lo)
            || !double.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out hi) || !(lo < hi) || !double.IsFinite(lo) || !double.IsFinite(hi)))
            throw new ArgumentException($"--range must be LO,HI with LO < HI (e.g. -4,4) or 'inputs', got '{text}'.");
        var o = new ActivationPlotOptions(lo, hi, Reference(p.GetValue(_reference)!), p.GetValue(_sigma), fit);
        o.Validate();
        return o;
    }

    /// <summary>
    /// Each model's learnable activations, with their inputs recorded on --batches held-out batches when --data was
    /// given (its value, or the default data directory).
    /// </summary>
    public IReadOnlyList<ActivationSet> Activations(ParseResult p, IReadOnlyList<TrainedModel> models, IReadOnlyList<string> names)
    {
        int batches = p.GetValue(_batches);
        if (batches < 1) throw new ArgumentException($"--batches must be at least 1, got {batches}.");
        string? root = p.GetResult(_data) is null ? null : Path.GetFullPath(p.GetValue(_data) ?? DataDirectory.Resolve());
        var sets = new List<ActivationSet>();
        for (int i = 0; i < models.Count; i++)
        {
            var m = models[i];
            IReadOnlyDictionary<string, ActivationInputStats>? inputs = null;
            if (root != null)
            {
                VerifiedData(m.Gpt != null ? DataSet.Brown : DataSet.FashionMnist, root, p.GetValue(_manifests)!, fetch: false);
                inputs = ActivationInputs.Record(m.Model, EvaluationData.Batches(m, root, batches));
            }
            sets.Add(new ActivationSet(names[i], m.LearnableActivations(), inputs));
        }
        return sets;
    }

    /// <summary><c>--data-manifest FILE</c>, repeatable: manifests of one's own data files, as <c>ortho train</c> takes them.</summary>
    public static Option<string[]> ManifestOption() => new("--data-manifest")
    {
        Description = "Verify a data set against this manifest ('SHA-256 size name' or sha256sum lines) instead of the built-in one, as 'ortho train' does; repeat it for LM and image data (each applies to the data set whose files it names).",
        DefaultValueFactory = _ => [],
    };

    /// <summary>
    /// The data set's directory under <paramref name="root"/>, verified as training verifies it: against the first of
    /// <paramref name="manifests"/> that names a file of the set's directory, else the built-in manifest (then fetched
    /// when it does not verify and <paramref name="fetch"/> allows).
    /// </summary>
    public static string VerifiedData(DataSet set, string root, IReadOnlyList<string> manifests, bool fetch)
    {
        string dir = set.DirectoryUnder(root);
        var own = manifests.Select(set.WithManifest).FirstOrDefault(s => s.Files.Any(f => File.Exists(Path.Combine(dir, f.Name))));
        return new DataFetcher(Console.Error).Ensure(own ?? set, root, fetch, builtInManifest: own is null);
    }

    private static FitTarget? Reference(string name)
    {
        if (name.Equals("none", StringComparison.OrdinalIgnoreCase)) return null;
        try { return FitTarget.Parse(name); }
        catch (ArgumentException) { throw new ArgumentException($"--reference must be one of gelu, gelu_tanh, relu, silu, tanh, sigmoid or none, got '{name}'."); }
    }
}
