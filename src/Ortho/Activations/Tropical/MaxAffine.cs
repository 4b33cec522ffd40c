using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Activations;

/// <summary>
/// How one max of affine functions max_k (s_k x + a_k) is evaluated in a kernel call (prepared once per call).
/// <para><b>Scan</b> (up to <see cref="MaxAffine.ScanLimit"/> candidate lines): every candidate is evaluated as
/// float(s x) + a in original index order, keeping the first strict maximum; with all lines as candidates this
/// is PyTorch's max over the float values, first index on ties. (A NaN line after the first is passed over, where
/// PyTorch's max would give NaN: a NaN coefficient, which the trainer's weight checks stop first.)</para>
/// <para><b>Search</b>: the upper hull (computed in double) in slope order with its breakpoints; each element finds
/// its segment by binary search (O(log n)). The winner is then the mathematical argmax (the line on top at x,
/// the lower index at an exact breakpoint), which can differ from a float scan only where two lines are within
/// rounding of each other.</para>
/// <para>The vector scans take the running maximum as v &gt; best ? v : best (<see cref="Larger{TV, TOps}"/>), so a NaN
/// line or a tie keeps the earlier line, as the scalar scan does: on x86 the hardware's max, one instruction where a
/// compare and a select were two.</para>
/// </summary>
internal unsafe struct MaxAffinePlan
{
    /// <summary>Candidate slopes and intercepts (scan: index order; search: slope order).</summary>
    public float* S, A;
    /// <summary>Original index of each candidate.</summary>
    public int* Index;
    /// <summary>Search mode: Breaks[j] is where candidate j + 1 overtakes candidate j (M - 1 values).</summary>
    public double* Breaks;
    public int M;
    public bool Search;

    /// <summary>The winning candidate (slot) for x, scalar.</summary>
    public readonly int Winner(float x)
    {
        if (!Search)
        {
            float best = S[0] * x + A[0];
            int w = 0;
            for (int j = 1; j < M; j++)
            {
                float v = S[j] * x + A[j];
                if (v > best) { best = v; w = j; }
            }
            return w;
        }
        int lo = 0, hi = M - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (x > Breaks[mid]) lo = mid + 1; else hi = mid;
        }
        // At an exact breakpoint both neighbours are maximal: the first index wins.
        if (lo < M - 1 && x == Breaks[lo] && Index[lo + 1] < Index[lo]) lo++;
        return lo;
    }

    /// <summary>float(s x) + a of candidate <paramref name="slot"/>.</summary>
    public readonly float Value(int slot, float x) => S[slot] * x + A[slot];

    /// <summary>
    /// v &gt; best ? v : best per lane. On x86 that is the hardware max, which returns its second operand for a NaN or
    /// for +0 against -0; elsewhere a compare and a select (Arm's max propagates NaN and orders -0 below +0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Larger<TV, TOps>(TV v, TV best) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        System.Runtime.Intrinsics.X86.X86Base.IsSupported ? TOps.MaxNative(v, best) : TOps.Select(TOps.GreaterThan(v, best), v, best);

    /// <summary>Scan mode, per lane: the maximum of float(s x) + a over the candidates (first strict maximum in order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly TV Max<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV best = TOps.Add(TOps.Mul(TOps.Splat(S[0]), x), TOps.Splat(A[0]));
        for (int j = 1; j < M; j++)
        {
            best = Larger<TV, TOps>(TOps.Add(TOps.Mul(TOps.Splat(S[j]), x), TOps.Splat(A[j])), best);
        }
        return best;
    }

    /// <summary>Scan mode, per lane: the winning slot (as a float) and its slope, as <see cref="Max{TV, TOps}"/> picks it.</summary>
    /// <param name="x">The input lanes.</param>
    /// <param name="slots">The floats 0, 1, ..., M - 1 (the slots' numbers, read rather than converted per line).</param>
    /// <param name="slot">The winning slot.</param>
    /// <param name="slope">Its slope.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void ArgMax<TV, TOps>(TV x, float* slots, out TV slot, out TV slope) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV s0 = TOps.Splat(S[0]);
        TV best = TOps.Add(TOps.Mul(s0, x), TOps.Splat(A[0]));
        slot = TOps.Zero;
        slope = s0;
        for (int j = 1; j < M; j++)
        {
            TV sj = TOps.Splat(S[j]);
            TV v = TOps.Add(TOps.Mul(sj, x), TOps.Splat(A[j]));
            TV win = TOps.GreaterThan(v, best);
            best = Larger<TV, TOps>(v, best);
            slot = TOps.Select(win, TOps.Splat(slots[j]), slot);
            slope = TOps.Select(win, sj, slope);
        }
    }

    /// <summary>
    /// Scan mode, per lane: the winning line's slope, as <see cref="Max{TV, TOps}"/> picks it. Where the scanned slopes
    /// are distinct (the tropical polynomial's 0..n, or its hull's) the slope also names the winning slot, with one
    /// select a line fewer than <see cref="ArgMax{TV, TOps}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly TV ArgMaxSlope<TV, TOps>(TV x) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV slope = TOps.Splat(S[0]);
        TV best = TOps.Add(TOps.Mul(slope, x), TOps.Splat(A[0]));
        for (int j = 1; j < M; j++)
        {
            TV sj = TOps.Splat(S[j]);
            TV v = TOps.Add(TOps.Mul(sj, x), TOps.Splat(A[j]));
            slope = TOps.Select(TOps.GreaterThan(v, best), sj, slope);
            best = Larger<TV, TOps>(v, best);
        }
        return slope;
    }
}

internal static unsafe class MaxAffine
{
    /// <summary>
    /// acc + value in the lanes where a == b, acc elsewhere: a winning line's (or slot's) sum in the backward scans. On
    /// AVX-512 a compare with this one use feeds a masked add; a mask used twice is first moved into a vector register,
    /// so a caller that adds two values under the same comparison writes it once in each order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV AddWhereEqual<TV, TOps>(TV acc, TV a, TV b, TV value) where TV : unmanaged where TOps : struct, ISimd<TV> =>
        TOps.Select(TOps.Equal(a, b), TOps.Add(acc, value), acc);

    /// <summary>Up to this many candidate lines are scanned (vectorized); beyond, a hull binary search.</summary>
    public const int ScanLimit = 32;

    /// <summary>
    /// Fills the plan's buffers (each of capacity slopes.Length; breaks slopes.Length - 1) for the lines
    /// (slopes[k], intercepts[k]). Lines that can never be the maximum are dropped only when there are more than
    /// <see cref="ScanLimit"/> lines.
    /// </summary>
    public static MaxAffinePlan Prepare(ReadOnlySpan<float> slopes, ReadOnlySpan<float> intercepts, float* s, float* a, int* index, double* breaks)
    {
        int m = slopes.Length;
        var plan = new MaxAffinePlan { S = s, A = a, Index = index, Breaks = breaks };
        if (m <= ScanLimit)
        {
            for (int k = 0; k < m; k++) { s[k] = slopes[k]; a[k] = intercepts[k]; index[k] = k; }
            plan.M = m;
            return plan;
        }

        // Upper envelope: lines by increasing slope (equal slopes: larger intercept, then lower index, first).
        var order = m <= 1024 ? stackalloc (float Slope, float NegIntercept, int Index)[m] : new (float, float, int)[m];
        for (int k = 0; k < m; k++) order[k] = (slopes[k], -intercepts[k], k);
        order.Sort();
        Span<int> hull = m <= 1024 ? stackalloc int[m] : new int[m];
        int h = 0;
        for (int t = 0; t < m; t++)
        {
            int k = order[t].Index;
            if (h > 0 && slopes[hull[h - 1]] == slopes[k]) continue; // same slope, lower intercept (or later index)
            while (h >= 2 && !Needed(slopes, intercepts, hull[h - 2], hull[h - 1], k)) h--;
            hull[h++] = k;
        }

        if (h <= ScanLimit)
        {
            hull[..h].Sort(); // scan in original index order: first index wins exact ties
            for (int j = 0; j < h; j++) { int k = hull[j]; s[j] = slopes[k]; a[j] = intercepts[k]; index[j] = k; }
            plan.M = h;
            return plan;
        }
        for (int j = 0; j < h; j++) { int k = hull[j]; s[j] = slopes[k]; a[j] = intercepts[k]; index[j] = k; }
        for (int j = 0; j + 1 < h; j++)
        {
            int k1 = hull[j], k2 = hull[j + 1];
            breaks[j] = ((double)intercepts[k1] - intercepts[k2]) / ((double)slopes[k2] - slopes[k1]);
        }
        plan.M = h;
        plan.Search = true;
        return plan;
    }

    // With s1 < s2 < s3: line 2 is on the envelope over an interval iff it overtakes line 1 before line 3 overtakes it,
    // i.e. x12 < x13 with x_ij the crossing of lines i and j (cross-multiplied; denominators are positive).
    private static bool Needed(ReadOnlySpan<float> s, ReadOnlySpan<float> a, int l1, int l2, int l3)
    {
        double lhs = ((double)a[l1] - a[l2]) * ((double)s[l3] - s[l1]);
        double rhs = ((double)a[l1] - a[l3]) * ((double)s[l2] - s[l1]);
        return lhs < rhs;
    }
}
