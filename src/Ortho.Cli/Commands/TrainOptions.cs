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
    private readonly Option<long> _seed, _dataSeed;
    private readonly Option<string> _activation;
    private readonly Option<string?> _runDir = new("--run-dir") { Description = "Where checkpoints and metrics go (default runs/<task>-<activation>)." };
    private readonly Option<string?> _data = new("--data") { Description = "Data directory holding brown/ and fashion-mnist/ (default: $ORTHO_DATA or ./data)." };
    private readonly Option<bool> _resume = new("--resume") { Description = "Continue from the run directory's checkpoint." };
    private readonly Option<bool> _noFetch = new("--no-fetch") { Description = "Do not download missing data; fail instead." };

    /// <summary>The task's defaults and the few words that differ between tasks.</summary>
    public TrainOptions(TrainRecipe defaults, string activation, string stepsFlag, string stepsHelp, string batchHelp, string activationHelp)
    {
        var d = defaults;
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
        _seed = Opt("--seed", (long)d.Seed, "Model initialization seed.");
        _dataSeed = Opt("--data-seed", (long)d.DataSeed, "Seed of the training batches (sampling, shuffles).");
        _every = Opt("--checkpoint-every", d.CheckpointEvery, "Checkpoint interval in steps (0: end and Ctrl-C only).");
        _threads = CommonOptions.Threads();
    }

    /// <summary>An option with a default value.</summary>
    public static Option<T> Opt<T>(string name, T def, string desc) => new(name) { Description = desc, DefaultValueFactory = _ => def };

    /// <summary>Adds every shared option to <paramref name="c"/> (after the task's own).</summary>
    public void AddTo(Command c)
    {
        foreach (Option o in new Option[] { _steps, _batch, _activation, _lr, _minLr, _warmup, _wd, _b1, _b2, _clip, _seed, _dataSeed, _every,
                     _runDir, _data, _resume, _noFetch, _threads })
            c.Options.Add(o);
    }

    /// <summary>The activation spec, normalized (an unknown one throws with the spec named).</summary>
    public string Activation(ParseResult p) => ActivationSpec.Parse(p.GetValue(_activation)!).ToString();

    /// <summary>The shared part of the recipe.</summary>
    public TrainRecipe Recipe(ParseResult p) => new()
    {
        Steps = p.GetValue(_steps), Batch = p.GetValue(_batch), Lr = p.GetValue(_lr), MinLr = p.GetValue(_minLr), Warmup = p.GetValue(_warmup),
        WeightDecay = p.GetValue(_wd), Beta1 = p.GetValue(_b1), Beta2 = p.GetValue(_b2), Clip = p.GetValue(_clip), Seed = Seed(p, _seed),
        DataSeed = Seed(p, _dataSeed), CheckpointEvery = p.GetValue(_every),
    };

    /// <summary>Applies --threads and returns where the run goes (default runs/<paramref name="defaultName"/>) and reads its data.</summary>
    public (string RunDir, string? DataDir, bool Resume, bool Fetch) Run(ParseResult p, string defaultName)
    {
        CommonOptions.ApplyThreads(p.GetValue(_threads));
        return (p.GetValue(_runDir) ?? Path.Combine("runs", defaultName), p.GetValue(_data), p.GetValue(_resume), !p.GetValue(_noFetch));
    }

    private static ulong Seed(ParseResult p, Option<long> o) =>
        p.GetValue(o) is long v and >= 0 ? (ulong)v : throw new ArgumentException($"{o.Name} must be a non-negative integer, got {p.GetValue(o)}.");
}
