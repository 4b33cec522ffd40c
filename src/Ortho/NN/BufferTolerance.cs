using System.Globalization;

namespace Ortho.NN;

/// <summary>
/// How far a loaded float constant buffer may be from its defined value (see <c>Module.RegisterConstant</c>). Always
/// accepted: the exact value, a value one float32 rounding step away (another writer computed the same constant in
/// another order), and the value rounded to float16 or bfloat16 (a file stored in a narrower dtype). A relative
/// tolerance widens that for constants other writers compute less exactly: torchortho's factorials (exp(lgamma(k+1))
/// in float32, up to ~3e-6 relative away from k!) are accepted with <see cref="Relative"/> 1e-5.
/// </summary>
/// <param name="Relative">Accepted |found - expected| / |expected| beyond the dtype rounding (0: none).</param>
public sealed record BufferTolerance(double Relative)
{
    /// <summary>Only the rounding of the file's dtype.</summary>
    public static BufferTolerance DtypeRounding { get; } = new(0);

    /// <summary>Whether <paramref name="found"/> is an accepted value of the constant <paramref name="expected"/>.</summary>
    public bool Accepts(float found, float expected)
    {
        if (found == expected) return true;
        if (!float.IsFinite(found) || !float.IsFinite(expected)) return false;
        double diff = Math.Abs((double)found - expected), mag = Math.Abs((double)expected);
        if (diff <= Relative * mag) return true;
        if (diff <= Math.Abs((double)MathF.BitIncrement(MathF.Abs(expected)) - mag)) return true; // one float32 step
        return found == (float)(Half)expected || found == RoundToBFloat16(expected);
    }

    private static float RoundToBFloat16(float v)
    {
        uint bits = BitConverter.SingleToUInt32Bits(v);
        bits += 0x7FFF + ((bits >> 16) & 1); // round to nearest even on the upper 16 bits
        return BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000u);
    }

    /// <inheritdoc/>
    public override string ToString() => Relative == 0
        ? "accepted: the float32, float16 or bfloat16 rounding of the expected value"
        : string.Create(CultureInfo.InvariantCulture, $"accepted: relative {Relative:G3}, or the float32, float16 or bfloat16 rounding of the expected value");
}
