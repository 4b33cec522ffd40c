using System.CommandLine;
using Ortho.Activations;
using Ortho.Training;

namespace Ortho.Cli.Commands;

/// <summary>
/// The flags every <c>train</c> command shares, declared once: the <see cref="TrainRecipe"/>'s numbers (defaults from
/// the task's recipe), the activation, and where the run reads and writes (run and data directories, resume, fetch,
/// threads).
/// </summary>
internal sealed class TrainOptions
{
    private readonly Option<int> _steps, _batch, _warmup, _every, _threads;
    private readonly Option<float> _lr, _minLr, _wd, _b1, _b2, _clip;
    private readonly Option<long> _seed;
    private readonly Option<long?> _dataSeed;
    private readonly TrainRecipe _defaults;
    private readonly Option<string> _activation;
    private readonly Option<string?> _runDir = new("--run-dir") { Description = "Where checkpoints and metrics go (default runs/<task>-<activation>)." };
    private readonly Option<string?> _data = new("--data") { Description = "Data directory holding brown/ and fashion-mnist/ (default: $ORTHO_DATA or ./data)." };
    private readonly Option<bool> _resume = new("--resume") { Description = "Continue from the run directory's checkpoint." };
    private readonly Option<bool> _noFetch = new("--no-fetch") { Description = "Do not download missing data; fail instead." };
    // Diagnostic, hidden from help: what the variance-preserving init prevents (docs/science.md, scripts/science-depth.sh).
    private readonly Option<string> _activationInit = new("--activation-init")
    {
        Description = "Diagnostic: start the learnable activations from another init: default, ones, unscaled or scale:S.",
        DefaultValueFactory = _ => "default", Hidden = true,
    };

    /// <summary>The task's defaults and the few words that differ between tasks.</summary>
    public TrainOptions(TrainRecipe defaults, string activation, string stepsFlag, string stepsHelp, string batchHelp, string activationHelp)
    {
        var d = _defaults = defaults;
        _steps = Opt(stepsFlag, d.Steps, stepsHelp);
        _batch = Opt("--batch", d.Batch, batchHelp);
        _activation = Opt("--activation", activation, activationHelp + ": gelu, relu, silu, hermite:N, fourier:N, tropical:N, tropical_rational:N.");
        _lr = Opt("--lr", d.Lr, "Peak learning rate.");
        _minLr = Opt("--min-lr", d.MinLr, "Final learning rate of the cosine.");
        _warmup = Opt("--warmup", d.Warmup, "Linear warmup steps.");
        _wd = Opt("--weight-decay", d.WeightDecay, "AdamW weight decay (tensors of rank >= 2 only: matrices, conv kernels).");
        _b1 = Opt("--beta1", d.Beta1, "AdamW beta1.");
        _b2 = Opt("--beta2", d.Beta2, "AdamW beta2.");
        _clip = Opt("--clip", d.Clip, "Gradient-norm clip (0: off).");
        _seed = Opt("--seed", (long)d.Seed, "Seed of the model initialization and, unless --data-seed is given, of the training batches.");
        _dataSeed = new("--data-seed") { Description = $"Seed of the training batches (sampling, shuffles); default: --seed when that is given, else {d.DataSeed}." };
        _every = Opt("--checkpoint-every", d.CheckpointEvery, "Checkpoint interval in steps (0: end and Ctrl-C only).");
        _threads = CommonOptions.Threads();
    }

    /// <summary>An option with a default value.</summary>
    public static Option<T> Opt<T>(string name, T def, string desc) => new(name) { Description = desc, DefaultValueFactory = _ => def };

    /// <summary>Adds every shared option to <paramref name="c"/> (after the task's own).</summary>
    public void AddTo(Command c)
    {
        foreach (Option o in new Option[] { _steps, _batch, _activation, _lr, _minLr, _warmup, _wd, _b1, _b2, _clip, _seed, _dataSeed, _every,
                     _runDir, _data, _resume, _noFetch, _threads, _activationInit })
            c.Options.Add(o);
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
        DataSeed = DataSeed(p), CheckpointEvery = p.GetValue(_every),
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

    /// <summary>Applies --threads and returns where the run goes (default runs/<paramref name="defaultName"/>) and reads its data.</summary>
    public (string RunDir, string? DataDir, bool Resume, bool Fetch) Run(ParseResult p, string defaultName)
    {
        CommonOptions.ApplyThreads(p.GetValue(_threads));
        return (p.GetValue(_runDir) ?? Path.Combine("runs", defaultName), p.GetValue(_data), p.GetValue(_resume), !p.GetValue(_noFetch));
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
