namespace Ortho.Analysis;

/// <summary>The basis a <see cref="Polynomial"/>'s coefficients refer to.</summary>
public enum PolynomialBasis
{
    /// <summary>Monomials x0^e0 x1^e1 ...</summary>
    Monomial,
    /// <summary>Products He_e0(x0)/e0! He_e1(x1)/e1! ... of probabilists' Hermite polynomials (the activations' basis).</summary>
    Hermite,
}

/// <summary>
/// A sparse multivariate polynomial with exact rational coefficients: a map from exponent vectors
/// (<see cref="Monomial"/>) to nonzero coefficients, in the monomial or the multivariate Hermite basis.
/// Arithmetic is exact and works in the monomial basis.
/// </summary>
public sealed class Polynomial
{
    private readonly Dictionary<Monomial, Rational> _terms;

    /// <summary>The zero polynomial in <paramref name="variables"/> variables.</summary>
    public Polynomial(int variables, PolynomialBasis basis = PolynomialBasis.Monomial)
    {
        if (variables <= 0) throw new ArgumentOutOfRangeException(nameof(variables), $"Polynomial: {variables} variables; need at least one.");
        Variables = variables;
        Basis = basis;
        _terms = new Dictionary<Monomial, Rational>();
    }

    /// <summary>Number of variables.</summary>
    public int Variables { get; }

    /// <summary>The basis of the coefficients.</summary>
    public PolynomialBasis Basis { get; }

    /// <summary>The nonzero terms.</summary>
    public IReadOnlyDictionary<Monomial, Rational> Terms => _terms;

    /// <summary>Number of nonzero terms.</summary>
    public int Count => _terms.Count;

    /// <summary>Total degree (the largest monomial degree; 0 for constants and for zero).</summary>
    public int Degree => _terms.Count == 0 ? 0 : _terms.Keys.Max(m => m.Degree);

    /// <summary>The coefficient of <paramref name="m"/> (0 if absent).</summary>
    public Rational this[Monomial m] => _terms.TryGetValue(m, out var c) ? c : Rational.Zero;

    /// <summary>The constant <paramref name="c"/>.</summary>
    public static Polynomial Constant(int variables, Rational c)
    {
        var p = new Polynomial(variables);
        p.AddTerm(Monomial.One(variables), c);
        return p;
    }

    /// <summary>x_i.</summary>
    public static Polynomial Variable(int variables, int i)
    {
        if ((uint)i >= (uint)variables) throw new ArgumentOutOfRangeException(nameof(i), $"Polynomial: variable x{i} out of range for {variables} variables.");
        var p = new Polynomial(variables);
        p.AddTerm(Monomial.Variable(variables, i), Rational.One);
        return p;
    }

    /// <summary>Adds c m (drops the term if it cancels).</summary>
    internal void AddTerm(Monomial m, Rational c)
    {
        if (c.IsZero) return;
        if (_terms.TryGetValue(m, out var old))
        {
            var s = old + c;
            if (s.IsZero) _terms.Remove(m); else _terms[m] = s;
        }
        else _terms[m] = c;
    }

    /// <summary>this += s p.</summary>
    internal void AddScaled(Polynomial p, Rational s)
    {
        if (s.IsZero) return;
        foreach (var (m, c) in p._terms) AddTerm(m, c * s);
    }

    private void RequireMonomial(string op)
    {
        if (Basis != PolynomialBasis.Monomial) throw new InvalidOperationException($"Polynomial.{op} works in the monomial basis; convert with ToMonomialBasis() first.");
    }

    private static void CheckSame(Polynomial a, Polynomial b)
    {
        if (a.Variables != b.Variables) throw new ArgumentException($"Polynomial: {a.Variables} vs {b.Variables} variables.");
        a.RequireMonomial("arithmetic");
        b.RequireMonomial("arithmetic");
    }

    /// <summary>Sum.</summary>
    public static Polynomial operator +(Polynomial a, Polynomial b)
    {
        CheckSame(a, b);
        var r = a.Copy();
        r.AddScaled(b, Rational.One);
        return r;
    }

    /// <summary>Scalar multiple.</summary>
    public static Polynomial operator *(Rational s, Polynomial a)
    {
        var r = new Polynomial(a.Variables, a.Basis);
        r.AddScaled(a, s);
        return r;
    }

    /// <summary>Product.</summary>
    public static Polynomial operator *(Polynomial a, Polynomial b)
    {
        CheckSame(a, b);
        var r = new Polynomial(a.Variables);
        foreach (var (ma, ca) in a._terms)
            foreach (var (mb, cb) in b._terms) r.AddTerm(ma.Multiply(mb), ca * cb);
        return r;
    }

    /// <summary>A copy.</summary>
    public Polynomial Copy()
    {
        var r = new Polynomial(Variables, Basis);
        foreach (var (m, c) in _terms) r._terms[m] = c;
        return r;
    }

    /// <summary>
    /// u(this) for the univariate u(z) = sum_p coefficients[p] z^p, by Horner's rule (exact): the way an activation
    /// given in monomial form is applied to a pre-activation polynomial.
    /// </summary>
    public Polynomial Compose(IReadOnlyList<Rational> coefficients)
    {
        RequireMonomial(nameof(Compose));
        if (coefficients.Count == 0) return new Polynomial(Variables);
        var acc = Constant(Variables, coefficients[^1]);
        for (int p = coefficients.Count - 2; p >= 0; p--)
        {
            acc *= this;
            acc.AddTerm(Monomial.One(Variables), coefficients[p]);
        }
        return acc;
    }

    /// <summary>The exact value at a rational point (in either basis).</summary>
    public Rational Evaluate(ReadOnlySpan<Rational> x)
    {
        if (x.Length != Variables) throw new ArgumentException($"Polynomial.Evaluate: {x.Length} values for {Variables} variables.");
        int maxExp = _terms.Count == 0 ? 0 : _terms.Keys.Max(m => MaxExponent(m));
        // Table of x_i^k (or He_k(x_i)/k!) per variable, then one product per term.
        var table = new Rational[Variables][];
        for (int i = 0; i < Variables; i++)
        {
            var t = new Rational[maxExp + 1];
            t[0] = Rational.One;
            if (maxExp >= 1) t[1] = x[i];
            for (int k = 2; k <= maxExp; k++)
                t[k] = Basis == PolynomialBasis.Monomial ? t[k - 1] * x[i] : (x[i] * t[k - 1] - t[k - 2]) / k;
            table[i] = t;
        }
        var sum = Rational.Zero;
        foreach (var (m, c) in _terms)
        {
            var v = c;
            for (int i = 0; i < Variables; i++) if (m[i] > 0) v *= table[i][m[i]];
            sum += v;
        }
        return sum;
    }

    private static int MaxExponent(Monomial m)
    {
        int e = 0;
        foreach (var v in m.Exponents) e = Math.Max(e, v);
        return e;
    }

    /// <summary>
    /// The same polynomial in the multivariate Hermite basis: products He_k(x_i)/k!. Converts one variable at a
    /// time with x^n = sum_j n!/(2^j j!) He_(n-2j)(x)/(n-2j)! (exact).
    /// </summary>
    public Polynomial ToHermiteBasis() => ChangeBasis(PolynomialBasis.Monomial, PolynomialBasis.Hermite);

    /// <summary>The same polynomial in the monomial basis (the inverse of <see cref="ToHermiteBasis"/>).</summary>
    public Polynomial ToMonomialBasis() => ChangeBasis(PolynomialBasis.Hermite, PolynomialBasis.Monomial);

    private Polynomial ChangeBasis(PolynomialBasis from, PolynomialBasis to)
    {
        if (Basis == to) return Copy();
        if (Basis != from) throw new InvalidOperationException($"Polynomial: cannot convert from {Basis} to {to}.");
        int maxExp = _terms.Count == 0 ? 0 : _terms.Keys.Max(m => MaxExponent(m));
        // rows[n][k]: the coefficient of basis element k in the expansion of element n of the old basis.
        var rows = to == PolynomialBasis.Hermite ? HermiteTables.MonomialToHermite(maxExp) : HermiteTables.HermiteToMonomial(maxExp);
        var cur = _terms.ToList();
        for (int i = 0; i < Variables; i++)
        {
            var next = new Polynomial(Variables, to);
            foreach (var (m, c) in cur)
            {
                var row = rows[m[i]];
                for (int k = 0; k < row.Length; k++)
                    if (!row[k].IsZero) next.AddTerm(m.WithExponent(i, k), c * row[k]);
            }
            cur = next._terms.ToList();
        }
        var r = new Polynomial(Variables, to);
        foreach (var (m, c) in cur) r._terms[m] = c;
        return r;
    }

    /// <summary>e.g. "3/2*x0*x1 - 1*x2^2 + 1/2" with exact coefficients, terms in monomial order.</summary>
    public override string ToString()
    {
        if (_terms.Count == 0) return "0";
        return string.Join(" + ", _terms.OrderByDescending(t => t.Key).Select(t => $"{t.Value}*{t.Key.ToString(Basis)}"));
    }
}
