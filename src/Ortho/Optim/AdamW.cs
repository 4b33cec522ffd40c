using Ortho.Kernels;
using Ortho.NN;

namespace Ortho.Optim;

/// <summary>
/// AdamW (decoupled weight decay, Loshchilov and Hutter), numerically as PyTorch's torch.optim.AdamW:
/// one fused pass per parameter.
/// </summary>
public sealed class AdamW : Optimizer
{
    private readonly Tensor[] _m, _v;
    private readonly Tensor _steps; // per-parameter step counts (PyTorch's state['step']), as floats for checkpoints
    private readonly Parameter[] _params;

    /// <summary>Creates the optimizer; groups without their own weight decay use <paramref name="weightDecay"/>.</summary>
    public AdamW(IEnumerable<ParamGroup> groups, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
        : base(groups, lr)
    {
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), $"betas must be in [0, 1), got ({beta1}, {beta2}).");
        Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weightDecay;
        _params = Groups.SelectMany(g => g.Parameters).ToArray();
        _m = _params.Select(p => Tensor.Unscoped(p.Shape)).ToArray();
        _v = _params.Select(p => Tensor.Unscoped(p.Shape)).ToArray();
        _steps = Tensor.Unscoped([_params.Length]);
    }

    /// <summary>One group over all of a model's parameters.</summary>
    public AdamW(IEnumerable<Parameter> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay) { }

    /// <summary>
    /// The paper's groups: weight decay on tensors of rank >= 2 only; activation parameters, norms and biases get none.
    /// </summary>
    public static AdamW ForModel(Module model, float lr, float weightDecay, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f)
    {
        var ps = model.Parameters().ToList();
        return new AdamW([new ParamGroup(ps.Where(p => p.Rank >= 2), weightDecay), new ParamGroup(ps.Where(p => p.Rank < 2), 0f)],
            lr, beta1, beta2, eps, weightDecay);
    }

    /// <summary>First-moment decay.</summary>
    public float Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public float Beta2 { get; }

    /// <summary>Denominator epsilon.</summary>
    public float Eps { get; }

    /// <summary>Default weight decay.</summary>
    public float WeightDecay { get; }

    /// <summary>
    /// Updates every parameter that requires grad and has a gradient; each keeps its own step count for the bias
    /// corrections (as PyTorch), so a parameter frozen for a while is neither decayed nor moved by momentum meanwhile.
    /// </summary>
    public override void Step()
    {
        StepCount++;
        var steps = _steps.Data;
        foreach (var (p, i, lr, wd) in UpdatableParameters(WeightDecay))
            AdamWKernels.Step(p.Data, p.Grad!.Data, _m[i].Data, _v[i].Data, lr, Beta1, Beta2, Eps, wd, (int)++steps[i]);
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Tensor Value)> State()
    {
        for (int i = 0; i < _params.Length; i++)
        {
            yield return ($"{i}.exp_avg", _m[i]);
            yield return ($"{i}.exp_avg_sq", _v[i]);
        }
        yield return ("step", _steps);
    }
}
