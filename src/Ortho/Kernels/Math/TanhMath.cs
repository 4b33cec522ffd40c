using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

// tanh in single precision, per lane of any width (see ISimd).
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
    private static TV TanhSmall<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV s = TOps.Mul(x, x);
        TV p = TOps.Fma(TOps.Splat(TanhP5), s, TOps.Splat(TanhP4));
        p = TOps.Fma(p, s, TOps.Splat(TanhP3));
        p = TOps.Fma(p, s, TOps.Splat(TanhP2));
        p = TOps.Fma(p, s, TOps.Splat(TanhP1));
        p = TOps.Fma(p, s, TOps.Splat(TanhP0));
        return TOps.Fma(TOps.Mul(x, s), p, x);
    }

    /// <summary>Hyperbolic tangent per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Tanh<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV ax = TOps.Abs(x);
        TV split = TOps.Splat(TanhSplit);
        if (TOps.AllLessThan(ax, split)) return TanhSmall<TV, TOps>(x);
        TV e = Exp<TV, TOps>(TOps.Mul(TOps.Splat(2f), AtMost<TV, TOps>(ax, TanhClamp)));
        TV big = TOps.Sub(TOps.Splat(1f), TOps.Div(TOps.Splat(2f), TOps.Add(e, TOps.Splat(1f))));
        big = CopySign<TV, TOps>(big, x);
        if (!TOps.AnyLessThan(ax, split)) return big;
        return TOps.Select(TOps.LessThan(ax, split), TanhSmall<TV, TOps>(x), big);
    }
}
