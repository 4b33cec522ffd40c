namespace Ortho.Analysis.Variance;

/// <summary>
/// The second moments at one point of a network at initialization: forward E[x^2] and backward E[g^2] (g the gradient
/// of the loss sum(y * r), r ~ N(0, 1), with respect to x), measured, and as the closed-form moments predict them.
/// </summary>
/// <param name="Layer">The layer (MLP) or block (GPT), from 1.</param>
/// <param name="Site">"act_in" (the activation's input, the pre-activation), "act_out" (its output), or "residual" (a GPT block's output).</param>
/// <param name="Forward">Measured E[x^2].</param>
/// <param name="Backward">Measured E[g^2].</param>
/// <param name="PredictedForward">E[x^2] from the closed forms alone, layer after layer from the input (null where there is no such chain).</param>
/// <param name="PredictedBackward">E[g^2] from the closed forms alone, layer after layer from the top (null where there is none).</param>
/// <param name="LocalForward">E[x^2] predicted from the measured moment one step before (tests each layer's factor alone).</param>
/// <param name="LocalBackward">E[g^2] predicted from the measured gradient moment one step after.</param>
public sealed record VarianceSite(int Layer, string Site, MomentEstimate Forward, MomentEstimate Backward,
    double? PredictedForward, double? PredictedBackward, double? LocalForward, double? LocalBackward);

/// <summary>One network's second moments through depth at initialization (<see cref="MlpVariance"/>, <see cref="GptVariance"/>).</summary>
/// <param name="Model">"mlp" or "gpt".</param>
/// <param name="Activation">The activation spec.</param>
/// <param name="Settings">The experiment's settings (depth, width, weights, samples, repeats, seed, ...), for the report.</param>
/// <param name="Input">Measured E[x^2] of the network's input (the residual stream entering the first GPT block).</param>
/// <param name="TopGradient">Measured E[r^2] of the upstream gradient at the top.</param>
/// <param name="Sites">Every measured point, input to output.</param>
public sealed record VarianceProfile(string Model, string Activation, IReadOnlyDictionary<string, object> Settings,
    MomentEstimate Input, MomentEstimate TopGradient, IReadOnlyList<VarianceSite> Sites)
{
    /// <summary>The first layer's variance map (fixed points, slope at q = 1); null for the GPT, whose LayerNorms reset the scale.</summary>
    public VarianceMapInfo? Map { get; init; }

    /// <summary>The sites named <paramref name="site"/>, by layer.</summary>
    public IEnumerable<VarianceSite> At(string site) => Sites.Where(s => s.Site == site);
}

/// <summary>Runs of one probed network: averages per-repeat measurements and predictions into sites.</summary>
internal sealed class SiteAccumulator
{
    private readonly List<MomentEstimate> _forward = [], _backward = [];
    private readonly List<double> _pf = [], _pb = [], _lf = [], _lb = [];

    public SiteAccumulator(int layer, string site) { Layer = layer; Site = site; }

    public int Layer { get; }
    public string Site { get; }

    /// <summary>Adds one repeat's measurements (from the probe) and predictions (null: none).</summary>
    public void Add(Probe probe, double? predictedForward, double? predictedBackward, double? localForward, double? localBackward)
    {
        _forward.Add(probe.Forward);
        _backward.Add(probe.Backward);
        if (predictedForward is double a) _pf.Add(a);
        if (predictedBackward is double b) _pb.Add(b);
        if (localForward is double c) _lf.Add(c);
        if (localBackward is double d) _lb.Add(d);
    }

    public VarianceSite Build() => new(Layer, Site, MomentEstimate.Combine(_forward), MomentEstimate.Combine(_backward),
        Mean(_pf), Mean(_pb), Mean(_lf), Mean(_lb));

    private static double? Mean(List<double> v) => v.Count == 0 ? null : v.Average();
}
