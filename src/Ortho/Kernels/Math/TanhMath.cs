using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ortho.Kernels;

// tanh in single precision.
// |x| < 0.625: tanh(x) = x + x^3 P(x^2), P a degree-5 near-minimax fit (error 1.6e-9 * |x|^3).
// otherwise:   tanh(|x|) = 1 - 2 / (e^{2|x|} + 1) with |x| clamped to 10 (tanh(10) rounds to 1), sign restored.
internal static partial class VMath
{
    private const float TanhSplit = 0.625f;
    private const float TanhClamp = 10f;
    private const float TanhP5 = 0.00229274481618f;
    private const float TanhP4 = -0.00834394551584f;
    private const float TanhP3 = 0.021768918651f;
    private const float TanhP2 = -0.0539592595772f;
    private const float TanhP1 = 0.133333035569f;
    private const float TanhP0 = -0.333333331721f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float TanhSmall(float x)
    {
        float s = x * x;
        float p = MathF.FusedMultiplyAdd(TanhP5, s, TanhP4);
        p = MathF.FusedMultiplyAdd(p, s, TanhP3);
        p = MathF.FusedMultiplyAdd(p, s, TanhP2);
        p = MathF.FusedMultiplyAdd(p, s, TanhP1);
        p = MathF.FusedMultiplyAdd(p, s, TanhP0);
        return MathF.FusedMultiplyAdd(x * s, p, x);
    }

    /// <summary>Hyperbolic tangent, scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Tanh(float x)
    {
        float ax = MathF.Abs(x);
        if (ax < TanhSplit) return TanhSmall(x);
        float e = Exp(2f * MathF.Min(ax, TanhClamp));
        return MathF.CopySign(1f - 2f / (e + 1f), x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> TanhSmall(Vector256<float> x)
    {
        Vector256<float> s = x * x;
        Vector256<float> p = Vector256.FusedMultiplyAdd(Vector256.Create(TanhP5), s, Vector256.Create(TanhP4));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(TanhP3));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(TanhP2));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(TanhP1));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(TanhP0));
        return Vector256.FusedMultiplyAdd(x * s, p, x);
    }

    /// <summary>Hyperbolic tangent per lane, 256-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x);
        Vector256<float> split = Vector256.Create(TanhSplit);
        if (Vector256.LessThanAll(ax, split)) return TanhSmall(x);
        Vector256<float> e = Exp(Vector256.Create(2f) * Vector256.Min(ax, Vector256.Create(TanhClamp)));
        Vector256<float> big = Vector256<float>.One - Vector256.Create(2f) / (e + Vector256<float>.One);
        big = Vector256.ConditionalSelect(Vector256.Create(-0f), x, big);
        if (!Vector256.LessThanAny(ax, split)) return big;
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, split), TanhSmall(x), big);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> TanhSmall(Vector512<float> x)
    {
        Vector512<float> s = x * x;
        Vector512<float> p = Vector512.FusedMultiplyAdd(Vector512.Create(TanhP5), s, Vector512.Create(TanhP4));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(TanhP3));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(TanhP2));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(TanhP1));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(TanhP0));
        return Vector512.FusedMultiplyAdd(x * s, p, x);
    }

    /// <summary>Hyperbolic tangent per lane, 512-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Tanh(Vector512<float> x)
    {
        Vector512<float> ax = Vector512.Abs(x);
        Vector512<float> split = Vector512.Create(TanhSplit);
        if (Vector512.LessThanAll(ax, split)) return TanhSmall(x);
        Vector512<float> e = Exp(Vector512.Create(2f) * Vector512.Min(ax, Vector512.Create(TanhClamp)));
        Vector512<float> big = Vector512<float>.One - Vector512.Create(2f) / (e + Vector512<float>.One);
        big = Vector512.ConditionalSelect(Vector512.Create(-0f), x, big);
        if (!Vector512.LessThanAny(ax, split)) return big;
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, split), TanhSmall(x), big);
    }
}
