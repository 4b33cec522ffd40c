using System.Runtime.CompilerServices;

namespace Ortho.Kernels.Simd;

/// <summary>Lane sums in double.</summary>
internal static class SimdDouble
{
    /// <summary>Sum of the lanes of <paramref name="v"/> in double, in a fixed order of the width (deterministic).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumToDouble<TV, TOps>(TV v) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        var job = new SumJob<TV> { V = v };
        TOps.WithDouble(ref job);
        return job.Result;
    }

    private struct SumJob<TV> : IDoubleJob<TV> where TV : unmanaged
    {
        public TV V;
        public double Result;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Run<TD, TDOps>() where TD : unmanaged where TDOps : struct, ISimdDouble<TV, TD>
        {
            TDOps.Widen(V, out TD lo, out TD hi);
            Result = TDOps.Sum(TDOps.Add(lo, hi));
        }
    }
}
