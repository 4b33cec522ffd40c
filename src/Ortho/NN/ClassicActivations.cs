namespace Ortho.NN;

/// <summary>GELU; <paramref name="approximate"/> "tanh" selects the tanh form (as in PyTorch).</summary>
/// <param name="approximate">"none" (erf form, the default) or "tanh".</param>
public sealed class Gelu(string approximate = "none") : UnaryModule
{
    /// <summary>"none" or "tanh".</summary>
    public string Approximate { get; } = approximate is "none" or "tanh" ? approximate : throw new ArgumentException($"Gelu: approximate must be 'none' or 'tanh', got '{approximate}'.");

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Approximate == "tanh" ? input.GeluTanh() : input.Gelu();

    /// <inheritdoc/>
    protected override string ExtraRepr() => Approximate == "none" ? "" : "approximate='tanh'";
}

/// <summary>max(x, 0).</summary>
public sealed class Relu : UnaryModule
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => input.Relu();
}

/// <summary>x * sigmoid(x).</summary>
public sealed class Silu : UnaryModule
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => input.Silu();
}

/// <summary>tanh(x).</summary>
public sealed class Tanh : UnaryModule
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => input.Tanh();
}

/// <summary>1 / (1 + e^-x).</summary>
public sealed class Sigmoid : UnaryModule
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => input.Sigmoid();
}
