using System.Numerics;
using Ortho.Activations;
using Ortho.Analysis;
using Ortho.Models;
using Xunit;

namespace Ortho.Tests.Analysis;

/// <summary>Hermite MLPs expanded into explicit polynomials, checked exactly and against the network in double.</summary>
public class PolynomialTests
{
    /// <summary>An MLP with hermite activations of the given degrees and random (non-default) coefficients.</summary>
    internal static Mlp RandomHermiteMlp(int inputs, int[] hidden, int[] degrees, int outputs, ulong seed)
    {
        var cfg = new MlpConfig(inputs, hidden, outputs, degrees.Select(d => $"hermite:{d}").ToArray());
        var rng = new Rng(seed);
        var model = new Mlp(cfg, rng);
        foreach (var act in model.Activations.Cast<HermiteActivation>()) rng.FillUniform(act.Coefficients.Data, -1f, 1f);
        return model;
    }

    private static double[] RandomPoint(Rng rng, int d)
    {
        var x = new double[d];
        for (int i = 0; i < d; i++) x[i] = rng.NextDouble() * 4 - 2;
        return x;
    }

    public static TheoryData<int, int[], int[], int> Architectures() => new()
    {
        { 3, [4], [1], 1 },
        { 3, [5], [2], 2 },
        { 2, [6], [5], 1 },
        { 2, [3, 4], [2, 3], 2 },
        { 3, [4, 3], [3, 1], 1 },
        { 2, [3, 3, 2], [2, 2, 2], 1 },
        { 1, [2, 2, 2], [3, 2, 2], 2 },
    };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void ExpansionEqualsTheNetworkExactlyAndInDouble(int inputs, int[] hidden, int[] degrees, int outputs)
    {
        var model = RandomHermiteMlp(inputs, hidden, degrees, outputs, seed: (ulong)(hidden.Sum() * 31 + degrees.Sum()));
        var map = PolynomialExpansion.Expand(model);
        int degree = degrees.Aggregate(1, (a, b) => a * b);
        Assert.Equal(degree, map.Plan.DegreeBound);
        Assert.Equal(PolynomialExpansion.MonomialCount(inputs, degree), map.Plan.TermBound);
        var rng = new Rng(7);
        for (int o = 0; o < outputs; o++)
        {
            Assert.Equal(degree, map.Outputs[o].Degree); // generic coefficients: the top degree survives
            Assert.True(map.Outputs[o].Count <= map.Plan.TermBound);
        }
        for (int trial = 0; trial < 8; trial++)
        {
            var x = RandomPoint(rng, inputs);
            // 1. Exact identity with the network evaluated by its recurrence in exact arithmetic.
            var exact = MlpReference.EvaluateExact(model, x.Select(QSqrt2.FromDouble).ToArray());
            var xr = x.Select(Rational.FromDouble).ToArray();
            for (int o = 0; o < outputs; o++) Assert.Equal(exact[o], (QSqrt2)map.Outputs[o].Evaluate(xr));
            // 2. The double evaluation lies within its stated bound of the network's rigorous double enclosure.
            var enclosure = MlpReference.Enclose(model, x);
            var forward = model.ForwardDouble(x);
            var predicted = model.Predict(x.Select(v => (float)v).ToArray(), 1);
            for (int o = 0; o < outputs; o++)
            {
                var (value, bound) = map.EvaluateWithBound(o, x);
                Assert.True(bound > 0 && bound < 1e-6 * (1 + Math.Abs(value)), $"bound {bound} for value {value}");
                Assert.InRange(value, enclosure[o].Lo - bound, enclosure[o].Hi + bound);
                Assert.True(enclosure[o].Width < 1e-9 * (1 + Math.Abs(value)), $"enclosure {enclosure[o]}");
                Assert.Equal(forward[o], value, 1e-9 * (1 + Math.Abs(value)));
                // 3. The float32 module computes the same function (guards the reading of weights and coefficients).
                Assert.Equal(value, predicted[o], 2e-4 * (1 + Math.Abs(value)));
            }
        }
    }

    [Fact]
    public void CoefficientsAreTheExactValuesRoundedToNearest()
    {
        var model = RandomHermiteMlp(2, [3, 2], [2, 2], 1, 3);
        var map = PolynomialExpansion.Expand(model);
        var terms = map.Terms(0);
        Assert.Equal(map.Outputs[0].Count, terms.Count);
        for (int i = 0; i < terms.Count; i++)
        {
            var t = terms[i];
            Assert.Equal(t.Exact.ToDouble(), t.Coefficient);
            Assert.True(t.Error <= Math.Abs(t.Coefficient) * PolynomialMap.UnitRoundoff, $"{t.Monomial}: error {t.Error}");
            Assert.True(Rational.Abs(t.Exact - Rational.FromDouble(t.Coefficient)) <= Rational.FromDouble(t.Error));
            if (i > 0) Assert.True(Math.Abs(terms[i - 1].Coefficient) >= Math.Abs(t.Coefficient)); // largest first
        }
    }

    [Fact]
    public void HermiteBasisRepresentsTheSamePolynomial()
    {
        var model = RandomHermiteMlp(3, [4], [3], 1, 11);
        var p = PolynomialExpansion.Expand(model).Outputs[0];
        var h = p.ToHermiteBasis();
        Assert.Equal(PolynomialBasis.Hermite, h.Basis);
        var rng = new Rng(5);
        for (int trial = 0; trial < 5; trial++)
        {
            var x = RandomPoint(rng, 3).Select(Rational.FromDouble).ToArray();
            Assert.Equal(p.Evaluate(x), h.Evaluate(x));
        }
        var back = h.ToMonomialBasis();
        Assert.Equal(p.Count, back.Count);
        foreach (var (m, c) in p.Terms) Assert.Equal(c, back[m]);
    }

    [Fact]
    public void OneHermiteNeuronIsItsActivationInTheHermiteBasis()
    {
        // y = f(x0) with f = sum a_k He_k/k!: in the Hermite basis the coefficients are exactly the a_k.
        var model = new Mlp(new MlpConfig(1, [1], 1, ["hermite:4"]), new Rng(0));
        model.Linears[0].Weight.Data[0] = 1; model.Linears[0].Bias!.Data[0] = 0;
        model.Linears[1].Weight.Data[0] = 1; model.Linears[1].Bias!.Data[0] = 0;
        float[] a = [0.5f, -1.25f, 2f, 0.75f, -0.125f];
        a.CopyTo(((HermiteActivation)model.Activations[0]).Coefficients.Data);
        var terms = PolynomialExpansion.Expand(model).Terms(0, PolynomialBasis.Hermite);
        for (int k = 0; k <= 4; k++) Assert.Equal(a[k], terms.Single(t => t.Monomial[0] == k).Coefficient);
    }

    [Theory]
    [InlineData(0, 0, 1)]
    [InlineData(1, 1, 2)]
    [InlineData(1, 2, 3)]
    [InlineData(2, 4, 15)]
    [InlineData(4, 3, 35)]
    [InlineData(16, 10, 5311735)]
    public void MonomialCountIsTheMultinomialCount(int degree, int variables, long expected) =>
        Assert.Equal(new BigInteger(expected), PolynomialExpansion.MonomialCount(variables, degree));

    [Fact]
    public void RefusesExpansionsOverTheTermLimitWithTheExpectedSize()
    {
        var model = RandomHermiteMlp(10, [4, 4], [4, 4], 1, 1);
        var e = Assert.Throws<PolynomialTooLargeException>(() => PolynomialExpansion.Expand(model, maxTerms: 100_000));
        Assert.Equal(new BigInteger(5311735), e.Plan.TermBound); // C(10 + 16, 10)
        Assert.Contains("5,311,735", e.Message);
        Assert.Contains("D = 16", e.Message);
    }

    [Theory]
    [InlineData("tropical:3")]
    [InlineData("gelu")]
    public void RefusesNonHermiteActivations(string act)
    {
        var model = new Mlp(new MlpConfig(2, [3, 3], 1, ["hermite:2", act]), new Rng(0));
        var e = Assert.Throws<ArgumentException>(() => PolynomialExpansion.Expand(model));
        Assert.Contains("hidden layer 1 (layers.3)", e.Message);
        Assert.Contains(act, e.Message);
    }

    [Fact]
    public void LearnsAKnownQuadraticAndRecoversItsCoefficients()
    {
        // y = x0 x1 - x2^2 + 0.5 + noise: a one-hidden-layer Hermite-2 network is a quadratic in the inputs, so it
        // can represent y exactly; after training, its expansion's coefficients are y's.
        var (model, result) = QuadraticExample.Train();
        Assert.InRange(result.FinalLoss, 0.0015, 0.004); // at the noise level: variance 0.05^2 = 0.0025
        var terms = PolynomialExpansion.Expand(model).Terms(0);
        double Coef(params int[] e) => terms.FirstOrDefault(t => t.Monomial.Exponents.SequenceEqual(e)).Coefficient;
        Assert.Equal(1.0, Coef(1, 1, 0), 0.05);
        Assert.Equal(-1.0, Coef(0, 0, 2), 0.05);
        Assert.Equal(0.5, Coef(0, 0, 0), 0.05);
        foreach (var t in terms.Where(t => !(t.Monomial.Exponents.SequenceEqual([1, 1, 0]) || t.Monomial.Exponents.SequenceEqual([0, 0, 2]) || t.Monomial.Degree == 0)))
            Assert.True(Math.Abs(t.Coefficient) < 0.05, $"{t.Monomial}: {t.Coefficient}");
        Assert.Equal(2, PolynomialExpansion.Expand(model).Outputs[0].Degree);
    }
}
