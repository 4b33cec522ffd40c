using Ortho.Activations;
using Ortho.Data;
using Ortho.Models;
using Ortho.NN;

namespace Ortho.Analysis.Variance;

/// <summary>The GPT experiment: a <see cref="Gpt"/> of this shape with its own (GPT-2) initialization.</summary>
public sealed record GptVarianceOptions
{
    /// <summary>The MLP activation (activation-spec format).</summary>
    public string Activation { get; init; } = "gelu";
    /// <summary>Transformer blocks.</summary>
    public int Layers { get; init; } = 4;
    /// <summary>Attention heads.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Embedding width.</summary>
    public int Embd { get; init; } = 128;
    /// <summary>Tokens per sequence (and the model's block size).</summary>
    public int Block { get; init; } = 128;
    /// <summary>Sequences per repeat (the rows the sampling error is computed over).</summary>
    public int Samples { get; init; } = 16;
    /// <summary>Independent repeats (new model and inputs each).</summary>
    public int Repeats { get; init; } = 1;
    /// <summary>Seed of everything drawn.</summary>
    public ulong Seed { get; init; }
    /// <summary>With no token data, the residual stream entering the first block is N(0, InputStd^2) elementwise.</summary>
    public double InputStd { get; init; } = 1;
    /// <summary>The learnable activations' initialization.</summary>
    public InitVariant Init { get; init; } = InitVariant.Default;

    /// <summary>Checks every value; the message names the field.</summary>
    public void Validate()
    {
        new GptConfig(256, Block, Layers, Heads, Embd, Activation).Validate();
        if (Samples < 2) throw new ArgumentException($"samples must be at least 2 (the error needs two), got {Samples}.");
        if (Repeats < 1) throw new ArgumentException($"repeats must be at least 1, got {Repeats}.");
        if (!(InputStd > 0) || !double.IsFinite(InputStd)) throw new ArgumentException($"input std must be positive and finite, got {InputStd}.");
        ArgumentNullException.ThrowIfNull(Init);
        Init.CheckApplies(ActivationSpec.Parse(Activation));
    }
}

/// <summary>
/// Second moments through a GPT at initialization, per block: the MLP activation's input (c_fc's output) and output,
/// and the residual stream after the block, forward and backward (upstream gradient r ~ N(0, 1) on the last block's
/// output, loss sum(x_L r)). The input is either N(0, s^2) in place of the embeddings, or token windows from a corpus
/// through the model's own embeddings. Predictions: act_in = fan_in mean(W_fc^2) E[ln_2(x)^2] (1 for a LayerNorm
/// output), act_out = E[f(z)^2] with z ~ N(0, E[act_in^2]); backward act_out = fan_out mean(W_proj^2) E[g_residual^2],
/// act_in = E[g_act_out^2] E[f'(z)^2]. The residual stream has no closed-form prediction here.
/// </summary>
public static class GptVariance
{
    /// <summary>Runs the experiment, on N(0, s^2) inputs (<paramref name="tokens"/> null) or on windows of <paramref name="tokens"/> (bytes).</summary>
    public static VarianceProfile Measure(GptVarianceOptions options, byte[]? tokens = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var spec = ActivationSpec.Parse(options.Activation);
        var config = new GptConfig(256, options.Block, options.Layers, options.Heads, options.Embd, spec.ToString());
        int rows = options.Samples, T = options.Block, C = options.Embd, L = options.Layers;
        if (tokens != null && tokens.Length < T + 2) throw new ArgumentException($"the token data ({tokens.Length} bytes) is shorter than one window of {T} tokens.", nameof(tokens));
        var sites = new List<SiteAccumulator>();
        for (int l = 1; l <= L; l++) { sites.Add(new(l, "act_in")); sites.Add(new(l, "act_out")); sites.Add(new(l, "residual")); }
        var inputs = new List<MomentEstimate>();
        var tops = new List<MomentEstimate>();
        for (int r = 0; r < options.Repeats; r++)
        {
            using var scope = Tensor.Scope();
            ulong repeatSeed = Rng.Hash(options.Seed, (ulong)r);
            var gpt = new Gpt(config, new Rng(Rng.Hash(repeatSeed, 0)));
            foreach (var p in gpt.Parameters()) p.RequiresGrad = false;
            options.Init.ApplyTo(gpt);
            var body = gpt.Transformer;
            Tensor x;
            if (tokens == null) x = Tensor.RandN(new Rng(Rng.Hash(repeatSeed, 2)), [rows, T, C], 0f, (float)options.InputStd);
            else
            {
                var (idx, _) = new LmBatchSampler(tokens, rows, T, new Rng(Rng.Hash(repeatSeed, 2))).Next();
                x = (body.Wte.Forward(idx, rows, T) + body.Wpe.Weight.Slice(0, 0, T)).Detach();
            }
            x.RequiresGrad = true;
            inputs.Add(SecondMoment.OfRows(x.Data, rows));
            var probes = new Probe[L, 3];
            var lnMoments = new double[L];
            for (int l = 0; l < L; l++)
            {
                var b = body.H[l];
                for (int k = 0; k < 3; k++) probes[l, k] = new Probe();
                x = x + b.Attn.Forward(b.Ln1.Forward(x));
                var normed = b.Ln2.Forward(x);
                lnMoments[l] = SecondMoment.OfRows(normed.Data, rows).Value;
                var a = probes[l, 0].Tap(b.Mlp.CFc.Forward(normed), rows);
                var h = probes[l, 1].Tap(b.Mlp.Act.Forward(a), rows);
                x = probes[l, 2].Tap(x + b.Mlp.CProj.Forward(h), rows);
            }
            var upstream = Tensor.RandN(new Rng(Rng.Hash(repeatSeed, 3)), [rows, T, C]);
            tops.Add(SecondMoment.OfRows(upstream.Data, rows));
            x.Backward(upstream);
            for (int l = 0; l < L; l++)
            {
                var mlp = body.H[l].Mlp;
                var moments = ActivationMomentFunction.For(spec, mlp.Act);
                double fcGain = mlp.CFc.InFeatures * MeanSquare(mlp.CFc.Weight), projBack = mlp.CProj.OutFeatures * MeanSquare(mlp.CProj.Weight);
                Probe actIn = probes[l, 0], actOut = probes[l, 1], residual = probes[l, 2];
                var local = moments.AtSecondMoment(actIn.Forward.Value);
                sites[3 * l].Add(actIn, fcGain, null, fcGain * lnMoments[l], actOut.Backward.Value * local.DerivativeSecondMoment);
                sites[3 * l + 1].Add(actOut, moments.AtSecondMoment(fcGain).SecondMoment, null, local.SecondMoment, projBack * residual.Backward.Value);
                sites[3 * l + 2].Add(residual, null, null, null, null);
            }
        }
        var settings = new Dictionary<string, object>
        {
            ["layers"] = L, ["heads"] = options.Heads, ["embd"] = C, ["block"] = T, ["samples"] = rows, ["repeats"] = options.Repeats,
            ["seed"] = options.Seed, ["input"] = tokens == null ? "normal" : "tokens", ["init"] = options.Init.ToString(),
        };
        if (tokens == null) settings["input_std"] = options.InputStd;
        return new VarianceProfile("gpt", spec.ToString(), settings, MomentEstimate.Combine(inputs), MomentEstimate.Combine(tops),
            sites.Select(s => s.Build()).ToList());
    }

    private static double MeanSquare(Tensor w)
    {
        double s = 0;
        foreach (float v in w.Data) s += (double)v * v;
        return s / w.Length;
    }
}
