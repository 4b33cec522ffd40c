using System.Runtime.CompilerServices;

namespace Ortho.Kernels.Simd;

/// <summary>
/// What the vector types do in one instruction where the hardware has it, done another way: lane-by-lane masked loads and
/// stores (Avx / Avx-512 absent), and the rounding constant of <see cref="ISimd{TV}.RoundRemainder"/>.
/// </summary>
internal static unsafe class SimdFallback
{
    /// <summary>1.5 * 2^23: a + RoundMagic - RoundMagic rounds a float with |a| &lt;= 2^22 to an integer, ties to even.</summary>
    public const float RoundMagic = 12582912f;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static TV MaskLoad<TV, TOps>(float* p, TV mask) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int* m = stackalloc int[TOps.Count];
        float* v = stackalloc float[TOps.Count];
        TOps.Store((float*)m, mask);
        for (int i = 0; i < TOps.Count; i++) v[i] = m[i] != 0 ? p[i] : 0f;
        return TOps.Load(v);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void MaskStore<TV, TOps>(float* p, TV mask, TV value) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        int* m = stackalloc int[TOps.Count];
        float* v = stackalloc float[TOps.Count];
        TOps.Store((float*)m, mask);
        TOps.Store(v, value);
        for (int i = 0; i < TOps.Count; i++)
            if (m[i] != 0) p[i] = v[i];
    }
}
