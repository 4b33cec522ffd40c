namespace Ortho.NN;

/// <summary>y = x W^T + b with W [out, in] (PyTorch's layout and default init U(-1/sqrt(in), 1/sqrt(in))).</summary>
public sealed class Linear : UnaryModule
{
    /// <summary>Creates the layer; <paramref name="rng"/> defaults to <see cref="Rng.Default"/>.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Rng? rng = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear({inFeatures}, {outFeatures}): sizes must be positive.");
        rng ??= Rng.Default;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        float bound = 1f / MathF.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", new Parameter(outFeatures, inFeatures));
        rng.FillUniform(Weight.Data, -bound, bound);
        if (bias)
        {
            Bias = RegisterParameter("bias", new Parameter(outFeatures));
            rng.FillUniform(Bias.Data, -bound, bound);
        }
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Weight [out, in].</summary>
    public Parameter Weight { get; }

    /// <summary>Bias [out], or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <summary>
    /// residual + this(input), the sum taken by the GEMM as it writes each tile (<see cref="Functional.LinearResidual"/>);
    /// with forward hooks, <c>residual + Forward(input)</c>, so the hooks see this layer's own output. The same bits either way.
    /// </summary>
    /// <param name="input">Input [..., in].</param>
    /// <param name="residual">Added to the output; [..., out].</param>
    public Tensor ForwardResidual(Tensor input, Tensor residual) =>
        HasForwardHooks ? residual + Forward(input) : Functional.LinearResidual(input, Weight, Bias, residual);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={Bias != null}";
}

/// <summary>A lookup table of <c>num</c> vectors of size <c>dim</c> (init N(0, 1) as in PyTorch).</summary>
public sealed class Embedding : Module
{
    /// <summary>Creates the table.</summary>
    public Embedding(int num, int dim, Rng? rng = null)
    {
        if (num <= 0 || dim <= 0) throw new ArgumentOutOfRangeException(nameof(num), $"Embedding({num}, {dim}): sizes must be positive.");
        Weight = RegisterParameter("weight", new Parameter(num, dim));
        (rng ?? Rng.Default).FillNormal(Weight.Data);
    }

    /// <summary>The table [num, dim].</summary>
    public Parameter Weight { get; }

    /// <summary>Looks up rows: indices of shape <paramref name="indexShape"/> give [..indexShape, dim]. Forward hooks see a null input.</summary>
    public Tensor Forward(ReadOnlySpan<int> indices, params int[] indexShape)
    {
        if (!HasForwardHooks) return Functional.Embedding(Weight, indices, indexShape);
        RunForwardPreHooks(null);
        return RunForwardHooks(null, Functional.Embedding(Weight, indices, indexShape));
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{Weight.Size(0)}, {Weight.Size(1)}";
}

/// <summary>Dropout with probability <see cref="P"/>, active only in training mode.</summary>
public sealed class Dropout : UnaryModule
{
    private readonly Rng _rng;

    /// <summary>Creates the layer; <paramref name="rng"/> defaults to a generator seeded from <see cref="Rng.Default"/>.</summary>
    public Dropout(float p = 0.5f, Rng? rng = null)
    {
        if (p < 0 || p >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1).");
        P = p;
        _rng = rng ?? new Rng(Rng.Default.NextUInt64());
    }

    /// <summary>Drop probability.</summary>
    public float P { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Dropout(input, P, Training, _rng);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={P}";
}

/// <summary>Applies its modules in order; they are named "0", "1", ... as in PyTorch.</summary>
public sealed class Sequential : UnaryModule
{
    private readonly List<UnaryModule> _layers = new();

    /// <summary>Creates the sequence.</summary>
    public Sequential(params UnaryModule[] layers)
    {
        foreach (var l in layers) Add(l);
    }

    /// <summary>Appends a module.</summary>
    public Sequential Add(UnaryModule layer)
    {
        RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);
        _layers.Add(layer);
        return this;
    }

    /// <summary>The module at <paramref name="index"/>.</summary>
    public UnaryModule this[int index] => _layers[index];

    /// <summary>Number of modules.</summary>
    public int Count => _layers.Count;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        foreach (var l in _layers) input = l.Forward(input);
        return input;
    }
}

/// <summary>A list of submodules named "0", "1", ... (PyTorch's nn.ModuleList).</summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    private readonly List<T> _items = new();

    /// <summary>Creates the list.</summary>
    public ModuleList(IEnumerable<T>? items = null)
    {
        if (items != null) foreach (var m in items) Add(m);
    }

    /// <summary>Appends a module.</summary>
    public void Add(T module)
    {
        RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _items.Add(module);
    }

    /// <inheritdoc/>
    public T this[int index] => _items[index];

    /// <inheritdoc/>
    public int Count => _items.Count;

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
