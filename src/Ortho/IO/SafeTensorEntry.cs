using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Ortho.IO;

/// <summary>One tensor of a safetensors file: its name, dtype string, shape and raw little-endian bytes.</summary>
/// <param name="Name">The tensor's name (the header key).</param>
/// <param name="Dtype">The dtype string, one of <see cref="SafeTensorDtypes"/>.</param>
/// <param name="Shape">The dimensions; empty for a scalar.</param>
/// <param name="Data">The element bytes, little-endian, row-major; exactly element size x product(shape) bytes.</param>
public sealed record SafeTensorEntry(string Name, string Dtype, int[] Shape, ReadOnlyMemory<byte> Data)
{
    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (int d in Shape) n = checked(n * d);
            return n;
        }
    }

    /// <summary>The elements converted to float: exact for F32, F16, BF16, BOOL and small integers; rounded for F64 and wide integers.</summary>
    /// <exception cref="NotSupportedException">The dtype has no float conversion here (F8 formats).</exception>
    public float[] ToFloat32()
    {
        var result = new float[CheckedCount()];
        CopyToFloat32(result);
        return result;
    }

    /// <summary>
    /// Converts the elements to float into <paramref name="destination"/>, whose length must equal
    /// <see cref="ElementCount"/> (e.g. a parameter's existing storage). Same conversions as <see cref="ToFloat32"/>.
    /// </summary>
    public void CopyToFloat32(Span<float> destination)
    {
        int n = CheckLength(destination.Length);
        ReadOnlySpan<byte> s = Data.Span;
        switch (Dtype)
        {
            case SafeTensorDtypes.F32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(s).CopyTo(destination);
                else for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(s[(4 * i)..]);
                break;
            case SafeTensorDtypes.F64:
                for (int i = 0; i < n; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(s[(8 * i)..]);
                break;
            case SafeTensorDtypes.F16:
                for (int i = 0; i < n; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(s[(2 * i)..]);
                break;
            case SafeTensorDtypes.BF16:
                for (int i = 0; i < n; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(s[(2 * i)..]) << 16);
                break;
            case SafeTensorDtypes.U64:
                for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReadUInt64LittleEndian(s[(8 * i)..]);
                break;
            case var d when IsInteger(d):
                for (int i = 0; i < n; i++) destination[i] = IntegerAt(s, i);
                break;
            default:
                throw new NotSupportedException($"tensor '{Name}': dtype {Dtype} has no conversion to float32");
        }
    }

    /// <summary>The elements as 64-bit integers (integer and BOOL dtypes only; exact).</summary>
    /// <exception cref="InvalidOperationException">The dtype is a floating-point one.</exception>
    /// <exception cref="OverflowException">A U64 element exceeds <see cref="long.MaxValue"/>.</exception>
    public long[] ToInt64()
    {
        var result = new long[CheckedCount()];
        CopyToInt64(result);
        return result;
    }

    /// <summary>Converts the elements to 64-bit integers into <paramref name="destination"/> (length <see cref="ElementCount"/>).</summary>
    public void CopyToInt64(Span<long> destination)
    {
        int n = CheckLength(destination.Length);
        ReadOnlySpan<byte> s = Data.Span;
        switch (Dtype)
        {
            case SafeTensorDtypes.I64:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, long>(s).CopyTo(destination);
                else for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReadInt64LittleEndian(s[(8 * i)..]);
                break;
            case SafeTensorDtypes.U64:
                for (int i = 0; i < n; i++)
                {
                    ulong v = BinaryPrimitives.ReadUInt64LittleEndian(s[(8 * i)..]);
                    if (v > long.MaxValue) throw new OverflowException($"tensor '{Name}': U64 element {i} = {v} does not fit in Int64");
                    destination[i] = (long)v;
                }
                break;
            case var d when IsInteger(d):
                for (int i = 0; i < n; i++) destination[i] = IntegerAt(s, i);
                break;
            default:
                throw new InvalidOperationException($"tensor '{Name}': dtype {Dtype} is not an integer dtype; use ToFloat32");
        }
    }

    private static bool IsInteger(string dtype) => dtype is SafeTensorDtypes.I64 or SafeTensorDtypes.I32 or SafeTensorDtypes.U32
        or SafeTensorDtypes.I16 or SafeTensorDtypes.U16 or SafeTensorDtypes.I8 or SafeTensorDtypes.U8 or SafeTensorDtypes.BOOL;

    /// <summary>Element <paramref name="i"/> of an integer (or BOOL) dtype other than U64, exactly.</summary>
    private long IntegerAt(ReadOnlySpan<byte> s, int i) => Dtype switch
    {
        SafeTensorDtypes.I64 => BinaryPrimitives.ReadInt64LittleEndian(s[(8 * i)..]),
        SafeTensorDtypes.I32 => BinaryPrimitives.ReadInt32LittleEndian(s[(4 * i)..]),
        SafeTensorDtypes.U32 => BinaryPrimitives.ReadUInt32LittleEndian(s[(4 * i)..]),
        SafeTensorDtypes.I16 => BinaryPrimitives.ReadInt16LittleEndian(s[(2 * i)..]),
        SafeTensorDtypes.U16 => BinaryPrimitives.ReadUInt16LittleEndian(s[(2 * i)..]),
        SafeTensorDtypes.I8 => (sbyte)s[i],
        SafeTensorDtypes.U8 => s[i],
        _ => s[i] != 0 ? 1 : 0, // BOOL
    };

    /// <summary>A short description: name, dtype and shape.</summary>
    public override string ToString() => $"{Name} {Dtype}[{string.Join(", ", Shape)}]";

    private int CheckedCount()
    {
        long n = ElementCount;
        if (n > Array.MaxLength) throw new NotSupportedException($"tensor '{Name}' has {n} elements, more than an array can hold");
        return (int)n;
    }

    private int CheckLength(int destinationLength)
    {
        int n = CheckedCount();
        if (destinationLength != n)
            throw new ArgumentException($"tensor '{Name}' {Dtype}[{string.Join(", ", Shape)}] has {n} elements, destination has {destinationLength}", "destination");
        int size = SafeTensorDtypes.ElementSize(Dtype);
        if (size != 0 && Data.Length != (long)n * size)
            throw new InvalidOperationException($"tensor '{Name}': {Data.Length} data bytes, expected {(long)n * size} for {Dtype}[{string.Join(", ", Shape)}]");
        return n;
    }
}
