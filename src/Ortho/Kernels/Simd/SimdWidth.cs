namespace Ortho.Kernels.Simd;

/// <summary>The vector widths a kernel can run with; the value is the number of float lanes.</summary>
internal enum SimdWidth
{
    /// <summary>One float at a time (<see cref="SimdScalar"/>): the reference path.</summary>
    Scalar = 1,
    /// <summary>Vector128 (SSE / NEON), <see cref="Simd128"/>.</summary>
    V128 = 4,
    /// <summary>Vector256 (AVX2), <see cref="Simd256"/>.</summary>
    V256 = 8,
    /// <summary>Vector512 (AVX-512), <see cref="Simd512"/>.</summary>
    V512 = 16,
}
