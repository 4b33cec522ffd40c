namespace Ortho;

/// <summary>
/// A seeded counter-based random number generator: value i of a stream is a pure function of
/// (seed, stream offset + i), so fills split across threads give the same numbers as serial fills.
/// </summary>
/// <remarks>Each draw advances <see cref="Offset"/>; saving (Seed, Offset) restores the generator exactly.</remarks>
public sealed class Rng
{
    /// <summary>Creates a generator with the given seed, at offset 0.</summary>
    public Rng(ulong seed) { Seed = seed; }

    /// <summary>
    /// The generator modules use for initialization when none is passed (seed 0 at start-up);
    /// <see cref="ManualSeed"/> replaces it, like torch.manual_seed.
    /// </summary>
    public static Rng Default { get; private set; } = new(0);

    /// <summary>Replaces <see cref="Default"/> with a fresh generator of the given seed.</summary>
    public static void ManualSeed(ulong seed) => Default = new Rng(seed);

    /// <summary>The seed this generator was created with.</summary>
    public ulong Seed { get; }

    /// <summary>Number of 64-bit counters consumed so far (the generator's whole state besides the seed).</summary>
    public ulong Offset { get; set; }

    /// <summary>The 64-bit random value at counter <paramref name="counter"/> of the stream of <paramref name="seed"/>.</summary>
    public static ulong Hash(ulong seed, ulong counter)
    {
        // SplitMix64 finalizer over a Weyl sequence keyed by the seed.
        ulong z = seed * 0xD1342543DE82EF95UL + (counter + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform double in [0, 1) from a 64-bit value (53 significant bits).</summary>
    public static double ToUnit(ulong bits) => (bits >> 11) * (1.0 / (1UL << 53));

    /// <summary>Next raw 64-bit value.</summary>
    public ulong NextUInt64() => Hash(Seed, Offset++);

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "must be positive");
        return (int)(((UInt128)NextUInt64() * (ulong)maxExclusive) >> 64);
    }

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => ToUnit(NextUInt64());

    /// <summary>Fills with U(low, high).</summary>
    public void FillUniform(Span<float> dst, float low = 0f, float high = 1f)
    {
        ulong start = Offset;
        for (int i = 0; i < dst.Length; i++)
            dst[i] = (float)(low + (high - low) * ToUnit(Hash(Seed, start + (ulong)i)));
        Offset = start + (ulong)dst.Length;
    }

    /// <summary>Fills with N(mean, std^2) by Box-Muller on counter pairs (element i uses counters 2i, 2i+1).</summary>
    public void FillNormal(Span<float> dst, float mean = 0f, float std = 1f)
    {
        ulong start = Offset;
        for (int i = 0; i < dst.Length; i++)
            dst[i] = (float)(mean + std * NormalAt(Seed, start + 2 * (ulong)i));
        Offset = start + 2 * (ulong)dst.Length;
    }

    /// <summary>
    /// Fills with N(mean, std^2) truncated to [mean + a*std, mean + b*std] (PyTorch's trunc_normal_ uses a=-2, b=2
    /// in units of the absolute bounds; here the bounds are absolute values <paramref name="low"/>, <paramref name="high"/>).
    /// Rejection sampling per element on its own counter sub-stream, so results do not depend on fill order.
    /// </summary>
    public void FillTruncatedNormal(Span<float> dst, float mean, float std, float low, float high)
    {
        if (!(low < high)) throw new ArgumentException($"truncation bounds must satisfy low < high, got [{low}, {high}]");
        ulong start = Offset;
        for (int i = 0; i < dst.Length; i++)
        {
            ulong sub = Hash(Seed ^ 0x5DEECE66DUL, start + (ulong)i);
            double v = mean;
            for (ulong attempt = 0; attempt < 1000; attempt++)
            {
                double z = mean + std * NormalAt(sub, 2 * attempt);
                if (z >= low && z <= high) { v = z; break; }
            }
            dst[i] = (float)v;
        }
        Offset = start + (ulong)dst.Length;
    }

    private static double NormalAt(ulong seed, ulong counter)
    {
        double u1 = 1.0 - ToUnit(Hash(seed, counter)); // (0, 1]
        double u2 = ToUnit(Hash(seed, counter + 1));
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
