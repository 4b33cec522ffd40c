namespace Ortho.NN;

/// <summary>A learnable tensor: a leaf that requires grad, with storage that outlives every scope.</summary>
public sealed class Parameter : Tensor
{
    /// <summary>Creates a zero-filled parameter.</summary>
    public Parameter(params int[] shape) : base(new Storage(CheckedLength(shape), pooled: false), 0, (int[])shape.Clone(), scoped: false)
    {
        RequiresGrad = true;
    }

    /// <summary>Creates a parameter holding a copy of <paramref name="values"/>.</summary>
    public Parameter(ReadOnlySpan<float> values, params int[] shape) : this(shape.Length == 0 ? [values.Length] : shape)
    {
        if (values.Length != Length) throw new ArgumentException($"Parameter: {values.Length} values do not fill shape {ShapeString(shape)}.");
        values.CopyTo(Data);
    }

    /// <summary>Creates a parameter holding a copy of a tensor's values.</summary>
    public static Parameter From(Tensor t) => new(t.Data, t.Shape);
}
