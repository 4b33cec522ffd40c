using System.CommandLine;
using System.Globalization;
using System.Text;
using Ortho.Activations;
using Ortho.Data;
using Ortho.Inference;
using Ortho.Training;

namespace Ortho.Cli.Commands;

/// <summary>
/// The flags every <c>train</c> command shares, declared once: the <see cref="TrainRecipe"/>'s numbers (defaults from
/// the task's recipe), the activation, and where the run reads and writes (run and data directories, resume,
/// overwrite, fetch, threads).
/// </summary>
internal sealed class TrainOptions
{
    private readonly Option<int> _steps, _batch, _warmup, _every, _threads;
    private readonly Option<int?> _evalEvery = new("--eval-every")
    {
        Description = "Evaluate every N steps into metrics.jsonl (default: 5 evenly spaced evaluations, the last one the final; 0: the final one only).",
    };
    private readonly Option<float> _lr, _minLr, _wd, _b1, _b2, _clip;
    private readonly Option<long> _seed;
    private readonly Option<long?> _dataSeed;
    private readonly TrainRecipe _defaults;
    private readonly Option<string> _activation;
    private readonly Option<string?> _runDir = new("--run-dir")
    {
        Description = "Where checkpoint, metrics and model go (default: a new runs/<task>-<activation>-<date>-<time>; with --resume, the latest such run).",
    };
    private readonly Option<string?> _data = DataCommand.DataDirOption("--data");
    private readonly Option<string?> _manifest = new("--data-manifest")
    {
        Description = "Verify the data set against this manifest ('SHA-256 size name' or sha256sum lines) instead of the built-in one: to train on your own files of the same format.",
    };
    private readonly Option<bool> _resume = new("--resume") { Description = "Continue the run in --run-dir from its checkpoint (an error if there is none)." };
    private readonly Option<bool> _overwrite = new("--overwrite") { Description = "Start a new run in --run-dir even though it holds one, replacing its checkpoint, metrics and model." };
    private readonly Option<bool> _noFetch = new("--no-fetch") { Description = "Do not download a missing or damaged data set; fail instead." };
    private readonly Option<string?> _initFrom = new("--init-from")
    {
        Description = "Start from the weights of this model (a run directory or model file, e.g. written by 'ortho swap' or 'ortho import gpt2'); the architecture comes from it (architecture flags may only repeat it; --block may be shorter).",
    };
    // Diagnostic, hidden from help: what the variance-preserving init prevents (docs/science.md, scripts/science-depth.sh).
    private readonly Option<string> _activationInit = new("--activation-init")
    {
        Description = "Diagnostic: start the learnable activations from another init: default, ones, unscaled or scale:S.",
        DefaultValueFactory = _ => "default", Hidden = true,
    };

    /// <summary>The task's defaults and the few words that differ between tasks.</summary>
    public TrainOptions(TrainRecipe defaults, string activation, string stepsHelp, string batchHelp, string activationHelp)
    {
        var d = _defaults = defaults;
        _steps = Opt("--steps", d.Steps, stepsHelp);
        _batch = Opt("--batch", d.Batch, batchHelp);
        _activation = Opt("--activation", activation, activationHelp + ": gelu, relu, silu, hermite:N, fourier:N, tropical:N, tropical_rational:N.");
        _lr = Opt("--lr", d.Lr, "Peak learning rate.");
        _minLr = Opt("--min-lr", d.MinLr, "Final learning rate of the cosine (at most --lr).");
        _warmup = Opt("--warmup", d.Warmup, "Linear warmup steps.");
        _wd = Opt("--weight-decay", d.WeightDecay, "AdamW weight decay (tensors of rank >= 2 only: matrices, conv kernels).");
        _b1 = Opt("--beta1", d.Beta1, "AdamW beta1, in [0, 1).");
        _b2 = Opt("--beta2", d.Beta2, "AdamW beta2, in [0, 1).");
        _clip = Opt("--clip", d.Clip, "Gradient-norm clip (0: off).");
        _seed = Opt("--seed", (long)d.Seed, "Seed of the model initialization and, unless --data-seed is given, of the training batches (the validation batches and the test set do not depend on it).");
        _dataSeed = new("--data-seed") { Description = $"Seed of the training batches (sampling, shuffles); default: --seed when that is given, else {d.DataSeed}." };
        _every = Opt("--checkpoint-every", d.CheckpointEvery, "Checkpoint interval in steps (0: end and Ctrl-C only).");
        _threads = CommonOptions.Threads();
    }

    /// <summary>An option with a default value.</summary>
    public static Option<T> Opt<T>(string name, T def, string desc) => new(name) { Description = desc, DefaultValueFactory = _ => def };

    /// <summary>The steps option (the image command reads whether it was given).</summary>
    public Option<int> Steps => _steps;

    /// <summary>Adds every shared option to <paramref name="c"/> (after the task's own).</summary>
    public void AddTo(Command c)
    {
        foreach (Option o in new Option[] { _steps, _batch, _activation, _lr, _minLr, _warmup, _wd, _b1, _b2, _clip, _seed, _dataSeed, _every, _evalEvery,
                     _initFrom, _runDir, _resume, _overwrite, _data, _manifest, _noFetch, _threads, _activationInit })
            c.Options.Add(o);
    }

    /// <summary>The flag of a recipe field, for messages: MinLr is --min-lr.</summary>
    public static string Flag(string field)
    {
        var sb = new StringBuilder("--");
        for (int i = 0; i < field.Length; i++)
        {
            if (char.IsUpper(field[i]) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(field[i]));
        }
        return sb.ToString();
    }

    /// <summary>The model of --init-from, loaded (null without it).</summary>
    public TrainedModel? InitFrom(ParseResult p)
    {
        if (p.GetValue(_initFrom) is not string path) return null;
        if (path.Length == 0) throw new ArgumentException("--init-from is empty.");
        if (Given(p, _activationInit)) throw new ArgumentException("--activation-init sets the activations' initial values and --init-from loads trained ones: give one of them.");
        try { return TrainedModel.Load(path); }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException) { throw new ArgumentException($"--init-from: {Program.Sentence(e)}", e); }
    }

    /// <summary>Whether <paramref name="o"/> was given on the command line (not its default).</summary>
    public static bool Given(ParseResult p, Option o) => p.GetResult(o) is { Implicit: false };

    /// <summary>
    /// The value of an architecture flag when starting from <paramref name="init"/>: the initial model's
    /// (<paramref name="file"/>) unless the flag was given, when it must repeat it; when the file does not store the
    /// value (<paramref name="unknown"/>), the flag must be given.
    /// </summary>
    public static T Architecture<T>(ParseResult p, Option<T> o, TrainedModel init, T file, string what, bool unknown = false)
    {
        if (!Given(p, o))
            return unknown ? throw new ArgumentException($"--init-from {init.File} does not store its {what}: give {o.Name}.") : file;
        var v = p.GetValue(o)!;
        if (!unknown && !EqualityComparer<T>.Default.Equals(v, file))
            throw new ArgumentException($"{o.Name} {v} differs from the {what} of --init-from {init.File} ({file}): the architecture comes from the initial model; leave {o.Name} out.");
        return v;
    }

    /// <summary>The activation when starting from <paramref name="init"/> (see <see cref="Architecture"/>).</summary>
    public string Activation(ParseResult p, TrainedModel init, string file)
    {
        var given = Given(p, _activation) ? Activation(p) : null;
        if (given != null && given != file && !init.Unknown.Contains("activation"))
            throw new ArgumentException($"--activation {given} differs from the activation of --init-from {init.File} ({file}): the architecture comes from the initial model; leave --activation out (to put in another activation, run 'ortho swap' first).");
        return given ?? (init.Unknown.Contains("activation") ? throw new ArgumentException($"--init-from {init.File} does not store its activation: give --activation.") : file);
    }

    /// <summary>The activation spec, normalized (an unknown one throws with the spec named).</summary>
    public string Activation(ParseResult p)
    {
        var spec = ActivationSpec.Parse(p.GetValue(_activation)!);
        Analysis.Variance.InitVariant.Parse(p.GetValue(_activationInit)!).CheckApplies(spec); // before anything is written
        return spec.ToString();
    }

    /// <summary>The shared part of the recipe.</summary>
    public TrainRecipe Recipe(ParseResult p) => new()
    {
        Steps = p.GetValue(_steps), Batch = p.GetValue(_batch), Lr = p.GetValue(_lr), MinLr = p.GetValue(_minLr), Warmup = p.GetValue(_warmup),
        WeightDecay = p.GetValue(_wd), Beta1 = p.GetValue(_b1), Beta2 = p.GetValue(_b2), Clip = p.GetValue(_clip), Seed = Seed(p, _seed),
        DataSeed = DataSeed(p), CheckpointEvery = p.GetValue(_every), EvalEvery = p.GetValue(_evalEvery),
    };

    /// <summary>
    /// Applies --activation-init to the freshly built <paramref name="model"/> (a resumed run's weights come from its
    /// checkpoint) and returns a line saying so, or null for the default init.
    /// </summary>
    public string? ApplyActivationInit(ParseResult p, NN.Module model)
    {
        var variant = Analysis.Variance.InitVariant.Parse(p.GetValue(_activationInit)!);
        if (variant.IsDefault) return null;
        int n = variant.ApplyTo(model);
        return $"Activation init: {variant} in {n} activation module(s) (diagnostic; not the paper's init).";
    }

    /// <summary>Where a run goes and reads its data, checked before any data is loaded.</summary>
    public sealed record Where(string RunDir, string DataRoot, TrainStart Start, bool Fetch, string? Manifest);

    /// <summary>
    /// Applies --threads and decides the run directory: --run-dir, or a new runs/<paramref name="name"/>-DATE-TIME
    /// (with --resume: the latest runs/<paramref name="name"/>* that has a checkpoint); checks that the run may start
    /// there (nothing is created yet).
    /// </summary>
    public Where Run(ParseResult p, string name)
    {
        CommonOptions.ApplyThreads(p.GetValue(_threads));
        bool resume = p.GetValue(_resume), overwrite = p.GetValue(_overwrite);
        if (resume && overwrite) throw new ArgumentException("--resume continues the run in --run-dir and --overwrite replaces it: give one of them.");
        var start = resume ? TrainStart.Resume : overwrite ? TrainStart.Overwrite : TrainStart.New;
        string? given = p.GetValue(_runDir);
        if (given is { Length: 0 }) throw new ArgumentException("--run-dir is empty.");
        string dir = given ?? (resume ? LatestRun(name) : NewRunDirectory(name));
        RunDirectory.Check(dir, start);
        string? root = p.GetValue(_data);
        if (root is { Length: 0 }) throw new ArgumentException("--data-dir is empty.");
        return new Where(Path.GetFullPath(dir), Path.GetFullPath(root ?? DataDirectory.Resolve()), start, !p.GetValue(_noFetch), p.GetValue(_manifest));
    }

    /// <summary>runs/NAME-yyyyMMdd-HHmmss, with -2, -3, ... when that exists.</summary>
    private static string NewRunDirectory(string name)
    {
        string stem = Path.Combine("runs", $"{name}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        string dir = stem;
        for (int i = 2; Directory.Exists(dir) || File.Exists(dir); i++) dir = $"{stem}-{i}";
        return dir;
    }

    /// <summary>The run under runs/ named NAME or NAME-... whose checkpoint was written last.</summary>
    private static string LatestRun(string name)
    {
        var found = Directory.Exists("runs")
            ? Directory.EnumerateDirectories("runs").Where(d => Path.GetFileName(d) is var n && (n == name || n.StartsWith(name + "-", StringComparison.Ordinal)))
                .Select(d => new FileInfo(Path.Combine(d, "checkpoint.safetensors"))).Where(f => f.Exists).MaxBy(f => f.LastWriteTimeUtc)
            : null;
        return found?.DirectoryName ?? throw new InvalidOperationException(
            $"Nothing to resume: no run of {name} with a checkpoint under {Path.GetFullPath("runs")}; give the run's directory with --run-dir.");
    }

    // The batches follow --seed unless --data-seed is given; with neither, the recipe's own pair.
    private ulong DataSeed(ParseResult p)
    {
        if (p.GetValue(_dataSeed) is long v) return v >= 0 ? (ulong)v : throw new ArgumentException($"{_dataSeed.Name} must be a non-negative integer, got {v}.");
        return p.GetResult(_seed) is { Implicit: false } ? Seed(p, _seed) : _defaults.DataSeed;
    }

    private static ulong Seed(ParseResult p, Option<long> o) =>
        p.GetValue(o) is long v and >= 0 ? (ulong)v : throw new ArgumentException($"{o.Name} must be a non-negative integer, got {p.GetValue(o)}.");
}
