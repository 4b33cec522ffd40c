namespace Ortho.IO;

/// <summary>The dtype strings of the safetensors format and their element sizes.</summary>
public static class SafeTensorDtypes
{
    /// <summary>IEEE 754 binary64.</summary>
    public const string F64 = "F64";
    /// <summary>IEEE 754 binary32.</summary>
    public const string F32 = "F32";
    /// <summary>IEEE 754 binary16.</summary>
    public const string F16 = "F16";
    /// <summary>bfloat16 (the upper half of a binary32).</summary>
    public const string BF16 = "BF16";
    /// <summary>Signed 64-bit integer.</summary>
    public const string I64 = "I64";
    /// <summary>Signed 32-bit integer.</summary>
    public const string I32 = "I32";
    /// <summary>Signed 16-bit integer.</summary>
    public const string I16 = "I16";
    /// <summary>Signed 8-bit integer.</summary>
    public const string I8 = "I8";
    /// <summary>Unsigned 64-bit integer.</summary>
    public const string U64 = "U64";
    /// <summary>Unsigned 32-bit integer.</summary>
    public const string U32 = "U32";
    /// <summary>Unsigned 16-bit integer.</summary>
    public const string U16 = "U16";
    /// <summary>Unsigned 8-bit integer.</summary>
    public const string U8 = "U8";
    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    public const string BOOL = "BOOL";
    /// <summary>8-bit float, 4 exponent and 3 mantissa bits (read and written as raw bytes only).</summary>
    public const string F8_E4M3 = "F8_E4M3";
    /// <summary>8-bit float, 5 exponent and 2 mantissa bits (read and written as raw bytes only).</summary>
    public const string F8_E5M2 = "F8_E5M2";

    /// <summary>Size in bytes of one element of <paramref name="dtype"/>, or 0 when the dtype is unknown.</summary>
    public static int ElementSize(string dtype) => dtype switch
    {
        F64 or I64 or U64 => 8,
        F32 or I32 or U32 => 4,
        F16 or BF16 or I16 or U16 => 2,
        I8 or U8 or BOOL or F8_E4M3 or F8_E5M2 => 1,
        _ => 0,
    };

    /// <summary>Whether <paramref name="dtype"/> is one of the dtype strings this library knows.</summary>
    public static bool IsKnown(string dtype) => ElementSize(dtype) != 0;

    internal const string KnownList = "F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2";
}
