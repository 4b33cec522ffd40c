namespace Ortho.Analysis;

/// <summary>
/// A closed interval [Lo, Hi] of doubles that encloses a real number. Every operation rounds outward by one ulp
/// (round-to-nearest is off by at most half an ulp), so the result encloses the exact result of the exact operands:
/// interval arithmetic without switching the rounding mode.
/// </summary>
public readonly record struct Interval(double Lo, double Hi) : IForwardNumber<Interval>
{
    /// <summary>The point interval of an exactly representable value.</summary>
    public static Interval Point(double x) => new(x, x);

    /// <summary>The point interval of an exactly representable value.</summary>
    public static Interval FromDouble(double x) => Point(x);

    /// <summary>An interval enclosing sqrt(2).</summary>
    public static Interval Sqrt2 { get; } = new(Math.BitDecrement(Math.Sqrt(2)), Math.BitIncrement(Math.Sqrt(2)));

    /// <summary>The midpoint.</summary>
    public double Mid => Lo + 0.5 * (Hi - Lo);

    /// <summary>Hi - Lo.</summary>
    public double Width => Hi - Lo;

    /// <summary>Whether x lies in the interval.</summary>
    public bool Contains(double x) => Lo <= x && x <= Hi;

    private static Interval Out(double lo, double hi) => new(Math.BitDecrement(lo), Math.BitIncrement(hi));

    /// <summary>Sum.</summary>
    public static Interval operator +(Interval x, Interval y) => Out(x.Lo + y.Lo, x.Hi + y.Hi);

    /// <summary>Difference.</summary>
    public static Interval operator -(Interval x, Interval y) => Out(x.Lo - y.Hi, x.Hi - y.Lo);

    /// <summary>Negation (exact).</summary>
    public static Interval operator -(Interval x) => new(-x.Hi, -x.Lo);

    /// <summary>Product.</summary>
    public static Interval operator *(Interval x, Interval y)
    {
        double a = x.Lo * y.Lo, b = x.Lo * y.Hi, c = x.Hi * y.Lo, d = x.Hi * y.Hi;
        return Out(Math.Min(Math.Min(a, b), Math.Min(c, d)), Math.Max(Math.Max(a, b), Math.Max(c, d)));
    }

    /// <summary>Division by a nonzero integer.</summary>
    public static Interval operator /(Interval x, int k)
    {
        if (k == 0) throw new DivideByZeroException("Interval: division by zero.");
        double a = x.Lo / k, b = x.Hi / k;
        return Out(Math.Min(a, b), Math.Max(a, b));
    }

    /// <summary>max(x, y).</summary>
    public static Interval Max(Interval x, Interval y) => new(Math.Max(x.Lo, y.Lo), Math.Max(x.Hi, y.Hi));
}
