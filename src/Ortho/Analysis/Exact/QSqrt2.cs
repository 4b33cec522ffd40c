namespace Ortho.Analysis;

/// <summary>
/// An exact number a + b sqrt(2) with rational a and b: the field Q(sqrt 2). The tropical activation's scale
/// sqrt(2)/n is irrational, so the breakpoints of a deep tropical network are in this field, not in Q; its sums,
/// products, quotients and signs are all exact, which makes region counting exact.
/// </summary>
public readonly struct QSqrt2 : IEquatable<QSqrt2>, IComparable<QSqrt2>, IForwardNumber<QSqrt2>
{
    /// <summary>a + b sqrt(2).</summary>
    public QSqrt2(Rational a, Rational b) { A = a; B = b; }

    /// <summary>The rational part a.</summary>
    public Rational A { get; }

    /// <summary>The coefficient b of sqrt(2).</summary>
    public Rational B { get; }

    /// <summary>0.</summary>
    public static QSqrt2 Zero => default;

    /// <summary>1.</summary>
    public static QSqrt2 One => new(Rational.One, Rational.Zero);

    /// <summary>sqrt(2).</summary>
    public static QSqrt2 Sqrt2 => new(Rational.Zero, Rational.One);

    /// <summary>A rational.</summary>
    public static implicit operator QSqrt2(Rational a) => new(a, Rational.Zero);

    /// <summary>An integer.</summary>
    public static implicit operator QSqrt2(int a) => new(a, Rational.Zero);

    /// <summary>The exact value of a finite double.</summary>
    public static QSqrt2 FromDouble(double x) => Rational.FromDouble(x);

    /// <summary>True for 0.</summary>
    public bool IsZero => A.IsZero && B.IsZero;

    /// <summary>Sum.</summary>
    public static QSqrt2 operator +(QSqrt2 x, QSqrt2 y) => new(x.A + y.A, x.B + y.B);

    /// <summary>Difference.</summary>
    public static QSqrt2 operator -(QSqrt2 x, QSqrt2 y) => new(x.A - y.A, x.B - y.B);

    /// <summary>Negation.</summary>
    public static QSqrt2 operator -(QSqrt2 x) => new(-x.A, -x.B);

    /// <summary>Product: (a + b r)(c + d r) = (ac + 2bd) + (ad + bc) r.</summary>
    public static QSqrt2 operator *(QSqrt2 x, QSqrt2 y)
    {
        if (x.B.IsZero && y.B.IsZero) return new(x.A * y.A, Rational.Zero);
        return new(x.A * y.A + 2 * (x.B * y.B), x.A * y.B + x.B * y.A);
    }

    /// <summary>Quotient: multiply by the conjugate, (a + b r)^-1 = (a - b r)/(a^2 - 2 b^2).</summary>
    /// <exception cref="DivideByZeroException"><paramref name="y"/> is 0.</exception>
    public static QSqrt2 operator /(QSqrt2 x, QSqrt2 y)
    {
        if (y.IsZero) throw new DivideByZeroException("QSqrt2: division by zero.");
        if (y.B.IsZero) return new(x.A / y.A, x.B / y.A);
        var norm = y.A * y.A - 2 * (y.B * y.B); // nonzero: sqrt(2) is irrational
        var conj = new QSqrt2(y.A, -y.B);
        var p = x * conj;
        return new(p.A / norm, p.B / norm);
    }

    /// <summary>Division by a nonzero integer.</summary>
    public static QSqrt2 operator /(QSqrt2 x, int k) => x / (QSqrt2)k;

    /// <summary>-1, 0 or 1, decided exactly (compares a^2 with 2 b^2 when the parts have opposite signs).</summary>
    public int Sign
    {
        get
        {
            int sa = A.Sign, sb = B.Sign;
            if (sb == 0) return sa;
            if (sa == 0 || sa == sb) return sb;
            int c = (A * A).CompareTo(2 * (B * B)); // |a| vs |b| sqrt(2)
            return c > 0 ? sa : sb;
        }
    }

    /// <summary>Comparisons.</summary>
    public static bool operator <(QSqrt2 x, QSqrt2 y) => (x - y).Sign < 0;

    /// <summary>Comparisons.</summary>
    public static bool operator >(QSqrt2 x, QSqrt2 y) => (x - y).Sign > 0;

    /// <summary>Comparisons.</summary>
    public static bool operator <=(QSqrt2 x, QSqrt2 y) => (x - y).Sign <= 0;

    /// <summary>Comparisons.</summary>
    public static bool operator >=(QSqrt2 x, QSqrt2 y) => (x - y).Sign >= 0;

    /// <summary>Equality.</summary>
    public static bool operator ==(QSqrt2 x, QSqrt2 y) => x.Equals(y);

    /// <summary>Inequality.</summary>
    public static bool operator !=(QSqrt2 x, QSqrt2 y) => !x.Equals(y);

    /// <summary>The larger.</summary>
    public static QSqrt2 Max(QSqrt2 x, QSqrt2 y) => x >= y ? x : y;

    /// <summary>The smaller.</summary>
    public static QSqrt2 Min(QSqrt2 x, QSqrt2 y) => x <= y ? x : y;

    /// <inheritdoc/>
    public int CompareTo(QSqrt2 other) => (this - other).Sign;

    /// <inheritdoc/>
    public bool Equals(QSqrt2 other) => A == other.A && B == other.B; // unique representation: sqrt(2) is irrational

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is QSqrt2 q && Equals(q);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(A, B);

    /// <summary>An approximation for display and plotting (a few ulp).</summary>
    public double ToDouble() => B.IsZero ? A.ToDouble() : A.ToDouble() + B.ToDouble() * Math.Sqrt(2);

    /// <summary>"a + b*sqrt(2)".</summary>
    public override string ToString() => B.IsZero ? A.ToString() : $"{A} + {B}*sqrt(2)";
}
