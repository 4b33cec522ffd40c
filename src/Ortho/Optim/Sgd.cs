using Ortho.NN;

namespace Ortho.Optim;

/// <summary>Stochastic gradient descent with optional momentum, Nesterov and (coupled) weight decay, as PyTorch's SGD.</summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor?[] _buf;

    /// <summary>Creates the optimizer.</summary>
    public Sgd(IEnumerable<ParamGroup> groups, float lr, float momentum = 0f, bool nesterov = false, float weightDecay = 0f)
        : base(groups, lr)
    {
        if (momentum < 0) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be >= 0");
        if (nesterov && momentum == 0) throw new ArgumentException("Nesterov momentum needs momentum > 0.");
        Momentum = momentum; Nesterov = nesterov; WeightDecay = weightDecay;
        // Momentum buffers start at zero, so the first step gives buf = d exactly as PyTorch's lazily created one.
        _buf = Groups.SelectMany(g => g.Parameters).Select(p => momentum != 0 ? Tensor.Unscoped(p.Shape) : null).ToArray();
    }

    /// <summary>One group over the given parameters.</summary>
    public Sgd(IEnumerable<Parameter> parameters, float lr, float momentum = 0f, bool nesterov = false, float weightDecay = 0f)
        : this([new ParamGroup(parameters)], lr, momentum, nesterov, weightDecay) { }

    /// <summary>Momentum factor.</summary>
    public float Momentum { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>Default L2 weight decay (added to the gradient).</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    public override void Step()
    {
        StepCount++;
        foreach (var (p, i, lr, wd) in UpdatableParameters(WeightDecay))
            Kernels.SgdKernels.Step(p.Data, p.Grad!.Data, Momentum != 0 ? _buf[i]!.Data : default, lr, Momentum, wd, Nesterov);
    }

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Tensor Value)> State()
    {
        for (int i = 0; i < _buf.Length; i++)
            if (_buf[i] != null) yield return ($"{i}.momentum_buffer", _buf[i]!);
    }
}
