namespace Ortho.Analysis;

/// <summary>
/// One coefficient of an expansion: <see cref="Coefficient"/> is the exact value <see cref="Exact"/> rounded to the
/// nearest double, and <see cref="Error"/> an upper bound on |Coefficient - Exact| (the exact rounding error,
/// rounded up; at most half an ulp of the coefficient).
/// </summary>
public readonly record struct PolynomialTerm(Monomial Monomial, double Coefficient, double Error, Rational Exact);

/// <summary>
/// A network as explicit polynomials: <see cref="Outputs"/>[o] is output o as an exact polynomial in the inputs
/// (monomial basis). Its coefficients are reported rounded to double (<see cref="Terms"/>); evaluating them in double
/// comes with a rigorous error bound (<see cref="EvaluateWithBound"/>).
/// </summary>
public sealed class PolynomialMap
{
    internal PolynomialMap(PolynomialPlan plan, IReadOnlyList<Polynomial> outputs)
    {
        Plan = plan;
        Outputs = outputs;
        _rounded = new PolynomialTerm[outputs.Count][];
    }

    private readonly PolynomialTerm[]?[] _rounded;

    private PolynomialTerm[] Rounded(int output) =>
        _rounded[output] ??= Outputs[output].Terms.Select(t => Round(t.Key, t.Value)).ToArray();

    /// <summary>The sizes known before the expansion (degree bound, term bound).</summary>
    public PolynomialPlan Plan { get; }

    /// <summary>Number of input variables.</summary>
    public int Inputs => Plan.Inputs;

    /// <summary>The exact polynomial of each output unit (monomial basis).</summary>
    public IReadOnlyList<Polynomial> Outputs { get; }

    /// <summary>The unit roundoff of double, 2^-53.</summary>
    public const double UnitRoundoff = 1.0 / (1L << 53);

    /// <summary>
    /// Output <paramref name="output"/>'s terms in <paramref name="basis"/>, rounded to double, largest |coefficient|
    /// first (ties in monomial order).
    /// </summary>
    public IReadOnlyList<PolynomialTerm> Terms(int output, PolynomialBasis basis = PolynomialBasis.Monomial)
    {
        var terms = basis == PolynomialBasis.Hermite
            ? Outputs[output].ToHermiteBasis().Terms.Select(t => Round(t.Key, t.Value))
            : Rounded(output);
        return terms
            .OrderByDescending(t => Math.Abs(t.Coefficient)).ThenBy(t => t.Monomial)
            .ToList();
    }

    private static PolynomialTerm Round(Monomial m, Rational exact)
    {
        double c = exact.ToDouble();
        double err = double.IsFinite(c) ? Rational.Abs(exact - Rational.FromDouble(c)).ToDoubleUpper() : double.PositiveInfinity;
        return new PolynomialTerm(m, c, err, exact);
    }

    /// <summary>
    /// Output <paramref name="output"/> at x from the double coefficients, in double, with a bound B such that
    /// |value - p(x)| &lt;= B, where p is the exact polynomial, i.e. the exact function the network computes with its
    /// float32 weights. B = sum_t e_t |x^m_t| + gamma_k sum_t |c_t| |x^m_t| with e_t the coefficient rounding errors,
    /// k = D + T (D the total degree, T the number of terms: each term takes at most D multiplications, the sum
    /// T - 1 additions; Higham's gamma_k = k u / (1 - k u), u = 2^-53), inflated by (1 + 4 k u) to cover the rounding
    /// of the bound's own arithmetic (underflow to subnormals is neglected beyond one smallest subnormal per term).
    /// </summary>
    public (double Value, double Bound) EvaluateWithBound(int output, ReadOnlySpan<double> x)
    {
        if (x.Length != Inputs) throw new ArgumentException($"PolynomialMap: {x.Length} values for {Inputs} inputs.");
        var p = Outputs[output];
        double value = 0, magnitude = 0, coefficientError = 0;
        foreach (var t in Rounded(output))
        {
            var m = t.Monomial;
            double mono = 1, absMono = 1;
            for (int i = 0; i < Inputs; i++)
                for (int e = 0; e < m[i]; e++) { mono *= x[i]; absMono *= Math.Abs(x[i]); }
            value += t.Coefficient * mono;
            magnitude += Math.Abs(t.Coefficient) * absMono;
            coefficientError += t.Error * absMono;
        }
        double k = p.Degree + p.Count;
        double gamma = k * UnitRoundoff / (1 - k * UnitRoundoff);
        double bound = (coefficientError + gamma * magnitude) * (1 + 4 * k * UnitRoundoff) + p.Count * double.Epsilon;
        return (value, bound);
    }

    /// <summary>All outputs at x in double (no bound).</summary>
    public double[] Evaluate(ReadOnlySpan<double> x)
    {
        var r = new double[Outputs.Count];
        for (int o = 0; o < r.Length; o++) r[o] = EvaluateWithBound(o, x).Value;
        return r;
    }
}
