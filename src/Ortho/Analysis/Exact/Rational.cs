using System.Globalization;
using System.Numerics;

namespace Ortho.Analysis;

/// <summary>
/// An exact fraction of big integers, always in lowest terms with a positive denominator. Every float and double is
/// one exactly (a dyadic rational), so a network's float32 weights enter exact computations without error;
/// <see cref="ToDouble"/> rounds back correctly (to nearest, ties to even).
/// </summary>
public readonly struct Rational : IEquatable<Rational>, IComparable<Rational>
{
    private readonly BigInteger _num, _den; // _den == 0 only in default(Rational), which means 0

    private Rational(BigInteger num, BigInteger den, bool normalized)
    {
        if (!normalized)
        {
            if (den.IsZero) throw new DivideByZeroException("Rational: zero denominator.");
            if (den.Sign < 0) { num = -num; den = -den; }
            var g = BigInteger.GreatestCommonDivisor(num, den);
            if (!g.IsOne && !g.IsZero) { num /= g; den /= g; }
            if (num.IsZero) den = BigInteger.One;
        }
        _num = num;
        _den = den;
    }

    /// <summary>num / den in lowest terms.</summary>
    public Rational(BigInteger num, BigInteger den) : this(num, den, normalized: false) { }

    /// <summary>The integer <paramref name="n"/>.</summary>
    public Rational(BigInteger n) : this(n, BigInteger.One, normalized: true) { }

    /// <summary>0.</summary>
    public static Rational Zero => default;

    /// <summary>1.</summary>
    public static Rational One => new(BigInteger.One);

    /// <summary>The numerator (carries the sign).</summary>
    public BigInteger Numerator => _num;

    /// <summary>The denominator (positive).</summary>
    public BigInteger Denominator => _den.IsZero ? BigInteger.One : _den;

    /// <summary>-1, 0 or 1.</summary>
    public int Sign => _num.Sign;

    /// <summary>True for 0.</summary>
    public bool IsZero => _num.IsZero;

    /// <summary>The exact value of a finite double.</summary>
    /// <exception cref="ArgumentException">The value is NaN or infinite.</exception>
    public static Rational FromDouble(double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"Rational: {value} is not a finite number.", nameof(value));
        if (value == 0) return Zero;
        long bits = BitConverter.DoubleToInt64Bits(value);
        bool negative = bits < 0;
        int exp = (int)((bits >> 52) & 0x7FF);
        long mant = bits & 0xFFFFFFFFFFFFFL;
        if (exp == 0) exp = 1; else mant |= 1L << 52; // subnormal vs normal
        exp -= 1075; // value = mant * 2^exp
        var num = new BigInteger(negative ? -mant : mant);
        return exp >= 0 ? new Rational(num << exp) : new Rational(num, BigInteger.One << -exp);
    }

    /// <summary>The exact value of a finite float.</summary>
    public static Rational FromFloat(float value) => FromDouble(value);

    /// <summary>An integer.</summary>
    public static implicit operator Rational(int n) => new(new BigInteger(n));

    /// <summary>Sum.</summary>
    public static Rational operator +(Rational a, Rational b)
    {
        if (a.IsZero) return b;
        if (b.IsZero) return a;
        if (a.Denominator == b.Denominator) return new Rational(a._num + b._num, a.Denominator);
        return new Rational(a._num * b.Denominator + b._num * a.Denominator, a.Denominator * b.Denominator);
    }

    /// <summary>Difference.</summary>
    public static Rational operator -(Rational a, Rational b) => a + -b;

    /// <summary>Negation.</summary>
    public static Rational operator -(Rational a) => new(-a._num, a.Denominator, normalized: true);

    /// <summary>Product.</summary>
    public static Rational operator *(Rational a, Rational b)
    {
        if (a.IsZero || b.IsZero) return Zero;
        return new Rational(a._num * b._num, a.Denominator * b.Denominator);
    }

    /// <summary>Quotient.</summary>
    /// <exception cref="DivideByZeroException"><paramref name="b"/> is 0.</exception>
    public static Rational operator /(Rational a, Rational b)
    {
        if (b.IsZero) throw new DivideByZeroException("Rational: division by zero.");
        return new Rational(a._num * b.Denominator, a.Denominator * b._num);
    }

    /// <summary>|a|.</summary>
    public static Rational Abs(Rational a) => a.Sign < 0 ? -a : a;

    /// <summary>a^k for k &gt;= 0.</summary>
    public static Rational Pow(Rational a, int k)
    {
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), "Rational.Pow: negative exponent.");
        return new Rational(BigInteger.Pow(a._num, k), BigInteger.Pow(a.Denominator, k), normalized: true);
    }

    /// <summary>Comparisons.</summary>
    public static bool operator <(Rational a, Rational b) => a.CompareTo(b) < 0;

    /// <summary>Comparisons.</summary>
    public static bool operator >(Rational a, Rational b) => a.CompareTo(b) > 0;

    /// <summary>Comparisons.</summary>
    public static bool operator <=(Rational a, Rational b) => a.CompareTo(b) <= 0;

    /// <summary>Comparisons.</summary>
    public static bool operator >=(Rational a, Rational b) => a.CompareTo(b) >= 0;

    /// <summary>Equality.</summary>
    public static bool operator ==(Rational a, Rational b) => a.Equals(b);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Rational a, Rational b) => !a.Equals(b);

    /// <inheritdoc/>
    public int CompareTo(Rational other)
    {
        if (Denominator == other.Denominator) return _num.CompareTo(other._num);
        return (_num * other.Denominator).CompareTo(other._num * Denominator);
    }

    /// <inheritdoc/>
    public bool Equals(Rational other) => _num == other._num && Denominator == other.Denominator;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Rational r && Equals(r);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_num, Denominator);

    /// <summary>
    /// The nearest double (ties to even), subnormals included; +-infinity beyond the double range. Exact when the
    /// value is a double.
    /// </summary>
    public double ToDouble()
    {
        if (_num.IsZero) return 0;
        var a = BigInteger.Abs(_num);
        var b = Denominator;
        // q = floor(a 2^k / b) with at least 55 significant bits; the rest of the quotient is the sticky bit.
        long k = 56 - ((long)a.GetBitLength() - (long)b.GetBitLength());
        BigInteger q, r;
        if (k >= 0) q = BigInteger.DivRem(a << (int)k, b, out r);
        else q = BigInteger.DivRem(a, b << (int)-k, out r);
        bool sticky = !r.IsZero;
        long qBits = (long)q.GetBitLength();
        long lead = qBits - 1 - k; // the value is in [2^lead, 2^(lead+1))
        if (lead > 1023) return _num.Sign * double.PositiveInfinity;
        long keep = lead >= -1022 ? 53 : 53 - (-1022 - lead); // significant bits a double holds at this magnitude
        if (keep < 0) return _num.Sign * 0.0;
        long drop = qBits - keep;
        var mant = q >> (int)drop;
        var rest = q - (mant << (int)drop);
        var half = BigInteger.One << (int)(drop - 1);
        int c = rest.CompareTo(half);
        if (c > 0 || (c == 0 && (sticky || !mant.IsEven))) mant += 1;
        double m = (double)(ulong)mant; // at most 2^53: exact
        return _num.Sign * Math.ScaleB(m, (int)(drop - k));
    }

    /// <summary>A double at least this value (the nearest double, moved up one step if it fell below).</summary>
    public double ToDoubleUpper()
    {
        double d = ToDouble();
        return FromDoubleOrInfinity(d) < this ? Math.BitIncrement(d) : d;
    }

    /// <summary>A double at most this value.</summary>
    public double ToDoubleLower()
    {
        double d = ToDouble();
        return FromDoubleOrInfinity(d) > this ? Math.BitDecrement(d) : d;
    }

    private Rational FromDoubleOrInfinity(double d) =>
        double.IsFinite(d) ? FromDouble(d) : d > 0 ? this + One : this - One; // infinity compares beyond any value

    /// <summary>The fraction, e.g. "-3/8", or the integer.</summary>
    public override string ToString() => Denominator.IsOne
        ? _num.ToString(CultureInfo.InvariantCulture)
        : _num.ToString(CultureInfo.InvariantCulture) + "/" + Denominator.ToString(CultureInfo.InvariantCulture);
}
