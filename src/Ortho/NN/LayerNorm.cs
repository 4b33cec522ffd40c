namespace Ortho.NN;

/// <summary>Layer normalization over the last dimension with learnable weight (ones) and bias (zeros).</summary>
public sealed class LayerNorm : UnaryModule
{
    /// <summary>Creates the layer.</summary>
    public LayerNorm(int normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true, bool bias = true)
    {
        if (normalizedShape <= 0) throw new ArgumentOutOfRangeException(nameof(normalizedShape), normalizedShape, "must be positive");
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", new Parameter(normalizedShape));
            Weight.Data.Fill(1f);
            if (bias) Bias = RegisterParameter("bias", new Parameter(normalizedShape));
        }
    }

    /// <summary>Epsilon added to the variance.</summary>
    public float Eps { get; }

    /// <summary>Scale [C], or null.</summary>
    public Parameter? Weight { get; }

    /// <summary>Shift [C], or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.LayerNorm(input, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{Weight?.Length}, eps={Eps}";
}
