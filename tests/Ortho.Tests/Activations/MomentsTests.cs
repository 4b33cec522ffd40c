using Ortho.Activations;
using Xunit;

namespace Ortho.Tests.Activations;

public class MomentsTests
{
    // Reference values from Python's math.erf / math.erfc.
    [Theory]
    [InlineData(-3.5, -0.9999992569016276)]
    [InlineData(-1.0, -0.8427007929497149)]
    [InlineData(0.1, 0.1124629160182849)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.5, 0.9661051464753108)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.5, 0.999593047982555)]
    [InlineData(4.0, 0.9999999845827421)]
    public void ErfMatchesReference(double x, double expected) =>
        Assert.True(Math.Abs(SpecialFunctions.Erf(x) - expected) <= 2e-16 * Math.Max(1, Math.Abs(expected)) + 1e-16,
            $"erf({x}) = {SpecialFunctions.Erf(x):R}, expected {expected:R}");

    [Theory]
    [InlineData(-2.5, 1.999593047982555)]
    [InlineData(0.3, 0.6713732405408726)]
    [InlineData(1.9, 0.0072095707647425325)]
    [InlineData(2.0, 0.004677734981047265)]
    [InlineData(3.0, 2.2090496998585438e-05)]
    [InlineData(5.0, 1.5374597944280351e-12)]
    [InlineData(8.0, 1.1224297172982928e-29)]
    [InlineData(20.0, 5.3958656116079005e-176)]
    public void ErfcMatchesReferenceInRelativeTerms(double x, double expected)
    {
        double rel = x < 2 && x > 0 ? 1e-13 : 2e-15;   // 1 - erf(x) below 2 loses relative digits as erfc gets small
        Assert.True(Math.Abs(SpecialFunctions.Erfc(x) - expected) <= rel * expected, $"erfc({x}) = {SpecialFunctions.Erfc(x):R}, expected {expected:R}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(128)]
    public void GaussHermiteIsExactForPolynomialsUpToDegree2nMinus1(int n)
    {
        var (z, w) = GaussHermite.Rule(n);
        Assert.Equal(n, z.Length);
        double doubleFactorial = 1; // E[z^{2k}] = (2k-1)!!
        for (int k = 0; 2 * k <= 2 * n - 1 && k <= 40; k++)
        {
            if (k > 0) doubleFactorial *= 2 * k - 1;
            double even = 0, odd = 0;
            for (int i = 0; i < n; i++) { even += w[i] * Math.Pow(z[i], 2 * k); odd += w[i] * Math.Pow(z[i], 2 * k + 1); }
            Assert.True(Math.Abs(even - doubleFactorial) <= 1e-11 * doubleFactorial, $"n={n}: E[z^{2 * k}] = {even}, expected {doubleFactorial}");
            Assert.True(Math.Abs(odd) <= 1e-11 * doubleFactorial * 10, $"n={n}: E[z^{2 * k + 1}] = {odd}");
        }
        for (int i = 1; i < n; i++) Assert.True(z[i] > z[i - 1]);
    }

    [Theory]
    [InlineData(2, 0.73576)]
    [InlineData(3, 0.91970)]
    [InlineData(4, 0.98101)]
    [InlineData(5, 0.99634)]
    public void HermiteInitMomentsMatchDesign(int n, double expected)
    {
        var m = ActivationMoments.Of(ActivationParameters.Initial(ActivationKind.Hermite, n));
        // Under the variance-preserving init both equal e^{-1} sum_{j<n} 1/j! (checked to 5 digits).
        Assert.Equal(expected, m.SecondMoment, 5e-6);
        Assert.Equal(expected, m.DerivativeSecondMoment, 5e-6);
        double exact = Math.Exp(-1) * Enumerable.Range(0, n).Sum(j => 1 / Enumerable.Range(1, j).Aggregate(1.0, (a, b) => a * b));
        Assert.Equal(exact, m.SecondMoment, 1e-6);   // float parameters: ~1e-7 off the exact value
        Assert.Equal(m.ForwardGain, m.BackwardGain, 1e-6);
    }

    [Fact]
    public void HermiteMomentsAreDiagonalUnderStandardNormal()
    {
        // E[f^2] = sum a_k^2 / k!, E[f'^2] = sum_{k>=1} a_k^2 / (k-1)!, E[f] = a_0, for arbitrary coefficients.
        float[] a = [0.3f, -1.2f, 0.7f, 2.5f, -0.4f, 1.1f, 0.9f];
        var p = new ActivationParameters(ActivationKind.Hermite, 6);
        a.CopyTo(p["coefficients"], 0);
        var m = ActivationMoments.Of(p);
        double e2 = 0, d2 = 0, fact = 1;
        for (int k = 0; k < a.Length; k++)
        {
            if (k > 0) fact *= k;
            e2 += (double)a[k] * a[k] / fact;
            if (k > 0) d2 += (double)a[k] * a[k] / (fact / k);
        }
        Assert.Equal(a[0], m.Mean, 1e-12);
        Assert.Equal(e2, m.SecondMoment, 1e-12);
        Assert.Equal(d2, m.DerivativeSecondMoment, 1e-12);
    }

    [Theory]
    [InlineData(3, 0.96968, 1.2854, 0.9223)]
    [InlineData(5, 0.97893, 1.3073, 0.96495)]
    public void FourierInitMomentsMatchDesign(int n, double mean, double second, double deriv)
    {
        var m = ActivationMoments.Of(ActivationParameters.Initial(ActivationKind.Fourier, n));
        Assert.Equal(mean, m.Mean, 5e-5);
        Assert.Equal(second, m.SecondMoment, 5e-4);
        Assert.Equal(deriv, m.DerivativeSecondMoment, n == 3 ? 5e-4 : 5e-5);
    }

    [Fact]
    public void FourierClosedFormAgreesWithQuadratureForPerturbedParameters()
    {
        var p = ActivationParameters.Initial(ActivationKind.Fourier, 4);
        var rng = new Rng(5);
        foreach (var name in p.Names)
            for (int i = 0; i < p[name].Length; i++) p[name][i] += 0.3f * (float)(rng.NextDouble() - 0.5);
        foreach (double sigma in new[] { 0.5, 1.0, 1.7 })
        {
            var exact = ActivationMoments.Of(p, sigma);
            var quad = ActivationMoments.Compute(x => ActivationKernels.Evaluate(p, x, out _), x => { ActivationKernels.Evaluate(p, x, out double d); return d; }, sigma, 128);
            Assert.Equal(quad.Mean, exact.Mean, 1e-10);
            Assert.Equal(quad.SecondMoment, exact.SecondMoment, 1e-10);
            Assert.Equal(quad.DerivativeSecondMoment, exact.DerivativeSecondMoment, 1e-10);
        }
    }

    [Theory]
    [InlineData(3, 1.75415)]
    [InlineData(5, 1.39915)]
    public void TropicalInitMomentsAreExact(int n, double design)
    {
        var m = ActivationMoments.Of(ActivationParameters.Initial(ActivationKind.Tropical, n));
        double exact = 1 + 2.0 / (n * n) + 4 / (n * Math.Sqrt(2 * Math.PI));
        Assert.Equal(exact, m.SecondMoment, 1e-12);
        Assert.Equal(design, m.SecondMoment, 1e-5);
        Assert.Equal(1.0, m.DerivativeSecondMoment, 1e-12);
        Assert.Equal(1.0, m.BackwardGain, 1e-12);
    }

    [Theory]
    [InlineData(ActivationKind.Tropical, 6, 1.0)]
    [InlineData(ActivationKind.Tropical, 40, 0.7)]
    [InlineData(ActivationKind.TropicalRational, 3, 1.0)]
    [InlineData(ActivationKind.TropicalRational, 8, 2.0)]
    public void PiecewiseLinearMomentsAgreeWithFineNumericalIntegration(ActivationKind kind, int n, double sigma)
    {
        var rng = new Rng(11);
        var p = ActivationParameters.Initial(kind, n, rng);
        if (kind == ActivationKind.Tropical) rng.FillNormal(p[ActivationParameterNames.Tropical.Coefficients]);
        var m = ActivationMoments.Of(p, sigma);
        // Independent check: midpoint rule on a fine grid over [-12 sigma, 12 sigma] for E[f] and E[f^2] (f is
        // continuous: error O(h^2)); for the piecewise-constant f'^2, the kinks are located by scanning the grid for
        // slope changes and bisecting, then E[f'^2] = sum slope^2 * mass between kinks.
        const int steps = 400_000;
        double h = 24.0 * sigma / steps, m1 = 0, m2 = 0;
        var kinks = new List<double>();
        double prevSlope = double.NaN, prevX = double.NaN;
        for (int i = 0; i < steps; i++)
        {
            double x = -12 * sigma + (i + 0.5) * h, w = h * SpecialFunctions.NormalPdf(x / sigma) / sigma;
            double f = ActivationKernels.Evaluate(p, x, out double d);
            m1 += w * f; m2 += w * f * f;
            if (i > 0 && d != prevSlope)
            {
                double lo = prevX, hi = x;
                for (int it = 0; it < 60; it++)
                {
                    double mid = 0.5 * (lo + hi);
                    ActivationKernels.Evaluate(p, mid, out double dm);
                    if (dm == prevSlope) lo = mid; else hi = mid;
                }
                kinks.Add(0.5 * (lo + hi));
            }
            prevSlope = d; prevX = x;
        }
        double d2 = 0;
        for (int j = 0; j <= kinks.Count; j++)
        {
            double lo = j == 0 ? -40 * sigma : kinks[j - 1], hi = j == kinks.Count ? 40 * sigma : kinks[j];
            ActivationKernels.Evaluate(p, j == 0 ? hi - 1e-9 : lo + 1e-9, out double slope);
            d2 += slope * slope * (SpecialFunctions.NormalCdf(hi / sigma) - SpecialFunctions.NormalCdf(lo / sigma));
        }
        Assert.True(kinks.Count >= 1);
        Assert.Equal(m1, m.Mean, 1e-7 * Math.Max(1, Math.Abs(m1)));
        Assert.Equal(m2, m.SecondMoment, 1e-7 * Math.Max(1, m2));
        Assert.Equal(d2, m.DerivativeSecondMoment, 1e-9 * Math.Max(1, d2));
    }

    [Fact]
    public void GeneralQuadratureReproducesGaussianFacts()
    {
        // f = x: E[f] = 0, E[f^2] = sigma^2, E[f'^2] = 1 -> gains sigma^2 / sigma^2 = 1 and sigma^2.
        var m = ActivationMoments.Compute(x => x, _ => 1, sigma: 2);
        Assert.Equal(0, m.Mean, 1e-12);
        Assert.Equal(4, m.SecondMoment, 1e-12);
        Assert.Equal(1, m.ForwardGain, 1e-12);
        Assert.Equal(4, m.BackwardGain, 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() => ActivationMoments.Compute(x => x, _ => 1, sigma: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussHermite.Rule(GaussHermite.MaxNodes + 1));
    }
}
