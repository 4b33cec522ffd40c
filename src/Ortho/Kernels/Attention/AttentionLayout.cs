namespace Ortho.Kernels;

/// <summary>
/// Where a logical [B, H, T, D] attention operand lives inside a flat float buffer: element (b, h, t, d) is at
/// <c>Offset + b * BatchStride + h * HeadStride + t * TokenStride + d</c> (the head dimension d is always
/// contiguous). This lets the attention kernels read q, k, v straight out of a fused QKV projection and write
/// y in token-major order, with no transposes.
/// </summary>
/// <param name="Offset">Index of element (0, 0, 0, 0).</param>
/// <param name="BatchStride">Distance between consecutive batch entries.</param>
/// <param name="HeadStride">Distance between consecutive heads.</param>
/// <param name="TokenStride">Distance between consecutive tokens (time steps).</param>
public readonly record struct AttentionLayout(int Offset, int BatchStride, int HeadStride, int TokenStride)
{
    /// <summary>A contiguous [B, H, T, D] tensor.</summary>
    public static AttentionLayout Contiguous(int heads, int tokens, int headDim) =>
        new(0, checked(heads * tokens * headDim), checked(tokens * headDim), headDim);

    /// <summary>
    /// Part <paramref name="part"/> (0 = q, 1 = k, 2 = v) of a fused QKV buffer [B, T, 3C] with C = H * D: the
    /// part starts at channel part * C and head h occupies channels [h * D, (h + 1) * D) inside it.
    /// </summary>
    public static AttentionLayout FusedQkv(int part, int heads, int tokens, int headDim)
    {
        if ((uint)part > 2) throw new ArgumentOutOfRangeException(nameof(part), part, "part is 0 (q), 1 (k) or 2 (v)");
        int c = checked(heads * headDim);
        return new(part * c, checked(tokens * 3 * c), headDim, 3 * c);
    }

    /// <summary>A token-major [B, T, C] tensor (C = H * D, head h at channels [h * D, (h + 1) * D)), as y and dy of the GPT model.</summary>
    public static AttentionLayout TokenMajor(int heads, int tokens, int headDim)
    {
        int c = checked(heads * headDim);
        return new(0, checked(tokens * c), headDim, c);
    }

    /// <summary>Throws unless every element of a [B, H, T, D] view lies inside a buffer of <paramref name="length"/> floats.</summary>
    internal void Check(string name, int length, int batch, int heads, int tokens, int headDim)
    {
        if (Offset < 0 || BatchStride < 0 || HeadStride < 0 || TokenStride < 0)
            throw new ArgumentException($"{name}: offsets and strides must be non-negative ({this}).", name);
        if (batch == 0 || heads == 0 || tokens == 0 || headDim == 0) return;
        long last = Offset + (long)(batch - 1) * BatchStride + (long)(heads - 1) * HeadStride
                    + (long)(tokens - 1) * TokenStride + headDim - 1;
        if (last >= length)
            throw new ArgumentException($"{name}: layout {this} reaches index {last} but the buffer has {length} floats.", name);
    }
}
