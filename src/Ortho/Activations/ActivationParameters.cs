namespace Ortho.Activations;

/// <summary>
/// The parameter values of one activation: its kind, degree and one float array per torchortho parameter name
/// (see <see cref="ActivationInfo.ParameterNames"/>). Also used for gradients of the same shapes.
/// </summary>
public sealed class ActivationParameters
{
    private readonly Dictionary<string, float[]> _values;

    /// <summary>Zero-filled parameters of the given kind and degree.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The degree is outside the kind's range.</exception>
    public ActivationParameters(ActivationKind kind, int degree)
    {
        ActivationInfo.ValidateDegree(kind, degree);
        Kind = kind;
        Degree = degree;
        _values = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var name in ActivationInfo.ParameterNames(kind))
            _values[name] = new float[ActivationInfo.ParameterLength(kind, name, degree)];
    }

    /// <summary>The activation family.</summary>
    public ActivationKind Kind { get; }

    /// <summary>The degree n.</summary>
    public int Degree { get; }

    /// <summary>Parameter names in torchortho's order.</summary>
    public IReadOnlyList<string> Names => ActivationInfo.ParameterNames(Kind);

    /// <summary>The values of parameter <paramref name="name"/> (the live array: writes change the parameters).</summary>
    /// <exception cref="KeyNotFoundException">No parameter of that name.</exception>
    public float[] this[string name] =>
        _values.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"{ActivationInfo.Name(Kind)} has no parameter '{name}'.");

    /// <summary>Total number of scalar parameters.</summary>
    public int Count => _values.Values.Sum(v => v.Length);

    /// <summary>A deep copy.</summary>
    public ActivationParameters Clone()
    {
        var c = new ActivationParameters(Kind, Degree);
        foreach (var (name, v) in _values) v.CopyTo(c._values[name], 0);
        return c;
    }

    /// <summary>Sets every value to zero (for gradient buffers).</summary>
    public void Clear()
    {
        foreach (var v in _values.Values) Array.Clear(v);
    }

    /// <summary>torchortho's initial values (see <see cref="ActivationInit"/>); <paramref name="rng"/> is needed for the tropical rational kind.</summary>
    public static ActivationParameters Initial(ActivationKind kind, int degree, Rng? rng = null) => ActivationInit.Create(kind, degree, rng);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{ActivationInfo.Name(Kind)}{Degree}(" + string.Join(", ", Names.Select(n => n + "=[" + string.Join(", ", this[n].Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))) + "]")) + ")";
}
