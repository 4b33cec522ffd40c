using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// Vectorized single-precision math (exp, sigmoid, erf, erfc, tanh), each written once over <see cref="ISimd{TV}"/>:
/// every width performs the same operations in the same order (<see cref="ISimd{TV}.Fma"/> is fused at every width),
/// so a value computed in any lane of any width is bit-identical to the scalar result.
/// </summary>
/// <remarks>
/// Exp: Cody-Waite reduction x = n ln2 + r, |r| &lt;= ln2/2, then exp(r) = 1 + r + r^2 g(r) with a degree-4
/// near-minimax g, and a two-step scaling by 2^n so that subnormal results round once. Inputs are clamped to
/// [-104, 89] (exp overflows to +Inf above ~88.72 and underflows to 0 below ~-103.97); NaN propagates.
/// </remarks>
internal static partial class VMath
{
    internal const float ExpMinInput = -104f;
    internal const float ExpMaxInput = 89f;
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693145751953125f;          // 15 significant bits: n * Ln2Hi is exact
    private const float Ln2Lo = 1.42860682030941723212e-6f;  // ln2 - Ln2Hi
    private const float RoundShifter = 12582912f;            // 1.5 * 2^23: adding it rounds to an integer
    private const int RoundShifterBits = 0x4B400000;
    // g(r) = (e^r - 1 - r) / r^2 on [-ln2/2, ln2/2], Chebyshev-fitted (max error 6.5e-8 * r^2).
    private const float ExpG4 = 0.001392617612f;
    private const float ExpG3 = 0.008363173075f;
    private const float ExpG2 = 0.04166655466f;
    private const float ExpG1 = 0.1666657703f;
    private const float ExpG0 = 0.5f;

    /// <summary>e^x per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Exp<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV xc = AtMost<TV, TOps>(AtLeast<TV, TOps>(x, ExpMinInput), ExpMaxInput);
        TV t = TOps.Fma(xc, TOps.Splat(Log2E), TOps.Splat(RoundShifter));
        TV n = TOps.Sub(t, TOps.Splat(RoundShifter));
        TV r = TOps.Fma(n, TOps.Splat(-Ln2Hi), xc);
        r = TOps.Fma(n, TOps.Splat(-Ln2Lo), r);
        TV g = TOps.Fma(TOps.Splat(ExpG4), r, TOps.Splat(ExpG3));
        g = TOps.Fma(g, r, TOps.Splat(ExpG2));
        g = TOps.Fma(g, r, TOps.Splat(ExpG1));
        g = TOps.Fma(g, r, TOps.Splat(ExpG0));
        TV p = TOps.Add(TOps.Fma(g, TOps.Mul(r, r), r), TOps.Splat(1f));
        TV ni = TOps.SubBits(t, TOps.FromBits(RoundShifterBits));
        TV n1 = TOps.ShiftRightArithmeticBits(ni, 1);
        TV n2 = TOps.SubBits(ni, n1);
        TV s1 = TOps.ShiftLeftBits(TOps.AddBits(n1, TOps.FromBits(127)), 23);
        TV s2 = TOps.ShiftLeftBits(TOps.AddBits(n2, TOps.FromBits(127)), 23);
        return TOps.Mul(TOps.Mul(p, s1), s2);
    }

    /// <summary>Logistic sigmoid 1 / (1 + e^-x) per lane. Accurate in both tails (no cancellation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Sigmoid<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        TOps.Div(TOps.Splat(1f), TOps.Add(TOps.Splat(1f), Exp<TV, TOps>(TOps.Neg(x))));

    /// <summary>sigmoid(x) and 1 - sigmoid(x) per lane, both to a few ulp (the complement is e^-x sigmoid(x) where
    /// sigmoid(x) &gt; 1/2, avoiding the cancellation of 1 - s).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV SigmoidPair<TV, TOps>(TV x, out TV oneMinus) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV one = TOps.Splat(1f);
        TV e = Exp<TV, TOps>(TOps.Neg(x));
        TV s = TOps.Div(one, TOps.Add(one, e));
        oneMinus = TOps.Select(TOps.GreaterThan(e, one), TOps.Sub(one, s), TOps.Mul(e, s));
        return s;
    }

    /// <summary>
    /// max(x, c) per lane for a constant c that is neither NaN nor zero: IEEE's maximum (NaN for NaN x) in one hardware
    /// instruction, since the native max with c first returns x when x is NaN (x86 returns its second operand, Arm
    /// propagates NaN, and so does the scalar struct's a &gt; b ? a : b).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV AtLeast<TV, TOps>(TV x, float c) where TV : unmanaged where TOps : struct, ISimd<TV> => TOps.MaxNative(TOps.Splat(c), x);

    /// <summary>min(x, c) per lane for a constant c that is neither NaN nor zero (see <see cref="AtLeast{TV, TOps}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV AtMost<TV, TOps>(TV x, float c) where TV : unmanaged where TOps : struct, ISimd<TV> => TOps.MinNative(TOps.Splat(c), x);

    /// <summary>|value| with the sign of <paramref name="sign"/>, per lane (bitwise).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV CopySign<TV, TOps>(TV value, TV sign) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        TOps.Select(TOps.FromBits(int.MinValue), sign, value);
}
