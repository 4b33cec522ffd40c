using System.Runtime.CompilerServices;
using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>
/// x = q pi/2 + r in double precision, per lane of any width: q = round(2x/pi) (returned integral-valued), r rounded to
/// float once. pi/2 is split into a double P1 and the rest P2 (two fused steps), so r is accurate for |q| &lt; 2^22
/// whatever its magnitude.
/// </summary>
internal static class HalfPiReduction
{
    private const double TwoOverPi = 2.0 / Math.PI;
    private const double P1 = Math.PI / 2;                 // pi/2 rounded to double
    internal const double P2 = 6.123233995736766E-17;      // pi/2 - P1 (= cos(P1) to double precision; a test checks it)

    /// <summary>Returns r with x = q pi/2 + r; <paramref name="q"/> gets round(2x/pi).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Reduce<TV, TOps>(TV x, out TV q) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        var job = new Job<TV> { X = x };
        TOps.WithDouble(ref job);
        q = job.Q;
        return job.R;
    }

    private struct Job<TV> : IDoubleJob<TV> where TV : unmanaged
    {
        public TV X, Q, R;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Run<TD, TDOps>() where TD : unmanaged where TDOps : struct, ISimdDouble<TV, TD>
        {
            TDOps.Widen(X, out TD lo, out TD hi);
            TD t = TDOps.Splat(TwoOverPi), p1 = TDOps.Splat(-P1), p2 = TDOps.Splat(-P2);
            TD qlo = TDOps.Round(TDOps.Mul(lo, t)), qhi = TDOps.Round(TDOps.Mul(hi, t));
            TD rlo = TDOps.Fma(qlo, p2, TDOps.Fma(qlo, p1, lo));
            TD rhi = TDOps.Fma(qhi, p2, TDOps.Fma(qhi, p1, hi));
            Q = TDOps.Narrow(qlo, qhi);
            R = TDOps.Narrow(rlo, rhi);
        }
    }
}
