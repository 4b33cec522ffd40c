namespace Ortho.Kernels.Simd;

/// <summary>A compile-time boolean for generic kernel variants (the JIT removes the dead branch).</summary>
internal interface IFlag
{
    /// <summary>The flag's value.</summary>
    static abstract bool On { get; }
}

/// <summary>The true <see cref="IFlag"/>.</summary>
internal readonly struct Yes : IFlag
{
    public static bool On => true;
}

/// <summary>The false <see cref="IFlag"/>.</summary>
internal readonly struct No : IFlag
{
    public static bool On => false;
}
