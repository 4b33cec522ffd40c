using System.Text;

namespace Ortho.Analysis;

/// <summary>
/// A monomial x0^e0 x1^e1 ... as its exponent vector (immutable). In the Hermite basis the same vector names the
/// product He_e0(x0)/e0! He_e1(x1)/e1! ... Ordered by total degree, then lexicographically by exponents (x0 first).
/// </summary>
public sealed class Monomial : IEquatable<Monomial>, IComparable<Monomial>
{
    private readonly int[] _e;
    private readonly int _hash;

    /// <summary>The monomial with these exponents (copied; each &gt;= 0).</summary>
    public Monomial(ReadOnlySpan<int> exponents)
    {
        _e = exponents.ToArray();
        var h = new HashCode();
        foreach (var e in _e)
        {
            if (e < 0) throw new ArgumentException($"Monomial: negative exponent {e}.", nameof(exponents));
            h.Add(e);
            Degree += e;
        }
        _hash = h.ToHashCode();
    }

    /// <summary>The constant monomial 1 in <paramref name="variables"/> variables.</summary>
    public static Monomial One(int variables) => new(new int[variables]);

    /// <summary>x_i in <paramref name="variables"/> variables.</summary>
    public static Monomial Variable(int variables, int i)
    {
        var e = new int[variables];
        e[i] = 1;
        return new Monomial(e);
    }

    /// <summary>Number of variables.</summary>
    public int Variables => _e.Length;

    /// <summary>Total degree (sum of exponents).</summary>
    public int Degree { get; }

    /// <summary>The exponent of x_i.</summary>
    public int this[int i] => _e[i];

    /// <summary>The exponents.</summary>
    public ReadOnlySpan<int> Exponents => _e;

    /// <summary>The product (exponents add).</summary>
    public Monomial Multiply(Monomial other)
    {
        if (other.Variables != Variables) throw new ArgumentException($"Monomial: {Variables} vs {other.Variables} variables.");
        var e = new int[_e.Length];
        for (int i = 0; i < e.Length; i++) e[i] = _e[i] + other._e[i];
        return new Monomial(e);
    }

    /// <summary>The same monomial with the exponent of x_i replaced.</summary>
    public Monomial WithExponent(int i, int exponent)
    {
        var e = (int[])_e.Clone();
        e[i] = exponent;
        return new Monomial(e);
    }

    /// <inheritdoc/>
    public bool Equals(Monomial? other) => other is not null && _hash == other._hash && _e.AsSpan().SequenceEqual(other._e);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Monomial);

    /// <inheritdoc/>
    public override int GetHashCode() => _hash;

    /// <inheritdoc/>
    public int CompareTo(Monomial? other)
    {
        if (other is null) return 1;
        if (Degree != other.Degree) return Degree.CompareTo(other.Degree);
        for (int i = 0; i < Math.Min(_e.Length, other._e.Length); i++)
            if (_e[i] != other._e[i]) return other._e[i].CompareTo(_e[i]); // x0^2 before x0 x1 before x1^2
        return _e.Length.CompareTo(other._e.Length);
    }

    /// <summary>
    /// e.g. "x0*x1^2" ("1" for the constant); in the Hermite basis "He2(x0)*He1(x1)" (each He_k(x)/k!, the
    /// basis the activations use, written HeK for short).
    /// </summary>
    public string ToString(PolynomialBasis basis)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < _e.Length; i++)
        {
            if (_e[i] == 0) continue;
            if (sb.Length > 0) sb.Append('*');
            if (basis == PolynomialBasis.Hermite) sb.Append("He").Append(_e[i]).Append("(x").Append(i).Append(')');
            else
            {
                sb.Append('x').Append(i);
                if (_e[i] > 1) sb.Append('^').Append(_e[i]);
            }
        }
        return sb.Length == 0 ? "1" : sb.ToString();
    }

    /// <summary>The monomial-basis form, e.g. "x0*x1^2".</summary>
    public override string ToString() => ToString(PolynomialBasis.Monomial);

    /// <summary>LaTeX, e.g. "x_{0} x_{1}^{2}" or "\mathrm{He}_{2}(x_{0})/2!".</summary>
    public string ToLatex(PolynomialBasis basis)
    {
        var parts = new List<string>();
        for (int i = 0; i < _e.Length; i++)
        {
            if (_e[i] == 0) continue;
            if (basis == PolynomialBasis.Hermite)
                parts.Add(_e[i] == 1 ? $"x_{{{i}}}" : $"\\tfrac{{\\mathrm{{He}}_{{{_e[i]}}}(x_{{{i}}})}}{{{_e[i]}!}}");
            else parts.Add(_e[i] == 1 ? $"x_{{{i}}}" : $"x_{{{i}}}^{{{_e[i]}}}");
        }
        return parts.Count == 0 ? "1" : string.Join(" ", parts);
    }
}
