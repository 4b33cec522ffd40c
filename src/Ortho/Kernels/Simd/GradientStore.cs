using System.Runtime.CompilerServices;

namespace Ortho.Kernels.Simd;

/// <summary>The input-gradient store of the backward kernels: written, or added to what is there.</summary>
internal static unsafe class GradientStore
{
    /// <summary>dx = v, or dx += v when <paramref name="accumulate"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put<TV, TOps>(float* dx, TV v, bool accumulate) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        if (accumulate) v = TOps.Add(TOps.Load(dx), v);
        TOps.Store(dx, v);
    }
}
