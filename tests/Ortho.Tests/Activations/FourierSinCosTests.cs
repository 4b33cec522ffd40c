using System.Runtime.Intrinsics;
using Ortho.Activations;
using Ortho.Kernels.Simd;
using Xunit;

namespace Ortho.Tests.Activations;

/// <summary>Accuracy of the half-turn sine/cosine of the general Fourier loops over the whole unchecked range; their
/// four-vector forms; the exact remainder they reduce with.</summary>
public class FourierSinCosTests
{
    // Dense grid over [-Limit, Limit] (in half-turns), the floats next to multiples of 1/2 (zeros of sin and cos,
    // reduction boundaries), and tiny arguments.
    private static float[] Arguments()
    {
        var list = new List<float>();
        float lim = FourierSinCos.Limit;
        for (int i = -400_000; i <= 400_000; i++) list.Add(lim * i / 400_000f);
        for (int k = -2 * (int)lim; k <= 2 * (int)lim; k++)
        {
            float a = k * 0.5f, b = a;
            for (int s = 0; s < 8; s++) { list.Add(a); list.Add(b); a = MathF.BitIncrement(a); b = MathF.BitDecrement(b); }
        }
        foreach (float t in new[] { 1e-30f, 1e-10f, 3e-5f, 0.01f }) { list.Add(t); list.Add(-t); }
        while (list.Count % 16 != 0) list.Add(0.5f);
        return list.ToArray();
    }

    private static void Check(float[] y, float[] sin, float[] cos, string what)
    {
        double worstSin = 0, worstCos = 0, tolC = FmaSupport.Hardware ? 1.75e-7 : 3e-7;
        for (int i = 0; i < y.Length; i++)
        {
            // The reference reduces in double first (y - round(y) is exact), so whole and half turns give exact zeros.
            double m = Math.Round(y[i]), r = y[i] - m, sign = m % 2 == 0 ? 1 : -1;
            double s = sign * Math.Sin(Math.PI * r), c = sign * Math.Cos(Math.PI * r);
            // sin: within 3 float ulps of its value; cos: 1.75e-7 absolute. Without hardware FMA every multiply-add rounds
            // twice: 4 ulps and 3e-7.
            double tolS = (FmaSupport.Hardware ? 3 : 4) * Math.ScaleB(1, Math.ILogB(Math.Max(Math.Abs(s), 1e-38)) - 23);
            worstSin = Math.Max(worstSin, Math.Abs(sin[i] - s) / tolS);
            worstCos = Math.Max(worstCos, Math.Abs(cos[i] - c) / tolC);
            Assert.True(Math.Abs(sin[i] - s) <= tolS, $"{what}: sin(pi {y[i]:R}) = {sin[i]:R}, exact {s:R}");
            Assert.True(Math.Abs(cos[i] - c) <= tolC, $"{what}: cos(pi {y[i]:R}) = {cos[i]:R}, exact {c:R}");
        }
        Assert.True(worstSin > 0.05 && worstCos > 0.05, $"{what}: suspiciously exact ({worstSin}, {worstCos})");
    }

    [Fact]
    public unsafe void SinCosPiWithinBoundsOnEveryWidth()
    {
        float[] a = Arguments();
        var sin = new float[a.Length];
        var cos = new float[a.Length];
        var cosOnly = new float[a.Length];
        fixed (float* pa = a, ps = sin, pc = cos, po = cosOnly)
        {
            for (int i = 0; i < a.Length; i++)
            {
                FourierSinCos.SinCosPi<float, SimdScalar>(pa[i], out ps[i], out pc[i]);
                po[i] = FourierSinCos.CosPi<float, SimdScalar>(pa[i]);
            }
            Check(a, sin, cos, "scalar");
            Assert.Equal(cos, cosOnly);
            if (Vector256.IsHardwareAccelerated)
            {
                for (int i = 0; i < a.Length; i += 8)
                {
                    FourierSinCos.SinCosPi<Vector256<float>, Simd256>(Simd256.Load(pa + i), out var s, out var c);
                    Simd256.Store(ps + i, s);
                    Simd256.Store(pc + i, c);
                    Simd256.Store(po + i, FourierSinCos.CosPi<Vector256<float>, Simd256>(Simd256.Load(pa + i)));
                }
                Check(a, sin, cos, "Vector256");
                Assert.Equal(cos, cosOnly);
            }
            if (Vector512.IsHardwareAccelerated)
            {
                for (int i = 0; i < a.Length; i += 16)
                {
                    FourierSinCos.SinCosPi<Vector512<float>, Simd512>(Simd512.Load(pa + i), out var s, out var c);
                    Simd512.Store(ps + i, s);
                    Simd512.Store(pc + i, c);
                }
                Check(a, sin, cos, "Vector512");
            }
        }
    }

    // The four-vector forms against the one-vector ones, lane by lane, bit for bit: the sine, the cosine's two parts put
    // together, and the cosine's sign put on the factor instead, as the kernels do: (t ^ sign) cosR + acc against
    // t cos + acc, for factors and sums of both signs and zero.
    private static unsafe void FourMatchesOne<TV, TOps>(float[] a) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int c = TOps.Count;
        TV[] factors = [TOps.Splat(0.37f), TOps.Splat(-2.5f), TOps.Splat(0f), TOps.Splat(-0f)];
        TV[] sums = [TOps.Splat(0f), TOps.Splat(-0f), TOps.Splat(1.25f), TOps.Splat(-3e-8f)];
        fixed (float* pa = a)
        {
            for (int i = 0; i + 4 * c <= a.Length; i += 4 * c)
            {
                TV y0 = TOps.Load(pa + i), y1 = TOps.Load(pa + i + c), y2 = TOps.Load(pa + i + 2 * c), y3 = TOps.Load(pa + i + 3 * c);
                FourierSinCos.SinCosPi4<TV, TOps>(y0, y1, y2, y3, out var s0, out var s1, out var s2, out var s3,
                    out var c0, out var c1, out var c2, out var c3, out var g0, out var g1, out var g2, out var g3);
                FourierSinCos.CosPi4<TV, TOps>(y0, y1, y2, y3, out var o0, out var o1, out var o2, out var o3,
                    out var h0, out var h1, out var h2, out var h3);
                TV[] y = [y0, y1, y2, y3], sin = [s0, s1, s2, s3], cosR = [c0, c1, c2, c3], sign = [g0, g1, g2, g3];
                TV[] cosOnlyR = [o0, o1, o2, o3], cosOnlySign = [h0, h1, h2, h3];
                for (int k = 0; k < 4; k++)
                {
                    FourierSinCos.SinCosPi<TV, TOps>(y[k], out var s1v, out var c1v);
                    Assert.Equal(Bits<TV, TOps>(s1v), Bits<TV, TOps>(sin[k]));
                    Assert.Equal(Bits<TV, TOps>(c1v), Bits<TV, TOps>(TOps.Xor(cosR[k], sign[k])));
                    Assert.Equal(Bits<TV, TOps>(c1v), Bits<TV, TOps>(TOps.Xor(cosOnlyR[k], cosOnlySign[k])));
                    if (i / (4 * c) % 16 != 0) continue; // the factor's sign on every 16th group of arguments (time)
                    foreach (TV t in factors)
                        foreach (TV acc in sums)
                            Assert.Equal(Bits<TV, TOps>(TOps.MulAdd(t, c1v, acc)),
                                Bits<TV, TOps>(TOps.MulAdd(TOps.Xor(t, cosOnlySign[k]), cosOnlyR[k], acc)));
                }
            }
        }
    }

    private static unsafe int[] Bits<TV, TOps>(TV v) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        var f = new float[TOps.Count];
        fixed (float* p = f) TOps.Store(p, v);
        return f.Select(BitConverter.SingleToInt32Bits).ToArray();
    }

    [Fact]
    public void FourVectorFormsGiveTheOneVectorBits()
    {
        float[] a = Arguments();
        FourMatchesOne<float, SimdScalar>(a);
        FourMatchesOne<Vector128<float>, Simd128>(a);
        if (Vector256.IsHardwareAccelerated) FourMatchesOne<Vector256<float>, Simd256>(a);
        if (Vector512.IsHardwareAccelerated) FourMatchesOne<Vector512<float>, Simd512>(a);
    }

    // a - round(a) (ties to even) at every width: exact, and the scalar width's bits on every vector width (vreduceps on
    // every width where AVX-512 is, the 1.5 * 2^23 round trip on every width elsewhere; -0 among the inputs).
    private static unsafe float[] RoundRemainders<TV, TOps>(float[] a) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        var r = new float[a.Length];
        fixed (float* pa = a, pr = r)
            for (int i = 0; i + TOps.Count <= a.Length; i += TOps.Count) TOps.Store(pr + i, TOps.RoundRemainder(TOps.Load(pa + i)));
        for (int i = 0; i < a.Length; i++)
        {
            double expected = a[i] - Math.Round((double)a[i], MidpointRounding.ToEven);
            Assert.True(r[i] == expected, $"{typeof(TOps).Name}: RoundRemainder({a[i]:R}) = {r[i]:R}, expected {expected:R}");
        }
        return r;
    }

    [Fact]
    public void RoundRemainderIsExactOnEveryWidth()
    {
        var list = new List<float>(Arguments());
        foreach (float v in new[] { 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 4194304f, -4194304f, 4194303.5f, -4194303.5f, 1e-30f, 0f, -0f })
            list.Add(v);
        while (list.Count % 16 != 0) list.Add(0.25f);
        float[] a = list.ToArray();
        static int[] Bits(float[] v) => v.Select(BitConverter.SingleToInt32Bits).ToArray();
        int[] scalar = Bits(RoundRemainders<float, SimdScalar>(a));
        Assert.Equal(scalar, Bits(RoundRemainders<Vector128<float>, Simd128>(a)));
        if (Vector256.IsHardwareAccelerated) Assert.Equal(scalar, Bits(RoundRemainders<Vector256<float>, Simd256>(a)));
        if (Vector512.IsHardwareAccelerated) Assert.Equal(scalar, Bits(RoundRemainders<Vector512<float>, Simd512>(a)));
    }
}
