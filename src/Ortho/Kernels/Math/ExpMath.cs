using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ortho.Kernels;

/// <summary>
/// Vectorized single-precision math (exp, sigmoid, erf, erfc, tanh) with scalar, <see cref="Vector256{T}"/> and
/// <see cref="Vector512{T}"/> overloads that perform the same operations in the same order, so a value
/// computed in any lane of any width is bit-identical to the scalar result (given hardware FMA).
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

    /// <summary>e^x, scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Exp(float x)
    {
        float xc = MathF.Min(MathF.Max(x, ExpMinInput), ExpMaxInput);
        float t = MathF.FusedMultiplyAdd(xc, Log2E, RoundShifter);
        float n = t - RoundShifter;
        float r = MathF.FusedMultiplyAdd(n, -Ln2Hi, xc);
        r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
        float g = MathF.FusedMultiplyAdd(ExpG4, r, ExpG3);
        g = MathF.FusedMultiplyAdd(g, r, ExpG2);
        g = MathF.FusedMultiplyAdd(g, r, ExpG1);
        g = MathF.FusedMultiplyAdd(g, r, ExpG0);
        float p = MathF.FusedMultiplyAdd(g, r * r, r) + 1f;
        int ni = BitConverter.SingleToInt32Bits(t) - RoundShifterBits;
        int n1 = ni >> 1;
        int n2 = ni - n1;
        float s1 = BitConverter.Int32BitsToSingle((n1 + 127) << 23);
        float s2 = BitConverter.Int32BitsToSingle((n2 + 127) << 23);
        return p * s1 * s2;
    }

    /// <summary>e^x per lane, 256-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Exp(Vector256<float> x)
    {
        Vector256<float> xc = Vector256.Min(Vector256.Max(x, Vector256.Create(ExpMinInput)), Vector256.Create(ExpMaxInput));
        Vector256<float> t = Vector256.FusedMultiplyAdd(xc, Vector256.Create(Log2E), Vector256.Create(RoundShifter));
        Vector256<float> n = t - Vector256.Create(RoundShifter);
        Vector256<float> r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), xc);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        Vector256<float> g = Vector256.FusedMultiplyAdd(Vector256.Create(ExpG4), r, Vector256.Create(ExpG3));
        g = Vector256.FusedMultiplyAdd(g, r, Vector256.Create(ExpG2));
        g = Vector256.FusedMultiplyAdd(g, r, Vector256.Create(ExpG1));
        g = Vector256.FusedMultiplyAdd(g, r, Vector256.Create(ExpG0));
        Vector256<float> p = Vector256.FusedMultiplyAdd(g, r * r, r) + Vector256<float>.One;
        Vector256<int> ni = t.AsInt32() - Vector256.Create(RoundShifterBits);
        Vector256<int> n1 = Vector256.ShiftRightArithmetic(ni, 1);
        Vector256<int> n2 = ni - n1;
        Vector256<float> s1 = Vector256.ShiftLeft(n1 + Vector256.Create(127), 23).AsSingle();
        Vector256<float> s2 = Vector256.ShiftLeft(n2 + Vector256.Create(127), 23).AsSingle();
        return p * s1 * s2;
    }

    /// <summary>e^x per lane, 512-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Exp(Vector512<float> x)
    {
        Vector512<float> xc = Vector512.Min(Vector512.Max(x, Vector512.Create(ExpMinInput)), Vector512.Create(ExpMaxInput));
        Vector512<float> t = Vector512.FusedMultiplyAdd(xc, Vector512.Create(Log2E), Vector512.Create(RoundShifter));
        Vector512<float> n = t - Vector512.Create(RoundShifter);
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), xc);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        Vector512<float> g = Vector512.FusedMultiplyAdd(Vector512.Create(ExpG4), r, Vector512.Create(ExpG3));
        g = Vector512.FusedMultiplyAdd(g, r, Vector512.Create(ExpG2));
        g = Vector512.FusedMultiplyAdd(g, r, Vector512.Create(ExpG1));
        g = Vector512.FusedMultiplyAdd(g, r, Vector512.Create(ExpG0));
        Vector512<float> p = Vector512.FusedMultiplyAdd(g, r * r, r) + Vector512<float>.One;
        Vector512<int> ni = t.AsInt32() - Vector512.Create(RoundShifterBits);
        Vector512<int> n1 = Vector512.ShiftRightArithmetic(ni, 1);
        Vector512<int> n2 = ni - n1;
        Vector512<float> s1 = Vector512.ShiftLeft(n1 + Vector512.Create(127), 23).AsSingle();
        Vector512<float> s2 = Vector512.ShiftLeft(n2 + Vector512.Create(127), 23).AsSingle();
        return p * s1 * s2;
    }

    /// <summary>Logistic sigmoid 1 / (1 + e^-x), scalar. Accurate in both tails (no cancellation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Sigmoid(float x) => 1f / (1f + Exp(-x));

    /// <summary>Logistic sigmoid per lane, 256-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Exp(-x));

    /// <summary>Logistic sigmoid per lane, 512-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Exp(-x));

    /// <summary>sigmoid(x) and 1 - sigmoid(x), both to a few ulp (the complement is e^-x sigmoid(x) where
    /// sigmoid(x) &gt; 1/2, avoiding the cancellation of 1 - s), scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float SigmoidPair(float x, out float oneMinus)
    {
        float e = Exp(-x);
        float s = 1f / (1f + e);
        oneMinus = e > 1f ? 1f - s : e * s;
        return s;
    }

    /// <summary>sigmoid(x) and 1 - sigmoid(x) per lane, 256-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> SigmoidPair(Vector256<float> x, out Vector256<float> oneMinus)
    {
        Vector256<float> e = Exp(-x);
        Vector256<float> s = Vector256<float>.One / (Vector256<float>.One + e);
        oneMinus = Vector256.ConditionalSelect(Vector256.GreaterThan(e, Vector256<float>.One), Vector256<float>.One - s, e * s);
        return s;
    }

    /// <summary>sigmoid(x) and 1 - sigmoid(x) per lane, 512-bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> SigmoidPair(Vector512<float> x, out Vector512<float> oneMinus)
    {
        Vector512<float> e = Exp(-x);
        Vector512<float> s = Vector512<float>.One / (Vector512<float>.One + e);
        oneMinus = Vector512.ConditionalSelect(Vector512.GreaterThan(e, Vector512<float>.One), Vector512<float>.One - s, e * s);
        return s;
    }
}
