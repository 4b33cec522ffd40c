using System.Runtime.Intrinsics;
using Ortho.Activations;
using Ortho.Kernels.Simd;
using Xunit;

namespace Ortho.Tests.Activations;

/// <summary>Accuracy of the modulo-pi sine/cosine of the general Fourier loops over the whole unchecked range.</summary>
public class FourierSinCosTests
{
    // Dense grid over [-FastPathLimit, FastPathLimit], the floats next to multiples of pi/2 (zeros of sin and cos,
    // reduction boundaries), and tiny arguments.
    private static float[] Arguments()
    {
        var list = new List<float>();
        float lim = Ortho.Kernels.SinCosKernels.FastPathLimit;
        for (int i = -400_000; i <= 400_000; i++) list.Add(lim * i / 400_000f);
        for (int k = -81; k <= 81; k++)
        {
            float c = (float)(k * Math.PI / 2);
            if (Math.Abs(c) > lim) continue;
            float a = c, b = c;
            for (int s = 0; s < 8; s++) { list.Add(a); list.Add(b); a = MathF.BitIncrement(a); b = MathF.BitDecrement(b); }
        }
        foreach (float t in new[] { 1e-30f, 1e-10f, 3e-5f, 0.01f }) { list.Add(t); list.Add(-t); }
        while (list.Count % 16 != 0) list.Add(0.5f);
        return list.ToArray();
    }

    private static void Check(float[] a, float[] sin, float[] cos, string what)
    {
        double worstSin = 0, worstCos = 0, tolC = FmaSupport.Hardware ? 1.5e-7 : 3e-7;
        for (int i = 0; i < a.Length; i++)
        {
            double s = Math.Sin(a[i]), c = Math.Cos(a[i]);
            // sin: within 2.5 float ulps of its value plus the reduction's residue (|m| * 3.6e-15); cos: 1.5e-7 absolute.
            // Without hardware FMA every multiply-add rounds twice: 4 ulps and 3e-7.
            double tolS = (FmaSupport.Hardware ? 2.5 : 4) * Math.ScaleB(1, Math.ILogB(Math.Max(Math.Abs(s), 1e-38)) - 23) + 2e-13;
            worstSin = Math.Max(worstSin, Math.Abs(sin[i] - s) / tolS);
            worstCos = Math.Max(worstCos, Math.Abs(cos[i] - c) / tolC);
            Assert.True(Math.Abs(sin[i] - s) <= tolS, $"{what}: sin({a[i]:R}) = {sin[i]:R}, exact {s:R}");
            Assert.True(Math.Abs(cos[i] - c) <= tolC, $"{what}: cos({a[i]:R}) = {cos[i]:R}, exact {c:R}");
        }
        Assert.True(worstSin > 0.05 && worstCos > 0.05, $"{what}: suspiciously exact ({worstSin}, {worstCos})");
    }

    [Fact]
    public unsafe void SinCosWithinBoundsOnEveryWidth()
    {
        float[] a = Arguments();
        var sin = new float[a.Length];
        var cos = new float[a.Length];
        var cosOnly = new float[a.Length];
        fixed (float* pa = a, ps = sin, pc = cos, po = cosOnly)
        {
            for (int i = 0; i < a.Length; i++)
            {
                FourierSinCos.SinCos<float, SimdScalar>(pa[i], out ps[i], out pc[i]);
                po[i] = FourierSinCos.Cos<float, SimdScalar>(pa[i]);
            }
            Check(a, sin, cos, "scalar");
            Assert.Equal(cos, cosOnly);
            if (Vector256.IsHardwareAccelerated)
            {
                for (int i = 0; i < a.Length; i += 8)
                {
                    FourierSinCos.SinCos<Vector256<float>, Simd256>(Simd256.Load(pa + i), out var s, out var c);
                    Simd256.Store(ps + i, s);
                    Simd256.Store(pc + i, c);
                    Simd256.Store(po + i, FourierSinCos.Cos<Vector256<float>, Simd256>(Simd256.Load(pa + i)));
                }
                Check(a, sin, cos, "Vector256");
                Assert.Equal(cos, cosOnly);
            }
            if (Vector512.IsHardwareAccelerated)
            {
                for (int i = 0; i < a.Length; i += 16)
                {
                    FourierSinCos.SinCos<Vector512<float>, Simd512>(Simd512.Load(pa + i), out var s, out var c);
                    Simd512.Store(ps + i, s);
                    Simd512.Store(pc + i, c);
                }
                Check(a, sin, cos, "Vector512");
            }
        }
    }
}
