using Ortho.Activations;
using Ortho.NN;

namespace Ortho.Analysis.Variance;

/// <summary>How a deep stack's weights are drawn.</summary>
public enum WeightInit
{
    /// <summary>N(0, 1/fan_in): keeps E[x^2] through a linear layer (gain 1).</summary>
    LeCun,

    /// <summary>N(0, 2/fan_in): doubles E[x^2] through a linear layer, which ReLU halves again (gain 2).</summary>
    Kaiming,
}

/// <summary>The deep-stack experiment: <see cref="Depth"/> layers of Linear (no bias) then the activation, all <see cref="Width"/> wide.</summary>
public sealed record MlpVarianceOptions
{
    /// <summary>The activation after every Linear layer (activation-spec format); each layer gets its own module.</summary>
    public string Activation { get; init; } = "gelu";
    /// <summary>Number of Linear + activation layers.</summary>
    public int Depth { get; init; } = 32;
    /// <summary>Width of every layer (and of the input).</summary>
    public int Width { get; init; } = 256;
    /// <summary>The weight distribution.</summary>
    public WeightInit Weights { get; init; } = WeightInit.LeCun;
    /// <summary>Input vectors per repeat (the rows the sampling error is computed over).</summary>
    public int Samples { get; init; } = 1024;
    /// <summary>Independent repeats (new weights and samples each); 2 or more also give the error over repeats.</summary>
    public int Repeats { get; init; } = 1;
    /// <summary>Seed of everything drawn.</summary>
    public ulong Seed { get; init; }
    /// <summary>The input is N(0, InputStd^2) elementwise.</summary>
    public double InputStd { get; init; } = 1;
    /// <summary>The learnable activations' initialization.</summary>
    public InitVariant Init { get; init; } = InitVariant.Default;

    /// <summary>fan_in x weight variance: 1 (LeCun) or 2 (Kaiming).</summary>
    public double LinearGain => Weights == WeightInit.Kaiming ? 2 : 1;

    /// <summary>Checks every value; the message names the field.</summary>
    public void Validate()
    {
        var spec = ActivationSpec.Parse(Activation);
        if (Depth < 1) throw new ArgumentException($"depth must be at least 1, got {Depth}.");
        if (Width < 1) throw new ArgumentException($"width must be at least 1, got {Width}.");
        if (Samples < 2) throw new ArgumentException($"samples must be at least 2 (the error needs two), got {Samples}.");
        if (Repeats < 1) throw new ArgumentException($"repeats must be at least 1, got {Repeats}.");
        if (!(InputStd > 0) || !double.IsFinite(InputStd)) throw new ArgumentException($"input std must be positive and finite, got {InputStd}.");
        ArgumentNullException.ThrowIfNull(Init);
        Init.CheckApplies(spec);
    }
}

/// <summary>
/// Second moments through a deep stack at initialization (the paper's variance-preserving claim, measured): input
/// x ~ N(0, s^2), pre_l = h_{l-1} W_l^T, h_l = f(pre_l); upstream gradient r ~ N(0, 1) at the top (loss sum(h_L r)).
/// Mean-field predictions: E[pre_1^2] = c s^2 and E[pre_{l+1}^2] = c E[f(z)^2] with z ~ N(0, E[pre_l^2]); backward
/// E[g_pre_l^2] = E[g_h_l^2] E[f'(z)^2] and E[g_h_{l-1}^2] = c E[g_pre_l^2], from E[g_h_L^2] = 1 (c = 1 LeCun, 2 Kaiming).
/// </summary>
public static class MlpVariance
{
    /// <summary>Runs the experiment; deterministic for a seed.</summary>
    public static VarianceProfile Measure(MlpVarianceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var spec = ActivationSpec.Parse(options.Activation);
        int depth = options.Depth, width = options.Width, rows = options.Samples;
        double c = options.LinearGain, std = Math.Sqrt(c / width);
        var sites = new List<SiteAccumulator>();
        for (int l = 1; l <= depth; l++) { sites.Add(new(l, "act_in")); sites.Add(new(l, "act_out")); }
        VarianceMapInfo? map = null;
        var inputs = new List<MomentEstimate>();
        var tops = new List<MomentEstimate>();
        for (int r = 0; r < options.Repeats; r++)
        {
            using var scope = Tensor.Scope();
            // Separate streams, so every activation sees the same weights and inputs for a seed.
            ulong repeatSeed = Rng.Hash(options.Seed, (ulong)r);
            Rng weightRng = new(Rng.Hash(repeatSeed, 0)), actRng = new(Rng.Hash(repeatSeed, 1)), inputRng = new(Rng.Hash(repeatSeed, 2)), topRng = new(Rng.Hash(repeatSeed, 3));
            var acts = new UnaryModule[depth];
            var moments = new Func<double, MomentsResult>[depth];
            var weights = new Tensor[depth];
            for (int l = 0; l < depth; l++)
            {
                acts[l] = spec.Create(actRng);
                if (acts[l] is LearnableActivation a) a.Freeze();
                options.Init.ApplyTo(acts[l]);
                moments[l] = ActivationMomentFunction.For(spec, acts[l]);
                weights[l] = Tensor.RandN(weightRng, [width, width], 0f, (float)std);
            }
            map ??= VarianceMap.Analyse(moments[0], c);
            var x = Tensor.RandN(inputRng, [rows, width], 0f, (float)options.InputStd);
            x.RequiresGrad = true;
            inputs.Add(SecondMoment.OfRows(x.Data, rows));
            var pre = new Probe[depth];
            var post = new Probe[depth];
            var h = x;
            for (int l = 0; l < depth; l++)
            {
                pre[l] = new Probe();
                post[l] = new Probe();
                h = pre[l].Tap(Functional.Linear(h, weights[l]), rows);
                h = post[l].Tap(acts[l].Forward(h), rows);
            }
            var upstream = Tensor.RandN(topRng, [rows, width]);
            tops.Add(SecondMoment.OfRows(upstream.Data, rows));
            h.Backward(upstream);
            AddRepeat(sites, pre, post, moments, c, options.InputStd * options.InputStd, inputs[^1].Value, tops[^1].Value);
        }
        var settings = new Dictionary<string, object>
        {
            ["depth"] = depth, ["width"] = width, ["weights"] = options.Weights == WeightInit.Kaiming ? "kaiming" : "lecun", ["samples"] = rows,
            ["repeats"] = options.Repeats, ["seed"] = options.Seed, ["input_std"] = options.InputStd, ["init"] = options.Init.ToString(),
        };
        return new VarianceProfile("mlp", spec.ToString(), settings, MomentEstimate.Combine(inputs), MomentEstimate.Combine(tops),
            sites.Select(s => s.Build()).ToList()) { Map = map };
    }

    // One repeat's predictions: the pure chain from the nominal input and top moments, and the one-step ones from the
    // measured neighbours. sites holds act_in, act_out per layer.
    private static void AddRepeat(List<SiteAccumulator> sites, Probe[] pre, Probe[] post, Func<double, MomentsResult>[] moments,
        double c, double inputMoment, double measuredInput, double measuredTop)
    {
        int depth = pre.Length;
        var qPre = new double[depth];
        var qPost = new double[depth];
        var gPre = new double[depth];
        var gPost = new double[depth];
        for (int l = 0; l < depth; l++)
        {
            qPre[l] = c * (l == 0 ? inputMoment : qPost[l - 1]);
            qPost[l] = moments[l].AtSecondMoment(qPre[l]).SecondMoment;
        }
        for (int l = depth - 1; l >= 0; l--)
        {
            gPost[l] = l == depth - 1 ? 1 : c * gPre[l + 1];
            gPre[l] = gPost[l] * moments[l].AtSecondMoment(qPre[l]).DerivativeSecondMoment;
        }
        for (int l = 0; l < depth; l++)
        {
            var local = moments[l].AtSecondMoment(pre[l].Forward.Value);
            double localPreForward = c * (l == 0 ? measuredInput : post[l - 1].Forward.Value);
            double localPostBackward = l == depth - 1 ? measuredTop : c * pre[l + 1].Backward.Value;
            sites[2 * l].Add(pre[l], qPre[l], gPre[l], localPreForward, post[l].Backward.Value * local.DerivativeSecondMoment);
            sites[2 * l + 1].Add(post[l], qPost[l], gPost[l], local.SecondMoment, localPostBackward);
        }
    }
}
