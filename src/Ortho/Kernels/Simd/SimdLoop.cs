using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ortho.Kernels.Simd;

/// <summary>The body of an elementwise loop, written once: <see cref="Step{TV, TOps}"/> processes the TOps.Count elements at offset i.</summary>
internal interface ISimdStep
{
    /// <summary>Processes elements [i, i + TOps.Count).</summary>
    void Step<TV, TOps>(nint i) where TV : unmanaged where TOps : struct, ISimd<TV>;
}

/// <summary>The body of a reduction, written once: <see cref="Step{TV, TOps}"/> folds the TOps.Count elements at offset i into acc.</summary>
internal interface ISimdFold
{
    /// <summary>acc combined with elements [i, i + TOps.Count) (any stores the fold makes included).</summary>
    TV Step<TV, TOps>(TV acc, nint i) where TV : unmanaged where TOps : struct, ISimd<TV>;
}

/// <summary>A reduction with two accumulators, written once (see <see cref="ISimdFold"/>).</summary>
internal interface ISimdFold2
{
    /// <summary>Folds elements [i, i + TOps.Count) into both accumulators.</summary>
    void Step<TV, TOps>(ref TV acc0, ref TV acc1, nint i) where TV : unmanaged where TOps : struct, ISimd<TV>;
}

/// <summary>
/// The row loops of the engine, written once. A run of n floats is consumed in a fixed order: whole vectors of the
/// dispatched width, then (after Vector512) whole Vector256s, then one element at a time with <see cref="SimdScalar"/>.
/// For a reduction the order is part of the result: each vector width folds into its own fresh accumulator whose lanes
/// are combined (<see cref="ISimd{TV}.Sum"/>, <see cref="ISimd{TV}.MaxLanes"/>) into the running scalar, and the single
/// elements fold straight into that scalar, so a row's result depends only on its data and the width.
/// </summary>
/// <remarks>Steps and folds are passed by value: the drivers work on a local copy, so loop-invariant fields stay in registers.</remarks>
internal static class SimdLoop
{
    /// <summary>True when a loop at a width of <paramref name="count"/> lanes continues with Vector256s before the scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HasV256Tail(int count) => count > 8 && Vector256.IsHardwareAccelerated;

    /// <summary>Applies <paramref name="step"/> over [0, n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Map<TV, TOps, TStep>(TStep step, nint n)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TStep : struct, ISimdStep
    {
        nint i = 0;
        if (TOps.Count > 1) MapVectors<TV, TOps, TStep>(step, ref i, n);
        if (HasV256Tail(TOps.Count)) MapVectors<Vector256<float>, Simd256, TStep>(step, ref i, n);
        for (; i < n; i++) step.Step<float, SimdScalar>(i);
    }

    // The vector loops are written as guarded do-while loops: the JIT does not turn these generic for-loops into that
    // shape itself, and without it the loop's constants are not hoisted into registers.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MapVectors<TV, TOps, TStep>(TStep step, ref nint i, nint n)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TStep : struct, ISimdStep
    {
        if (i + TOps.Count > n) return;
        do
        {
            step.Step<TV, TOps>(i);
            i += TOps.Count;
        }
        while (i + TOps.Count <= n);
    }

    /// <summary>The sum of <paramref name="fold"/> over [0, n) (0 for n = 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum<TV, TOps, TFold>(TFold fold, nint n)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TFold : struct, ISimdFold
    {
        nint i = 0;
        float s = 0f;
        if (TOps.Count > 1) s = SumVectors<TV, TOps, TFold>(fold, ref i, n, s);
        if (HasV256Tail(TOps.Count)) s = SumVectors<Vector256<float>, Simd256, TFold>(fold, ref i, n, s);
        for (; i < n; i++) s = fold.Step<float, SimdScalar>(s, i);
        return s;
    }

    /// <summary>The maximum of <paramref name="fold"/> over [0, n) (IEEE: NaN propagates; -infinity for n = 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max<TV, TOps, TFold>(TFold fold, nint n)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TFold : struct, ISimdFold
    {
        nint i = 0;
        float m = float.NegativeInfinity;
        if (TOps.Count > 1) m = MaxVectors<TV, TOps, TFold>(fold, ref i, n, m);
        if (HasV256Tail(TOps.Count)) m = MaxVectors<Vector256<float>, Simd256, TFold>(fold, ref i, n, m);
        for (; i < n; i++) m = fold.Step<float, SimdScalar>(m, i);
        return m;
    }

    /// <summary>The two sums of <paramref name="fold"/> over [0, n), each in the order of <see cref="Sum{TV, TOps, TFold}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sum2<TV, TOps, TFold>(TFold fold, nint n, out float sum0, out float sum1)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TFold : struct, ISimdFold2
    {
        nint i = 0;
        float s0 = 0f, s1 = 0f;
        if (TOps.Count > 1) Sum2Vectors<TV, TOps, TFold>(fold, ref i, n, ref s0, ref s1);
        if (HasV256Tail(TOps.Count)) Sum2Vectors<Vector256<float>, Simd256, TFold>(fold, ref i, n, ref s0, ref s1);
        for (; i < n; i++) fold.Step<float, SimdScalar>(ref s0, ref s1, i);
        sum0 = s0;
        sum1 = s1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sum2Vectors<TV, TOps, TFold>(TFold fold, ref nint i, nint n, ref float s0, ref float s1)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TFold : struct, ISimdFold2
    {
        if (i + TOps.Count > n) return;
        TV a0 = TOps.Zero, a1 = TOps.Zero;
        do
        {
            fold.Step<TV, TOps>(ref a0, ref a1, i);
            i += TOps.Count;
        }
        while (i + TOps.Count <= n);
        s0 += TOps.Sum(a0);
        s1 += TOps.Sum(a1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float SumVectors<TV, TOps, TFold>(TFold fold, ref nint i, nint n, float s)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TFold : struct, ISimdFold
    {
        if (i + TOps.Count > n) return s;
        TV acc = TOps.Zero;
        do
        {
            acc = fold.Step<TV, TOps>(acc, i);
            i += TOps.Count;
        }
        while (i + TOps.Count <= n);
        return s + TOps.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxVectors<TV, TOps, TFold>(TFold fold, ref nint i, nint n, float m)
        where TV : unmanaged where TOps : struct, ISimd<TV> where TFold : struct, ISimdFold
    {
        if (i + TOps.Count > n) return m;
        TV acc = TOps.Splat(float.NegativeInfinity);
        do
        {
            acc = fold.Step<TV, TOps>(acc, i);
            i += TOps.Count;
        }
        while (i + TOps.Count <= n);
        return MathF.Max(m, TOps.MaxLanes(acc));
    }
}
