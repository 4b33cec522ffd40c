using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// exp(x) for float vectors in about a dozen instructions, for the attention softmax (where <see cref="VMath.Exp{TV, TOps}"/>
/// would cost about as much as the score products it serves). exp(x) = 2^n * e^r with n = round(x / ln 2),
/// r = x - n ln 2 (two-part ln 2, |r| &lt;= ln2 / 2), e^r by its degree-6 Taylor polynomial (truncation error below
/// 1.2e-7 relative), 2^n added to the exponent bits. Inputs are clamped to [-87, 88]: results below about 1.6e-38 are
/// not exact zeros (callers zero masked entries explicitly) and NaN inputs are not propagated. The scalar struct uses
/// <see cref="MathF.Exp"/> instead (one value gains nothing from the polynomial).
/// </summary>
internal static class FastExp
{
    private const float Log2E = 1.44269504f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f, Round = 12582912f; // 1.5 * 2^23

    /// <summary>e^x per lane (see the class remarks for its range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        if (TOps.Count == 1)
        {
            float e = MathF.Exp(Unsafe.As<TV, float>(ref x));
            return Unsafe.As<float, TV>(ref e);
        }
        x = TOps.MinNative(TOps.MaxNative(x, TOps.Splat(-87f)), TOps.Splat(88f));
        TV t = TOps.Fma(x, TOps.Splat(Log2E), TOps.Splat(Round));
        TV n = TOps.Sub(t, TOps.Splat(Round));
        TV r = TOps.Fma(n, TOps.Splat(-Ln2Hi), x);
        r = TOps.Fma(n, TOps.Splat(-Ln2Lo), r);
        TV p = TOps.Splat(1f / 720f);
        p = TOps.Fma(p, r, TOps.Splat(1f / 120f));
        p = TOps.Fma(p, r, TOps.Splat(1f / 24f));
        p = TOps.Fma(p, r, TOps.Splat(1f / 6f));
        p = TOps.Fma(p, r, TOps.Splat(0.5f));
        p = TOps.Fma(p, r, TOps.Splat(1f));
        p = TOps.Fma(p, r, TOps.Splat(1f));
        TV e2 = TOps.ShiftLeftBits(TOps.SubBits(t, TOps.FromBits(0x4B400000)), 23);
        return TOps.AddBits(p, e2);
    }
}
