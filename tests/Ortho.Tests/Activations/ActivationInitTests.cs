using Ortho.Activations;
using Ortho.Kernels;
using Xunit;

namespace Ortho.Tests.Activations;

public class ActivationInitTests
{
    private static float[] Hermite(int n) => ActivationParameters.Initial(ActivationKind.Hermite, n)["coefficients"];

    [Fact]
    public void Hermite3InitInMonomialsMatchesDesign()
    {
        // phi_2 = (x^2 - 1)/2, phi_3 = (x^3 - 3x)/6  =>  monomial coefficients of sum a_k phi_k.
        var a = Hermite(3).Select(v => (double)v).ToArray();
        double c0 = a[0] - a[2] / 2, c1 = a[1] - a[3] / 2, c2 = a[2] / 2, c3 = a[3] / 6;
        Assert.Equal(0.2504189, c0, 5e-8);
        Assert.Equal(0.3032653, c1, 5e-8);
        Assert.Equal(0.3032653, c2, 5e-8);
        Assert.Equal(0.1010884, c3, 5e-8);
    }

    [Fact]
    public void HermiteInitFollowsTheFormula()
    {
        foreach (int n in new[] { 1, 2, 5, 8, 32 })
        {
            var a = Hermite(n);
            double fact = Enumerable.Range(1, n).Aggregate(1.0, (x, k) => x * k);
            Assert.Equal((float)(Math.Exp(-0.5) * Math.Sqrt(1 - 1 / fact)), a[0]);
            Assert.All(a.Skip(1), v => Assert.Equal((float)Math.Exp(-0.5), v));
            Assert.Equal(n + 1, a.Length);
        }
        Assert.Equal(0f, Hermite(1)[0]);
    }

    [Fact]
    public void HermiteBuffersAreTheMonomialTablesOfHeKOverKFactorial()
    {
        // He_4/4! = (x^4 - 6x^2 + 3)/24: row 4 is [1/24, -1/4, 1/8] at powers [4, 2, 0].
        // torchortho's state-dict order: the optional (0!, ..., n!) of use_numba=True, then coeffs and grid.
        var buffers = HermiteFamily.Instance.Buffers(4);
        Assert.Equal(["normalization_term", "coeffs", "grid"], buffers.Select(b => b.Name));
        Assert.Equal([true, false, false], buffers.Select(b => b.Optional));
        Assert.Equal([1f, 1f, 2f, 6f, 24f], buffers[0].Values);
        Assert.Equal([5, 3], buffers[1].Shape);
        Assert.Equal([(float)(1.0 / 24), -0.25f, 0.125f], buffers[1].Values.AsSpan(12, 3).ToArray());
        Assert.Equal([4f, 2f, 0f], buffers[2].Values.AsSpan(12, 3).ToArray());
        Assert.Equal(["F32", "F32", "I64"], buffers.Select(b => b.Dtype));
    }

    [Fact]
    public void FourierInitFollowsTheFormula()
    {
        Assert.Equal(0.6623264, FourierFamily.Amplitude, 5e-8);
        Assert.Equal(2.2795853, 1 / (FourierFamily.Amplitude * FourierFamily.Amplitude), 5e-8);
        var p = ActivationParameters.Initial(ActivationKind.Fourier, 3);
        Assert.Equal([1f, 2f, 3f], p[ActivationParameterNames.Fourier.Grid]);
        Assert.All(p[ActivationParameterNames.Fourier.Phases], v => Assert.Equal((float)(Math.PI / 4), v));
        Assert.All(p[ActivationParameterNames.Fourier.Coefficients], v => Assert.Equal(0.6623264f, v, 1e-7f));
        Assert.Equal(0.6623264 * Math.Sqrt(1 - 1 / 36.0), p[ActivationParameterNames.Fourier.Fundamental][0], 1e-7);
        Assert.Equal(0f, ActivationParameters.Initial(ActivationKind.Fourier, 1)[ActivationParameterNames.Fourier.Fundamental][0]);
        var norm = Assert.Single(FourierFamily.Instance.Buffers(4));
        Assert.Equal(("normalization_term", "F32"), (norm.Name, norm.Dtype));
        Assert.Equal([1f, 2f, 6f, 24f], norm.Values);
    }

    [Fact]
    public void TropicalInitIsOnesAndPowersAreTheSlopes()
    {
        var p = ActivationParameters.Initial(ActivationKind.Tropical, 5);
        Assert.Equal(Enumerable.Repeat(1f, 6), p[ActivationParameterNames.Tropical.Coefficients]);
        var powers = Assert.Single(TropicalFamily.Instance.Buffers(5));
        Assert.Equal((ActivationParameterNames.Tropical.Powers, "I64"), (powers.Name, powers.Dtype));
        Assert.Equal([0f, 1, 2, 3, 4, 5], powers.Values);
        // At init f(x) = sqrt(2)/n + sqrt(2) relu(x).
        float[] x = [-2f, -0.1f, 0f, 0.3f, 4f], y = new float[5];
        ActivationKernels.Forward(p, y, x);
        for (int i = 0; i < 5; i++) Assert.Equal(Math.Sqrt(2) / 5 + Math.Sqrt(2) * Math.Max(0, x[i]), y[i], 1e-6);
    }

    [Fact]
    public void TropicalRationalInitDrawsStandardNormalsFromTheRngInParameterOrder()
    {
        var p = ActivationParameters.Initial(ActivationKind.TropicalRational, 4, new Rng(99));
        var module = new TropicalRationalActivation(4, new Rng(99));
        var expected = new float[20];
        new Rng(99).FillNormal(expected);
        int o = 0;
        foreach (var name in new[] { "powers_num", "powers_denom", "coefficients_num", "coefficients_denom" })
        {
            Assert.Equal(expected.AsSpan(o, 5).ToArray(), p[name]);
            Assert.Equal(p[name], module.Snapshot()[name]);
            o += 5;
        }
        Assert.NotEqual(p["powers_num"], ActivationParameters.Initial(ActivationKind.TropicalRational, 4, new Rng(100))["powers_num"]);
        Assert.Throws<ArgumentNullException>(() => ActivationParameters.Initial(ActivationKind.TropicalRational, 4));
    }

    [Fact]
    public void ParameterNamesAreTorchorthos()
    {
        Assert.Equal(["coefficients"], HermiteFamily.Instance.ParameterNames);
        Assert.Equal(["fundamental", "coefficients", "phases", "grid"], FourierFamily.Instance.ParameterNames);
        Assert.Equal(["coefficients"], TropicalFamily.Instance.ParameterNames);
        Assert.Equal("powers", ActivationParameterNames.Tropical.Powers);
        Assert.Equal(["powers_num", "powers_denom", "coefficients_num", "coefficients_denom"], TropicalRationalFamily.Instance.ParameterNames);
        Assert.Equal(1, FourierFamily.Instance.ParameterLength("fundamental", 7));
        Assert.Equal(7, FourierFamily.Instance.ParameterLength("grid", 7));
        Assert.Equal(8, HermiteFamily.Instance.ParameterLength("coefficients", 7));
        Assert.True(ActivationRegistry.TryGet("tropical_rational", out var k) && k == TropicalRationalFamily.Instance);
    }
}

public class SinCosTests
{
    private static double Ulp(float v) => Math.Max(MathF.BitIncrement(MathF.Abs(v)) - MathF.Abs(v), float.Epsilon);

    [Fact]
    public void SinCosIsWithinTwoUlpEverywhereUpToTheVectorLimit()
    {
        var rng = new Rng(3);
        var x = new float[400_000];
        for (int i = 0; i < x.Length; i++)
        {
            double r = rng.NextDouble();
            x[i] = i % 5 switch
            {
                0 => (float)((r - 0.5) * 2 * Math.PI),                          // the primary range
                1 => (float)((r - 0.5) * 2 * SinCosKernels.FastPathLimit),     // the all-float path
                2 => (float)((r - 0.5) * 12000),                                // double reduction
                3 => (float)((r - 0.5) * 2 * SinCosKernels.ReducedPathLimit),  // up to the vector limit
                _ => (float)((r - 0.5) * 1e-3),                                 // tiny
            };
        }
        x[0] = 0f; x[1] = -0f; x[2] = (float)(Math.PI / 4); x[3] = SinCosKernels.FastPathLimit; x[4] = SinCosKernels.ReducedPathLimit;
        // Multiples of pi/2 rounded to float: the results nearest zero, where a float-only reduction loses digits.
        for (int k = 1; k < 2000; k++) x[4 + k] = (float)(k * 37 * Math.PI / 2);
        double bound = Ortho.Kernels.Simd.FmaSupport.Hardware ? 2 : 3;   // measured 1.52 / 2.34 ulp
        foreach (var width in ActivationTestKit.VectorWidths().Append(Ortho.Kernels.Simd.SimdWidth.Scalar))
        {
            var s = new float[x.Length];
            var c = new float[x.Length];
            using (Ortho.Kernels.Simd.SimdDispatch.Force(width)) SinCosKernels.SinCos(x, s, c);
            double worstUlp = 0;
            for (int i = 0; i < x.Length; i++)
            {
                (double es, double ec) = Math.SinCos(x[i]);
                // ulp error against the correctly rounded float result.
                worstUlp = Math.Max(worstUlp, Math.Max(Math.Abs(s[i] - es) / Ulp((float)es), Math.Abs(c[i] - ec) / Ulp((float)ec)));
            }
            Assert.True(worstUlp <= bound, $"{width}: worst error {worstUlp} ulp");
        }
    }

    [Fact]
    public void HugeArgumentsInfinitiesAndNaNTakeTheDoubleFallback()
    {
        float[] x = [1e6f, -3.3e7f, 1e30f, float.PositiveInfinity, float.NaN, 7000f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, -5e6f, 4.1e6f];
        foreach (var width in ActivationTestKit.VectorWidths().Append(Ortho.Kernels.Simd.SimdWidth.Scalar))
        {
            var s = new float[x.Length];
            var c = new float[x.Length];
            using (Ortho.Kernels.Simd.SimdDispatch.Force(width)) SinCosKernels.SinCos(x, s, c);
            for (int i = 0; i < x.Length; i++)
            {
                (double es, double ec) = Math.SinCos(x[i]);
                if (double.IsNaN(es)) { Assert.True(float.IsNaN(s[i]) && float.IsNaN(c[i])); continue; }
                Assert.Equal(es, s[i], 1e-7);
                Assert.Equal(ec, c[i], 1e-7);
            }
        }
    }
}
