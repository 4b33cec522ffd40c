using System.Runtime.Intrinsics.Arm;

namespace Ortho.Kernels.Simd;

/// <summary>Whether the fast multiply-adds (<see cref="ISimd{TV}.MulAdd"/>, <see cref="ISimd{TV}.MulSub"/>) are fused.</summary>
internal static class FmaSupport
{
    /// <summary>True where a fused multiply-add is one hardware instruction (x86 FMA3, Arm AdvSimd).</summary>
    public static bool Hardware => System.Runtime.Intrinsics.X86.Fma.IsSupported || AdvSimd.IsSupported;
}
