namespace Ortho.Kernels;

/// <summary>
/// The 64-byte cache line in floats: data that starts on a line is read and written by whole vectors of 16 floats
/// without straddling two lines, and ranges that start on lines give two threads no line to share.
/// </summary>
internal static unsafe class CacheLine
{
    /// <summary>Bytes in a line.</summary>
    public const int Bytes = 64;

    /// <summary>Floats in a line.</summary>
    public const int Floats = Bytes / sizeof(float);

    /// <summary><paramref name="floats"/> rounded up to whole lines.</summary>
    public static int RoundUp(int floats) => (floats + Floats - 1) & -Floats;

    /// <summary>Floats from <paramref name="p"/> to the first line start at or after it (0 to 15).</summary>
    public static int FloatsToLine(float* p) => (int)((Bytes - (nuint)p % Bytes) % Bytes / sizeof(float));
}
