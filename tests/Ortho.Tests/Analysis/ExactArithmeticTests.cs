using System.Numerics;
using Ortho.Analysis;
using Xunit;

namespace Ortho.Tests.Analysis;

/// <summary>Rational, Q(sqrt 2) and interval arithmetic, and the Hermite change-of-basis tables.</summary>
public class ExactArithmeticTests
{
    [Fact]
    public void DoublesRoundTripExactly()
    {
        var rng = new Rng(1);
        double[] special = [0.1, -1e-310, double.Epsilon, double.MaxValue, -double.MinValue, 1.0 / 3, 2.5, 1e300, -7e-320];
        var values = special.Concat(Enumerable.Range(0, 500).Select(_ => BitConverter.Int64BitsToDouble((long)rng.NextUInt64()))).Where(double.IsFinite);
        foreach (var d in values) Assert.Equal(d, Rational.FromDouble(d).ToDouble());
    }

    [Fact]
    public void QuotientsRoundToNearestLikeIeeeDivision()
    {
        // IEEE division of two exact integers is correctly rounded, so it is the reference.
        var rng = new Rng(2);
        for (int i = 0; i < 2000; i++)
        {
            long a = (long)(rng.NextUInt64() >> (11 + rng.NextInt(40))) * (rng.NextInt(2) == 0 ? 1 : -1);
            long b = (long)(rng.NextUInt64() >> (11 + rng.NextInt(40))) + 1;
            Assert.Equal((double)a / b, new Rational(a, b).ToDouble());
        }
        Assert.Equal(double.PositiveInfinity, new Rational(BigInteger.Pow(2, 1024), 1).ToDouble());
        // Subnormal ties go to even: 1.5 and 2.5 smallest subnormals round to 2; 1.25 rounds to 1.
        Assert.Equal(2 * double.Epsilon, new Rational(3, BigInteger.Pow(2, 1075)).ToDouble());
        Assert.Equal(2 * double.Epsilon, new Rational(5, BigInteger.Pow(2, 1075)).ToDouble());
        Assert.Equal(double.Epsilon, new Rational(5, BigInteger.Pow(2, 1076)).ToDouble());
    }

    [Fact]
    public void UpperAndLowerRoundingBracketTheValue()
    {
        var third = new Rational(1, 3);
        Assert.True(Rational.FromDouble(third.ToDoubleUpper()) >= third);
        Assert.True(Rational.FromDouble(third.ToDoubleLower()) <= third);
        Assert.Equal(Math.BitIncrement(third.ToDoubleLower()), third.ToDoubleUpper());
    }

    [Fact]
    public void QSqrt2IsAnExactField()
    {
        var r = QSqrt2.Sqrt2;
        Assert.Equal((QSqrt2)2, r * r);
        Assert.Equal(QSqrt2.One, (1 + r) * (r - 1));
        Assert.Equal(r - 1, QSqrt2.One / (1 + r));
        var rng = new Rng(3);
        for (int i = 0; i < 500; i++)
        {
            var x = new QSqrt2(new Rational(rng.NextInt(2001) - 1000, rng.NextInt(50) + 1), new Rational(rng.NextInt(2001) - 1000, rng.NextInt(50) + 1));
            double approx = x.ToDouble();
            if (Math.Abs(approx) > 1e-9) Assert.Equal(Math.Sign(approx), x.Sign);
            if (!x.IsZero) Assert.Equal(QSqrt2.One, x * (QSqrt2.One / x));
        }
        // Near-cancellation decided exactly: 140/99 < sqrt(2) < 99/70 (continued-fraction convergents).
        Assert.Equal(-1, (r - new Rational(99, 70)).Sign);
        Assert.Equal(1, (r - new Rational(140, 99)).Sign);
        Assert.Equal(1, (new Rational(99, 70) - r).Sign);
    }

    [Fact]
    public void IntervalsEncloseTheExactResult()
    {
        var rng = new Rng(4);
        for (int i = 0; i < 500; i++)
        {
            double a = rng.NextDouble() * 10 - 5, b = rng.NextDouble() * 10 - 5;
            var ia = Interval.Point(a);
            var ib = Interval.Point(b);
            var (ra, rb) = (Rational.FromDouble(a), Rational.FromDouble(b));
            AssertEncloses(ia + ib, ra + rb);
            AssertEncloses(ia - ib, ra - rb);
            AssertEncloses(ia * ib, ra * rb);
            AssertEncloses(ia / 7, ra / 7);
        }
        Assert.True(Interval.Sqrt2.Lo * Interval.Sqrt2.Lo < 2 && Interval.Sqrt2.Hi * Interval.Sqrt2.Hi > 2);
    }

    private static void AssertEncloses(Interval i, Rational exact) =>
        Assert.True(Rational.FromDouble(i.Lo) <= exact && exact <= Rational.FromDouble(i.Hi), $"{i} does not hold {exact}");

    [Fact]
    public void HermiteTablesAreInverse()
    {
        const int n = 12;
        var toMono = HermiteTables.HermiteToMonomial(n);
        var toHerm = HermiteTables.MonomialToHermite(n);
        for (int a = 0; a <= n; a++)
            for (int b = 0; b <= a; b++)
            {
                // (x^a in the phi basis) then back to monomials is x^a.
                var s = Rational.Zero;
                for (int k = b; k <= a; k++) if (b < toMono[k].Length) s += toHerm[a][k] * toMono[k][b];
                Assert.Equal(a == b ? Rational.One : Rational.Zero, s);
            }
        // phi_4 = He_4/4! = (x^4 - 6x^2 + 3)/24.
        Assert.Equal(new Rational[] { new(1, 8), 0, new(-1, 4), 0, new(1, 24) }, toMono[4]);
    }
}
