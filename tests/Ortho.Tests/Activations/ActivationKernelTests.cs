using Ortho.Activations;
using Ortho.Kernels.Simd;
using Ortho.Tests.Infrastructure;
using Xunit;
using static Ortho.Tests.Activations.ActivationTestKit;

namespace Ortho.Tests.Activations;

public class ActivationKernelTests
{
    public static IEnumerable<object[]> KindsAndDegrees() =>
    [
        [ActivationKind.Hermite, 1, false], [ActivationKind.Hermite, 3, false], [ActivationKind.Hermite, 8, true], [ActivationKind.Hermite, 16, true],
        [ActivationKind.Fourier, 1, false], [ActivationKind.Fourier, 5, false], [ActivationKind.Fourier, 5, true], [ActivationKind.Fourier, 12, true],
        [ActivationKind.Tropical, 1, false], [ActivationKind.Tropical, 5, true], [ActivationKind.Tropical, 31, true], [ActivationKind.Tropical, 64, true],
        [ActivationKind.TropicalRational, 1, false], [ActivationKind.TropicalRational, 3, true], [ActivationKind.TropicalRational, 40, true],
    ];

    public static IEnumerable<object[]> KindsDegreesLengths() =>
        from c in KindsAndDegrees() from len in new[] { 1, 15, 17, 1000 } select new[] { c[0], c[1], c[2], len };

    /// <summary>Every vector path against the scalar path: y and dx are the same float operations (bit-equal);
    /// parameter gradients differ only in summation order.</summary>
    [Theory]
    [MemberData(nameof(KindsDegreesLengths))]
    public void VectorPathsMatchScalarPath(ActivationKind kind, int degree, bool perturb, int length) =>
        VectorPathsMatch(Params(kind, degree, 7, perturb), Normal(length, 1), Normal(length, 2, 1f));

    /// <summary>Hermite with the soft clamp mapped inside its row loops: the same checks, with inputs in the
    /// saturated tails, at +-0 and beyond the float exp range.</summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 15)]
    [InlineData(4, 17)]
    [InlineData(8, 1000)]
    [InlineData(16, 1000)]
    [InlineData(4, 70_001)] // three reduction blocks
    public void ClampedHermiteVectorPathsMatchScalarPath(int degree, int length)
    {
        var x = Normal(length, 1, 4f);
        float[] specials = [0f, -0f, 30f, -30f, 100f, -100f, 1e-3f];
        for (int i = 0; i < Math.Min(length, specials.Length); i++) x[(i * 5) % length] = specials[i];
        VectorPathsMatch(Params(ActivationSpec.Parse($"hermite:{degree}+clamp").Family, degree, 7, perturb: true), x, Normal(length, 2, 1f));
    }

    /// <summary>
    /// Fourier with learned frequencies (perturbed) or harmonic ones (at init), inputs beyond the fast sine/cosine's range
    /// scattered among ordinary ones: a vector holding one runs element by element, so every width gives the scalar
    /// path's bits, and each such element matches the double reference.
    /// </summary>
    [Theory]
    [InlineData(1, 5, true)]
    [InlineData(17, 5, true)]
    [InlineData(1000, 5, true)]
    [InlineData(70_001, 8, true)] // three reduction blocks
    [InlineData(1000, 5, false)]
    [InlineData(70_001, 8, false)]
    public void FourierArgumentsBeyondTheFastRangeKeepTheScalarBits(int length, int degree, bool learned)
    {
        var p = Params(ActivationKind.Fourier, degree, 7, perturb: learned);
        Assert.Equal(!learned, FourierKernels.IsHarmonic(p[ActivationParameterNames.Fourier.Grid]));
        var x = Normal(length, 1);
        float[] far = [40f, -75f, 130f, 1e4f, -3e5f];
        for (int i = 0; i < Math.Min(length, far.Length); i++) x[(i * 37) % length] = far[i];
        // Also at the edges of the loops' sub-blocks, of a reduction block, and the last element.
        foreach (int i in new[] { 31, 511, 512, 32767, 32768, 65536, length - 1 }.Where(i => i < length)) x[i] = i % 2 == 0 ? 50f : -60f;
        var dy = Normal(length, 2, 1f);
        VectorPathsMatch(p, x, dy);
        var r = Run(p, x, dy, SimdDispatch.Best);
        var q = ToDouble(p);
        foreach (int i in Enumerable.Range(0, length).Where(i => Math.Abs(x[i]) >= 40))
        {
            // The angle w x - p itself is rounded in float: its ulp times the term's weight bounds the error.
            double yRef = Reference(ActivationKind.Fourier, degree, q, x[i]);
            double tol = 1e-6 + 4 * Math.Abs(x[i]) * 6e-8 * degree * 2;
            Assert.True(Math.Abs(r.Y[i] - yRef) <= tol, $"y({x[i]}) = {r.Y[i]}, reference {yRef}");
        }
    }

    // Fourier-5 at init (harmonic) or perturbed (learned frequencies), 256 inputs and upstream gradients.
    private static (ActivationParameters P, float[] X, float[] Dy) FourierCase(bool learned) =>
        (Params(ActivationKind.Fourier, 5, 7, perturb: learned), Normal(256, 3), Normal(256, 4, 1f));

    /// <summary>
    /// Infinities and NaNs beside far arguments: an infinity takes the checked path (a NaN result), and a NaN in one
    /// vector does not hide a far value in the same lane of another (the loops of four vectors check each), before it or
    /// after it. Outputs and dx keep the scalar path's bits, compared as bits (signed zeros among the inputs); a far
    /// element beside a NaN matches the reference.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FourierNaNsAndInfinitiesBesideFarArgumentsKeepTheScalarBits(bool learned)
    {
        var (p, x, dy) = FourierCase(learned);
        for (int lane = 0; lane < 16; lane += 5)
        {
            x[32 + lane] = float.NaN;            // one vector of the pair (16 floats a vector, or 8)
            x[48 + lane] = 3e4f;                 // the same lane of the next
            x[8 + lane] = float.NaN;
            x[128 + lane] = -2e4f;               // a far value first, a NaN in the same lane after it
            x[144 + lane] = float.NaN;
        }
        x[100] = float.PositiveInfinity;
        x[101] = float.NegativeInfinity;
        x[200] = -0f;
        x[201] = 0f;
        var scalar = Run(p, x, dy, SimdWidth.Scalar);
        static int[] Bits(float[] a) => a.Select(BitConverter.SingleToInt32Bits).ToArray();
        foreach (var w in VectorWidths())
        {
            var v = Run(p, x, dy, w);
            Assert.Equal(Bits(scalar.Y), Bits(v.Y));
            Assert.Equal(Bits(scalar.Dx), Bits(v.Dx));
        }
        Assert.True(float.IsNaN(scalar.Y[100]) && float.IsNaN(scalar.Y[32]));
        double yRef = Reference(ActivationKind.Fourier, 5, ToDouble(p), 3e4f);
        Assert.True(Math.Abs(scalar.Y[48] - yRef) <= 1e-3, $"y(3e4) = {scalar.Y[48]}, reference {yRef}");
    }

    /// <summary>
    /// NaNs whose payload's lowest bit is set, where the four-vector loops take them: the sine/cosine's sign is read
    /// from that bit, and where a NaN meets a copy of itself with the sign flipped, the instruction's operand order picks
    /// which one goes on, so such an input's NaN outputs may differ from the scalar path's in their sign bit only. Every
    /// other output keeps the scalar path's bits; the NaN outputs are NaN on every width.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FourierNaNsWithAnyPayloadStayNaNAndLeaveTheOtherBits(bool learned)
    {
        var (p, x, dy) = FourierCase(learned);
        x[224] = BitConverter.Int32BitsToSingle(0x7FC00001);
        x[231] = BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00003));
        x[40] = BitConverter.Int32BitsToSingle(0x7FC00005);
        var scalar = Run(p, x, dy, SimdWidth.Scalar);
        // A NaN's sign bit cleared, so NaN outputs compare as NaN and every other output as its bits.
        static int[] Bits(float[] a) => a.Select(v => BitConverter.SingleToInt32Bits(v) & (float.IsNaN(v) ? 0x7FFFFFFF : -1)).ToArray();
        Assert.True(float.IsNaN(scalar.Y[224]) && float.IsNaN(scalar.Y[231]) && float.IsNaN(scalar.Dx[40]));
        Assert.False(float.IsNaN(scalar.Y[225]) || float.IsNaN(scalar.Dx[232]));
        foreach (var w in VectorWidths())
        {
            var v = Run(p, x, dy, w);
            Assert.Equal(Bits(scalar.Y), Bits(v.Y));
            Assert.Equal(Bits(scalar.Dx), Bits(v.Dx));
        }
    }

    /// <summary>
    /// Tropical at init (every coefficient 1: all lines meet at x = 0) and perturbed, with exact ties, signed zeros,
    /// infinities and NaNs; also a NaN line after the first (passed over by the scalar scan) and lines that meet at -0
    /// and +0 (the earlier, -0, kept). The vector scans (the winner named by its slope, the maximum by the hardware max on
    /// x86) keep the scalar path's bits, compared as bits (so -0 against +0 counts), and send a tie's gradient to the
    /// first line.
    /// </summary>
    [Theory]
    [InlineData(ActivationKind.Tropical, 5, false, "")]
    [InlineData(ActivationKind.Tropical, 5, true, "")]
    [InlineData(ActivationKind.Tropical, 5, false, "nan-line")]
    [InlineData(ActivationKind.Tropical, 5, false, "signed-zero")]
    [InlineData(ActivationKind.Tropical, 31, false, "")]
    [InlineData(ActivationKind.Tropical, 64, false, "")] // more lines than the scan takes: the hull's two lines are scanned
    [InlineData(ActivationKind.TropicalRational, 3, true, "")]
    [InlineData(ActivationKind.TropicalRational, 3, true, "signed-zero")]
    public void TropicalTiesAndSpecialValuesKeepTheScalarBits(ActivationKind kind, int degree, bool perturb, string lines)
    {
        var p = Params(kind, degree, 7, perturb);
        var x = Normal(1000, 3);
        // (The rational's gradients include sums of dy x, NaN or infinite beside such inputs: it takes the finite ones.)
        float[] specials = kind == ActivationKind.Tropical
            ? [0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 3e38f, -3e38f, 1e-40f, -1f]
            : [0f, -0f, 1e-40f, -1e-40f, -1f];
        for (int i = 0; i < x.Length; i += 3) x[i] = specials[i / 3 % specials.Length];
        if (kind == ActivationKind.Tropical && lines == "nan-line") p[ActivationParameterNames.Tropical.Coefficients][1] = float.NaN;
        if (kind == ActivationKind.Tropical && lines == "signed-zero")
        {
            // At x = -1: line 0 is 0 * -1 + -0 = -0, line 1 is -1 + 1 = +0, the rest below.
            var a = p[ActivationParameterNames.Tropical.Coefficients];
            a[0] = -0f;
            a[1] = 1f;
        }
        if (kind == ActivationKind.TropicalRational && lines == "signed-zero")
        {
            // Numerator lines 0 and 1 meet at x = -1 as -0 and +0 (lines 2 and 3 far below).
            var s = p[ActivationParameterNames.TropicalRational.PowersNum];
            var a = p[ActivationParameterNames.TropicalRational.CoefficientsNum];
            (s[0], a[0], s[1], a[1], s[2], a[2], s[3], a[3]) = (0f, -0f, 1f, 1f, 2f, -50f, 3f, -50f);
        }
        var dy = Normal(1000, 4, 1f);
        VectorPathsMatch(p, x, dy);
        var scalar = Run(p, x, dy, SimdWidth.Scalar);
        if (kind == ActivationKind.Tropical && !perturb)
        {
            // At init every zero is a tie of all lines: the first (slope 0) takes its gradient, so dx is 0 there.
            if (lines == "") for (int i = 0; i < x.Length; i += 3 * specials.Length) Assert.Equal(0f, scalar.Dx[i]);
            // The NaN line is passed over (a finite output); the lines meeting at -1 give -0.
            if (lines == "nan-line") Assert.True(float.IsFinite(scalar.Y[1]));
            if (lines == "signed-zero") Assert.True(float.IsNegative(scalar.Y[3 * 8]) && scalar.Y[3 * 8] == 0, $"y(-1) = {scalar.Y[3 * 8]}");
        }
    }

    // Equal bits, with any two NaNs equal (their payloads are not part of the results' meaning).
    private static bool SameBits(float a, float b) =>
        (float.IsNaN(a) && float.IsNaN(b)) || BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);

    // y and dx compared as bits (-0 against +0 counts), parameter gradients within tolerance.
    private static void VectorPathsMatch(ActivationParameters p, float[] x, float[] dy)
    {
        int length = x.Length;
        var scalar = Run(p, x, dy, SimdWidth.Scalar);
        foreach (var w in VectorWidths())
        {
            var v = Run(p, x, dy, w);
            for (int i = 0; i < length; i++)
            {
                Assert.True(SameBits(scalar.Y[i], v.Y[i]), $"{w} y({x[i]:R}) = {v.Y[i]:R}, scalar {scalar.Y[i]:R}");
                Assert.True(SameBits(scalar.Dx[i], v.Dx[i]), $"{w} dx({x[i]:R}) = {v.Dx[i]:R}, scalar {scalar.Dx[i]:R}");
            }
            foreach (var name in p.Names)
                Close.All(v.Grads[name], scalar.Grads[name], $"{w} d{name}", atol: 1e-5 * Math.Sqrt(length), rtol: 1e-5);
        }
    }

    [Theory]
    [InlineData(ActivationKind.Hermite, 3, false)]
    [InlineData(ActivationKind.Fourier, 5, false)]
    [InlineData(ActivationKind.Fourier, 5, true)]
    [InlineData(ActivationKind.Tropical, 5, true)]
    [InlineData(ActivationKind.TropicalRational, 3, true)]
    public void VectorPathsMatchScalarPathOnALongOddLength(ActivationKind kind, int degree, bool perturb)
    {
        const int length = 1_000_003;
        var p = Params(kind, degree, 3, perturb);
        float[] x = Normal(length, 4), dy = Normal(length, 5, 1f);
        var scalar = Run(p, x, dy, SimdWidth.Scalar);
        var v = Run(p, x, dy, SimdDispatch.Best);
        Assert.True(scalar.Y.AsSpan().SequenceEqual(v.Y));
        Assert.True(scalar.Dx.AsSpan().SequenceEqual(v.Dx));
        foreach (var name in p.Names)
            Close.All(v.Grads[name], scalar.Grads[name], "d" + name, atol: 1e-3, rtol: 1e-5);
    }

    /// <summary>The float kernels against the double reference written from the paper's formulas, and the backward kernels against
    /// central finite differences (double) of that reference: d/dx_i and d/dtheta_j of L = sum_i dy_i f(x_i).</summary>
    [Theory]
    [MemberData(nameof(KindsAndDegrees))]
    public void ForwardMatchesReferenceAndBackwardMatchesFiniteDifferences(ActivationKind kind, int degree, bool perturb)
    {
        var p = Params(kind, degree, 9, perturb);
        var q = ToDouble(p);
        float[] x = Normal(64, 10), dy = Normal(64, 11, 1f);
        var r = Run(p, x, dy);
        double yScale = x.Max(v => Math.Abs(Reference(kind, degree, q, v))) + 1;
        for (int i = 0; i < x.Length; i++)
        {
            double yRef = Reference(kind, degree, q, x[i]);
            Assert.True(Math.Abs(r.Y[i] - yRef) <= 2e-6 * yScale, $"y[{i}] = {r.Y[i]}, reference {yRef}");
        }

        const double h = 1e-6;
        double[] dxFd = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
            dxFd[i] = dy[i] * (Reference(kind, degree, q, x[i] + h) - Reference(kind, degree, q, x[i] - h)) / (2 * h);
        Near(r.Dx.Select(v => (double)v).ToArray(), dxFd, "dx");

        foreach (var name in p.Names)
        {
            var fd = new double[q[name].Length];
            for (int j = 0; j < fd.Length; j++)
            {
                double keep = q[name][j];
                q[name][j] = keep + h;
                double plus = Loss(kind, degree, q, x, dy);
                q[name][j] = keep - h;
                double minus = Loss(kind, degree, q, x, dy);
                q[name][j] = keep;
                fd[j] = (plus - minus) / (2 * h);
            }
            Near(r.Grads[name].Select(v => (double)v).ToArray(), fd, "d" + name);
        }

        // The library's own double evaluator (used by moments and fitting): value and derivative.
        for (int i = 0; i < 8; i++)
        {
            double v = ActivationKernels.Evaluate(p, x[i], out double d);
            Assert.Equal(Reference(kind, degree, q, x[i]), v, 1e-12 * yScale);
            double fd = (Reference(kind, degree, q, x[i] + h) - Reference(kind, degree, q, x[i] - h)) / (2 * h);
            Assert.Equal(fd, d, 1e-6 * (1 + Math.Abs(fd)));
        }
    }

    private static double Loss(ActivationKind kind, int n, IReadOnlyDictionary<string, double[]> q, float[] x, float[] dy)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += dy[i] * Reference(kind, n, q, x[i]);
        return s;
    }

    // Float kernel vs double finite difference: float rounding of terms up to the vector's magnitude dominates.
    private static void Near(double[] actual, double[] expected, string what)
    {
        double scale = expected.Max(Math.Abs) + 1;
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 * scale + 1e-4 * Math.Abs(expected[i]),
                $"{what}[{i}]: kernel {actual[i]:R}, finite difference {expected[i]:R}");
    }

    [Fact]
    public void FourierHarmonicRecurrenceMatchesPerTermSinCos()
    {
        foreach (int n in new[] { 1, 3, 8, 16 })
        {
            var p = Params(ActivationKind.Fourier, n, 13, perturb: false);
            var c = p[ActivationParameterNames.Fourier.Coefficients];
            var ph = p[ActivationParameterNames.Fourier.Phases];
            for (int k = 0; k < n; k++) { c[k] *= 1 + 0.1f * k; ph[k] -= 0.2f * k; }
            var grid = p[ActivationParameterNames.Fourier.Grid];
            for (int k = 0; k < n; k++) grid[k] = 1.25f * (k + 1);
            Assert.True(FourierKernels.IsHarmonic(grid));
            float[] x = Normal(777, 14), dy = Normal(777, 15, 1f);
            var harmonic = Fourier(p, x, dy, allowHarmonic: true);
            var general = Fourier(p, x, dy, allowHarmonic: false);
            for (int j = 0; j < 5; j++)
                Close.All(harmonic[j], general[j], $"n={n} output {j}", atol: 2e-5, rtol: 1e-4);
        }
    }

    private static float[][] Fourier(ActivationParameters p, float[] x, float[] dy, bool allowHarmonic)
    {
        int n = p.Degree;
        var y = new float[x.Length];
        var dx = new float[x.Length];
        float[] df0 = new float[1], dc = new float[n], dp = new float[n], dw = new float[n];
        float[] f0 = p["fundamental"], c = p["coefficients"], ph = p["phases"], w = p["grid"];
        FourierKernels.Forward(y, x, f0, c, ph, w, n, allowHarmonic);
        FourierKernels.Backward(dx, df0, dc, dp, dw, x, dy, f0, c, ph, w, n, true, false, allowHarmonic);
        return [y, dx, df0, dc, dp, dw];
    }

    [Fact]
    public void FrozenFrequenciesSkipOnlyTheGridGradient()
    {
        var p = Params(ActivationKind.Fourier, 5, 21, perturb: true);
        float[] x = Normal(300, 22), dy = Normal(300, 23, 1f);
        var full = Run(p, x, dy);
        var g = new ActivationParameters(p.Kind, p.Degree);
        var dx = new float[x.Length];
        ActivationKernels.Backward(p, g, dx, x, dy, frequencyGradient: false);
        Assert.Equal(full.Dx, dx);
        Assert.All(g["grid"], v => Assert.Equal(0f, v));
        Assert.Equal(full.Grads["coefficients"], g["coefficients"]);
        Assert.Equal(full.Grads["phases"], g["phases"]);
        Assert.Equal(full.Grads["fundamental"], g["fundamental"]);
    }

    [Theory]
    [InlineData(ActivationKind.Hermite, 4)]
    [InlineData(ActivationKind.Fourier, 4)]
    [InlineData(ActivationKind.Tropical, 4)]
    [InlineData(ActivationKind.TropicalRational, 4)]
    public void GradientsAccumulateAndDxIsWrittenOrAdded(ActivationKind kind, int degree)
    {
        var p = Params(kind, degree, 31, perturb: true);
        float[] x = Normal(100, 32), dy = Normal(100, 33, 1f);
        var once = Run(p, x, dy);
        var g = new ActivationParameters(kind, degree);
        var dx = Enumerable.Repeat(5f, x.Length).ToArray();
        ActivationKernels.Backward(p, g, dx, x, dy, needDx: true, accumulateDx: true);
        ActivationKernels.Backward(p, g, Span<float>.Empty, x, dy, needDx: false);
        for (int i = 0; i < x.Length; i++) Assert.Equal(5f + once.Dx[i], dx[i]);
        foreach (var name in p.Names)
            Close.All(g[name], once.Grads[name].Select(v => 2 * v).ToArray(), "2 x d" + name, atol: 1e-6, rtol: 1e-6);
        // Empty input: nothing to do, nothing changes.
        var g0 = new ActivationParameters(kind, degree);
        ActivationKernels.Backward(p, g0, [], [], []);
        ActivationKernels.Forward(p, [], []);
        foreach (var name in p.Names) Assert.All(g0[name], v => Assert.Equal(0f, v));
        // In place: y may alias x.
        var inPlace = (float[])x.Clone();
        ActivationKernels.Forward(p, inPlace, inPlace);
        Assert.Equal(once.Y, inPlace);
    }

    public static IEnumerable<object[]> DegreeRanges() =>
        from k in Enum.GetValues<ActivationKind>() select new object[] { k };

    [Theory]
    [MemberData(nameof(DegreeRanges))]
    public void DegreesOutsideTheRangeThrowStatingTheRange(ActivationKind kind)
    {
        ActivationFamily family = kind;
        var (min, max) = (family.MinDegree, family.MaxDegree);
        Assert.Equal(1, min);
        Assert.True(max >= 16);
        foreach (int bad in new[] { min - 1, max + 1, -3 })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ActivationParameters(kind, bad));
            Assert.Contains($"[{min}, {max}]", e.Message);
        }
        // The kernels themselves validate too.
        float[] x = [0.5f], y = new float[1], a = new float[max + 2];
        switch (kind)
        {
            case ActivationKind.Hermite:
                Assert.Contains($"[{min}, {max}]", Assert.Throws<ArgumentOutOfRangeException>(() => HermiteKernels.Forward(y, x, a, max + 1)).Message);
                Assert.Throws<ArgumentException>(() => HermiteKernels.Forward(y, x, a.AsSpan(0, 3), 3));
                break;
            case ActivationKind.Fourier:
                Assert.Contains($"[{min}, {max}]", Assert.Throws<ArgumentOutOfRangeException>(() =>
                    FourierKernels.Forward(y, x, a.AsSpan(0, 1), a, a, a, 0)).Message);
                break;
            case ActivationKind.Tropical:
                Assert.Contains($"[{min}, {max}]", Assert.Throws<ArgumentOutOfRangeException>(() => TropicalKernels.Forward(y, x, a, max + 1)).Message);
                Assert.Throws<ArgumentException>(() => TropicalKernels.Forward(new float[2], x, a.AsSpan(0, 2), 1));
                break;
            case ActivationKind.TropicalRational:
                Assert.Contains($"[{min}, {max}]", Assert.Throws<ArgumentOutOfRangeException>(() =>
                    TropicalRationalKernels.Forward(y, x, a, a, a, a, 0)).Message);
                break;
        }
        var ok = ActivationParameters.Initial(kind, max, new Rng(1));
        Assert.Equal(max, ok.Degree);
    }

    /// <summary>Degree 32 is the Hermite maximum: the float recurrence stays within a few ulp of sum |a_k phi_k|.</summary>
    [Fact]
    public void HermiteFloatRecurrenceHoldsUpToMaxDegree()
    {
        int n = HermiteKernels.MaxDegree;
        var p = Params(ActivationKind.Hermite, n, 41, perturb: true);
        var q = ToDouble(p);
        var x = Enumerable.Range(0, 1201).Select(i => -6f + i * 0.01f).ToArray();
        var y = new float[x.Length];
        ActivationKernels.Forward(p, y, x);
        double worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            // Magnitude of the terms: sum |a_k phi_k(x)| in double.
            double p0 = 1, p1 = x[i], mag = Math.Abs(q["coefficients"][0]) + Math.Abs(q["coefficients"][1] * p1);
            for (int k = 2; k <= n; k++) { double p2 = (x[i] * p1 - p0) / k; mag += Math.Abs(q["coefficients"][k] * p2); p0 = p1; p1 = p2; }
            worst = Math.Max(worst, Math.Abs(y[i] - Reference(ActivationKind.Hermite, n, q, x[i])) / mag);
        }
        Assert.True(worst < 3e-6, $"worst relative error {worst}");
    }

    private static int ArgMax(IEnumerable<double> values)
    {
        int best = -1, k = 0;
        double bv = double.NegativeInfinity;
        foreach (var v in values) { if (v > bv) { bv = v; best = k; } k++; }
        return best;
    }

    [Fact]
    public void TropicalHullPathsAgreeWithTheFirstIndexMaximum()
    {
        foreach (var (kind, n) in new[] { (ActivationKind.Tropical, 100), (ActivationKind.Tropical, 1024), (ActivationKind.TropicalRational, 60) })
        {
            var rng = new Rng(50 + (ulong)n);
            var p = ActivationParameters.Initial(kind, n, rng);
            if (kind == ActivationKind.Tropical)
            {
                // A concave sequence keeps every line on the hull (binary search path).
                var a = p["coefficients"];
                for (int k = 0; k <= n; k++) a[k] = (float)(-0.5 * k * k / n + 0.1 * rng.NextDouble());
            }
            float[] x = Normal(2000, 51, 3f), dy = Normal(2000, 52, 1f);
            var r = Run(p, x, dy);
            var expected = new ActivationParameters(kind, n);
            for (int i = 0; i < x.Length; i++)
            {
                double yRef = ActivationKernels.Evaluate(p, x[i], out double dRef);
                Assert.Equal(yRef, r.Y[i], 1e-5 * (1 + Math.Abs(yRef)));
                Assert.Equal(dRef * dy[i], r.Dx[i], 1e-5 * (1 + Math.Abs(dRef * dy[i])));
            }
            // Expected parameter gradients: scatter dy (and dy x) to the first-index argmax computed here in double.
            for (int i = 0; i < x.Length; i++)
            {
                if (kind == ActivationKind.Tropical)
                    expected["coefficients"][ArgMax(p["coefficients"].Select((a, k) => k * (double)x[i] + a))] += (float)(Math.Sqrt(2) / n * dy[i]);
                else
                {
                    int wn = ArgMax(p["powers_num"].Select((s, k) => s * (double)x[i] + p["coefficients_num"][k]));
                    int wd = ArgMax(p["powers_denom"].Select((s, k) => s * (double)x[i] + p["coefficients_denom"][k]));
                    expected["powers_num"][wn] += dy[i] * x[i];
                    expected["coefficients_num"][wn] += dy[i];
                    expected["powers_denom"][wd] -= dy[i] * x[i];
                    expected["coefficients_denom"][wd] -= dy[i];
                }
            }
            foreach (var name in p.Names) Close.All(r.Grads[name], expected[name], $"{kind}{n} d{name}", atol: 1e-3, rtol: 1e-4);
        }
    }
}
