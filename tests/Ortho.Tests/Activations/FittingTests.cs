using Ortho.Activations;
using Xunit;

namespace Ortho.Tests.Activations;

/// <summary>Uses the process-wide fit cache: runs alone.</summary>
[Collection("EngineSettings.Threads")]
public class FittingTests
{
    // Reachable least-squares errors on [-3, 3], uniform weight, GELU (erf): max |f-g| 2.9e-3 / 7.6e-5 / 1.3e-6 and
    // max |f'-g'| 2.4e-2 / 1.2e-3 / 2.8e-5 at degrees 8 / 12 / 16.
    [Theory]
    [InlineData(8, 3e-3, 2.5e-2)]
    [InlineData(12, 1e-4, 1.25e-3)]
    [InlineData(16, 2e-6, 3e-5)]
    public void HermiteFitsGeluErfToTheDesignAccuracy(int degree, double maxError, double maxDerivativeError)
    {
        var fit = ActivationFitter.Fit(ActivationKind.Hermite, degree, FitTarget.GeluErf, new FitOptions { Lo = -3, Hi = 3 });
        Assert.True(fit.Report.MaxError <= maxError, fit.Report.ToString());
        Assert.True(fit.Report.MaxDerivativeError <= maxDerivativeError, fit.Report.ToString());
        // What the float kernels deliver with these parameters holds the same bounds.
        Assert.True(fit.Report.MaxKernelError <= maxError, fit.Report.ToString());
        Assert.True(fit.Report.MaxKernelDerivativeError <= maxDerivativeError, fit.Report.ToString());
        // The report is independent: recompute max |f - g| here on another grid.
        double worst = 0;
        for (int i = 0; i <= 3000; i++)
        {
            double x = -3 + 6.0 * i / 3000;
            double gelu = 0.5 * x * (1 + SpecialFunctions.Erf(x / Math.Sqrt(2)));
            worst = Math.Max(worst, Math.Abs(ActivationKernels.Evaluate(fit.Parameters, x, out _) - gelu));
        }
        Assert.True(worst <= maxError, $"independent max error {worst}");
    }

    [Fact]
    public void HermiteRecoversAPolynomialExactly()
    {
        // g = 0.3 + x - 0.2 x^3 lies in the degree-3 space: the fit must reproduce it (up to float parameters).
        var fit = ActivationFitter.Fit(ActivationKind.Hermite, 3, x => 0.3 + x - 0.2 * x * x * x, x => 1 - 0.6 * x * x,
            new FitOptions { Lo = -2, Hi = 2, HermiteRidge = 0 });
        Assert.True(fit.Report.MaxError < 1e-6, fit.Report.ToString());
        // phi_3 = (x^3 - 3x)/6 => a_3 = -1.2; phi_1 coefficient: 1 - 0.6 = 0.4 ... a_0 = 0.3, a_2 = 0.
        var a = fit.Parameters[ActivationParameterNames.Hermite.Coefficients];
        Assert.Equal(0.3f, a[0], 1e-5f);
        Assert.Equal(0.4f, a[1], 1e-5f);
        Assert.Equal(0f, a[2], 1e-5f);
        Assert.Equal(-1.2f, a[3], 1e-5f);
    }

    [Fact]
    public void FourierRecoversAHarmonicSeriesAtAGivenBaseFrequency()
    {
        // g = 0.5 + 0.8 cos(0.7 x - 0.3) + 0.25 cos(1.4 x + 1.1) / 2: degree 2, w0 = 0.7.
        double G(double x) => 0.5 + 0.8 * Math.Cos(0.7 * x - 0.3) + 0.25 * Math.Cos(1.4 * x + 1.1) / 2;
        double Dg(double x) => -0.8 * 0.7 * Math.Sin(0.7 * x - 0.3) - 0.25 * 1.4 * Math.Sin(1.4 * x + 1.1) / 2;
        var fit = ActivationFitter.Fit(ActivationKind.Fourier, 2, G, Dg, new FitOptions { FourierBaseFrequency = 0.7 });
        Assert.True(fit.Report.MaxError < 1e-6, fit.Report.ToString());
        var p = fit.Parameters;
        Assert.Equal(0.5f, p["fundamental"][0], 1e-5f);
        Assert.Equal(0.8f, p["coefficients"][0], 1e-5f);
        Assert.Equal(0.25f, p["coefficients"][1], 1e-5f);
        Assert.Equal(0.3f, p["phases"][0], 1e-5f);
        Assert.Equal(-1.1f, p["phases"][1], 1e-5f);
        Assert.True(FourierKernels.IsHarmonic(p["grid"]));
    }

    [Theory]
    [InlineData(3, 2e-2)]
    [InlineData(5, 5e-4)]
    [InlineData(8, 2e-6)]
    public void FourierFitsGeluWithHarmonicFrequencies(int degree, double maxError)
    {
        var fit = ActivationFitter.Fit(ActivationKind.Fourier, degree, FitTarget.GeluErf);
        Assert.True(fit.Report.MaxKernelError <= maxError, fit.Report.ToString());
        Assert.True(FourierKernels.IsHarmonic(fit.Parameters["grid"]), "the fitted grid keeps the fast harmonic path");
        Assert.All(fit.Parameters["coefficients"], c => Assert.True(c >= 0));
    }

    [Fact]
    public void FourierRefinementDoesNotMakeTheFitWorse()
    {
        var plain = ActivationFitter.Fit(ActivationKind.Fourier, 3, FitTarget.Tanh);
        var refined = ActivationFitter.Fit(ActivationKind.Fourier, 3, FitTarget.Tanh, new FitOptions { RefineFrequencies = true });
        Assert.True(refined.Report.Objective <= plain.Report.Objective * (1 + 1e-6), $"{refined.Report} vs {plain.Report}");
    }

    public static IEnumerable<object[]> TropicalCases() =>
        from k in new[] { ActivationKind.Tropical, ActivationKind.TropicalRational }
        from t in new[] { "gelu", "relu", "silu" }
        select new object[] { k, t };

    [Theory]
    [MemberData(nameof(TropicalCases))]
    public void TropicalFitsImproveOnTheInitialFunction(ActivationKind kind, string target)
    {
        var t = FitTarget.Parse(target);
        const int n = 5;
        var fit = ActivationFitter.Fit(kind, n, t);
        var grid = new FitGrid(t, new FitOptions());
        double initial = grid.Objective(ActivationParameters.Initial(kind, n, new Rng(1)));
        Assert.True(fit.Report.Objective < 0.5 * initial, $"{fit.Report} (initial objective {initial})");
        Assert.Equal(fit.Report.Objective, grid.Objective(fit.Parameters), 1e-12);
        if (kind == ActivationKind.TropicalRational)
            Assert.True(fit.Report.MaxError < (target == "relu" ? 2e-3 : 2e-2), fit.Report.ToString());
        else
            Assert.True(fit.Report.MaxError < 0.2, fit.Report.ToString());
    }

    [Fact]
    public void TropicalRationalRepresentsAPiecewiseLinearTargetWithItsKinks()
    {
        // g = relu(x) - 0.5 relu(x - 1) + 0.3 relu(-x - 1): one concave and two convex kinks, all at grid points.
        double G(double x) => Math.Max(0, x) - 0.5 * Math.Max(0, x - 1) + 0.3 * Math.Max(0, -x - 1);
        double Dg(double x) => (x > 0 ? 1 : 0) - (x > 1 ? 0.5 : 0) - (x < -1 ? 0.3 : 0);
        var fit = ActivationFitter.Fit(ActivationKind.TropicalRational, 3, G, Dg, new FitOptions { Iterations = 0 });
        Assert.True(fit.Report.MaxError < 5e-3, fit.Report.ToString());
    }

    [Fact]
    public void FitsAreCachedByAllInputsAndReturnedAsCopies()
    {
        ActivationFitter.ClearCache();
        var o = new FitOptions { Lo = -2.5, Hi = 2.5 };
        var first = ActivationFitter.Fit(ActivationKind.Hermite, 6, FitTarget.Silu, o);
        Assert.False(first.FromCache);
        var again = ActivationFitter.Fit(ActivationKind.Hermite, 6, FitTarget.Silu, o with { });
        Assert.True(again.FromCache);
        Assert.Equal(first.Parameters["coefficients"], again.Parameters["coefficients"]);
        // A copy: changing it does not change the cache.
        again.Parameters["coefficients"][0] = 123f;
        Assert.NotEqual(123f, ActivationFitter.Fit(ActivationKind.Hermite, 6, FitTarget.Silu, o).Parameters["coefficients"][0]);
        // Any different input is a different fit.
        Assert.False(ActivationFitter.Fit(ActivationKind.Hermite, 7, FitTarget.Silu, o).FromCache);
        Assert.False(ActivationFitter.Fit(ActivationKind.Hermite, 6, FitTarget.GeluTanh, o).FromCache);
        Assert.False(ActivationFitter.Fit(ActivationKind.Hermite, 6, FitTarget.Silu, o with { Hi = 3 }).FromCache);
        Assert.False(ActivationFitter.Fit(ActivationKind.Hermite, 6, FitTarget.Silu, o with { Weighting = FitWeighting.Gaussian }).FromCache);
        Assert.False(ActivationFitter.Fit(ActivationKind.Hermite, 6, FitTarget.Silu, o with { GridSize = 1001 }).FromCache);
        Assert.False(ActivationFitter.Fit(ActivationKind.Hermite, 6, FitTarget.Silu, o with { HermiteRidge = 0 }).FromCache);
        Assert.False(ActivationFitter.Fit(ActivationKind.Fourier, 6, FitTarget.Silu, o).FromCache);
        int count = ActivationFitter.CacheCount;
        // A user delegate without a key is never cached; with a key it is, under that key only.
        Func<double, double> f = Math.Sin, d = Math.Cos;
        Assert.False(ActivationFitter.Fit(ActivationKind.Hermite, 5, f, d).FromCache);
        Assert.False(ActivationFitter.Fit(ActivationKind.Hermite, 5, f, d).FromCache);
        Assert.Equal(count, ActivationFitter.CacheCount);
        Assert.False(ActivationFitter.Fit(ActivationKind.Hermite, 5, f, d, cacheKey: "sin").FromCache);
        Assert.True(ActivationFitter.Fit(ActivationKind.Hermite, 5, f, d, cacheKey: "sin").FromCache);
        Assert.False(ActivationFitter.Fit(ActivationKind.Hermite, 5, f, d, cacheKey: "sine-v2").FromCache);
        // A built-in name used as a user key does not collide with the built-in target.
        Assert.False(ActivationFitter.Fit(ActivationKind.Hermite, 6, f, d, o, cacheKey: "silu").FromCache);
    }

    [Fact]
    public void GaussianWeightingConcentratesAccuracyNearZero()
    {
        var uniform = ActivationFitter.Fit(ActivationKind.Hermite, 6, FitTarget.GeluErf, new FitOptions { Lo = -4, Hi = 4 });
        var gauss = ActivationFitter.Fit(ActivationKind.Hermite, 6, FitTarget.GeluErf, new FitOptions { Lo = -4, Hi = 4, Weighting = FitWeighting.Gaussian });
        double Err(ActivationFit fit, double lo, double hi)
        {
            double worst = 0;
            for (int i = 0; i <= 400; i++)
            {
                double x = lo + (hi - lo) * i / 400;
                worst = Math.Max(worst, Math.Abs(ActivationKernels.Evaluate(fit.Parameters, x, out _) - ClassicalActivations.GeluErf(x)));
            }
            return worst;
        }
        Assert.True(Err(gauss, -1, 1) < Err(uniform, -1, 1));
        Assert.True(Err(gauss, 3.5, 4) > Err(uniform, 3.5, 4));
    }

    [Fact]
    public void TargetsAndOptionsAreValidated()
    {
        Assert.Equal("gelu", FitTarget.Parse("GELU_erf").Name);
        Assert.Equal("silu", FitTarget.Parse("swish").Name);
        Assert.Throws<ArgumentException>(() => FitTarget.Parse("softplus"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ActivationFitter.Fit(ActivationKind.Hermite, 4, FitTarget.Relu, new FitOptions { Lo = 1, Hi = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ActivationFitter.Fit(ActivationKind.Hermite, 0, FitTarget.Relu));
        Assert.Throws<ArgumentException>(() => ActivationFitter.Fit(ActivationKind.Hermite, 4, x => 1 / x, x => -1 / (x * x), new FitOptions { Lo = -1, Hi = 1, GridSize = 11 }));
    }

    [Theory]
    [InlineData(-2.0)]
    [InlineData(-0.3)]
    [InlineData(0.0)]
    [InlineData(0.7)]
    [InlineData(2.5)]
    public void ClassicalDerivativesMatchFiniteDifferences(double x)
    {
        const double h = 1e-6;
        foreach (var t in FitTarget.Builtins)
        {
            if (t.Name == "relu" && Math.Abs(x) < 1e-3) continue;
            double fd = (t.Function(x + h) - t.Function(x - h)) / (2 * h);
            Assert.Equal(fd, t.Derivative(x), 1e-8);
        }
        Assert.Equal(0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))), ClassicalActivations.GeluTanh(x), 1e-15);
    }
}
