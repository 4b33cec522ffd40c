using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.Arm;

namespace Ortho.Kernels.Simd;

/// <summary>Whether the fast multiply-adds (<see cref="ISimd{TV}.MulAdd"/>, <see cref="ISimd{TV}.MulSub"/>) are fused.</summary>
internal static class FmaSupport
{
    /// <summary>True where a fused multiply-add is one hardware instruction (x86 FMA3, Arm AdvSimd).</summary>
    public static bool Hardware => System.Runtime.Intrinsics.X86.Fma.IsSupported || AdvSimd.IsSupported;
}

/// <summary>Lane-by-lane masked loads and stores for hardware without masked moves (Avx / Avx-512 absent).</summary>
internal static unsafe class SimdFallback
{
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
