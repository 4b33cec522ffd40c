namespace Ortho.Activations;

/// <summary>Argument checks shared by the learnable-activation kernels and their helpers (messages name the kind and degree).</summary>
internal static class ActivationChecks
{
    /// <summary>Throws unless the spans that must match x have its length.</summary>
    public static void CheckSameLength(int n, int other, string name)
    {
        if (other != n) throw new ArgumentException($"{name} has length {other}, expected {n} (the length of x).", name);
    }

    /// <summary>Throws unless a parameter (or gradient) span has the expected length.</summary>
    public static void CheckParam(int length, int expected, string name, string kind, int degree)
    {
        if (length != expected)
            throw new ArgumentException($"{kind} degree {degree}: {name} has length {length}, expected {expected}.", name);
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> stating the valid range.</summary>
    public static void CheckDegree(int degree, int min, int max, string kind)
    {
        if (degree < min || degree > max)
            throw new ArgumentOutOfRangeException(nameof(degree), degree, $"{kind} degree must be in [{min}, {max}]; got {degree}.");
    }
}
