namespace Ortho.Activations;

/// <summary>
/// The parameter values of one activation: its family, degree and one float array per torchortho parameter name
/// (see <see cref="ActivationFamily.Parameters"/>). Also used for gradients of the same shapes.
/// </summary>
public sealed class ActivationParameters : IParameterSpans
{
    private readonly float[][] _values;

    /// <summary>Zero-filled parameters of the given kind and degree.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The degree is outside the kind's range.</exception>
    public ActivationParameters(ActivationFamily family, int degree)
    {
        ArgumentNullException.ThrowIfNull(family);
        family.ValidateDegree(degree);
        Family = family;
        Degree = degree;
        _values = family.Parameters.Select(p => new float[p.Length(degree)]).ToArray();
    }

    /// <summary>Zero-filled parameters of the registered kind named <paramref name="kind"/> (e.g. "hermite").</summary>
    /// <exception cref="ArgumentException">No such kind.</exception>
    public ActivationParameters(string kind, int degree) : this(ActivationRegistry.Get(kind), degree) { }

    /// <summary>The activation family.</summary>
    public ActivationFamily Family { get; }

    /// <summary>The family's spec name ("hermite", ...).</summary>
    public string Kind => Family.Name;

    /// <summary>The degree n.</summary>
    public int Degree { get; }

    /// <summary>Parameter names in torchortho's order.</summary>
    public IReadOnlyList<string> Names => Family.ParameterNames;

    /// <summary>The values of parameter <paramref name="name"/> (the live array: writes change the parameters).</summary>
    /// <exception cref="KeyNotFoundException">No parameter of that name.</exception>
    public float[] this[string name]
    {
        get
        {
            int i = Family.IndexOf(name);
            return i >= 0 ? _values[i] : throw new KeyNotFoundException($"{Kind} has no parameter '{name}'.");
        }
    }

    Span<float> IParameterSpans.this[int index] => _values[index];

    /// <summary>Total number of scalar parameters.</summary>
    public int Count => _values.Sum(v => v.Length);

    /// <summary>A deep copy.</summary>
    public ActivationParameters Clone()
    {
        var c = new ActivationParameters(Family, Degree);
        for (int i = 0; i < _values.Length; i++) _values[i].CopyTo(c._values[i], 0);
        return c;
    }

    /// <summary>Sets every value to zero (for gradient buffers).</summary>
    public void Clear()
    {
        foreach (var v in _values) Array.Clear(v);
    }

    /// <summary>torchortho's initial values (see <see cref="ActivationFamily.Initial"/>); <paramref name="rng"/> is needed for kinds that draw them (tropical rational).</summary>
    public static ActivationParameters Initial(ActivationFamily family, int degree, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(family);
        return family.Initial(degree, rng);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Kind}{Degree}(" + string.Join(", ", Names.Select(n => n + "=[" + string.Join(", ", this[n].Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))) + "]")) + ")";
}
