using System.Globalization;
using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// The one activation format used everywhere (CLI, configs, checkpoints): <c>gelu</c>, <c>gelu_tanh</c>, <c>relu</c>,
/// <c>silu</c>, <c>tanh</c>, <c>sigmoid</c>, or a learnable one with its degree: <c>hermite:3</c>, <c>fourier:5</c>,
/// <c>tropical:5</c>, <c>tropical_rational:3</c>, or any kind added to <see cref="ActivationRegistry"/> (the peer's
/// <c>hermite3</c> spelling is accepted too).
/// </summary>
public sealed record ActivationSpec(string Kind, int Degree)
{
    private static readonly (string Name, Func<UnaryModule> Create)[] ClassicModules =
    [
        ("gelu", () => new Gelu()),
        ("gelu_tanh", () => new Gelu("tanh")),
        ("relu", () => new Relu()),
        ("silu", () => new Silu()),
        ("tanh", () => new Tanh()),
        ("sigmoid", () => new Sigmoid()),
    ];

    /// <summary>Kinds without a degree.</summary>
    public static readonly IReadOnlyList<string> Classic = ClassicModules.Select(c => c.Name).ToArray();

    /// <summary>Learnable kinds (need a degree): the names in <see cref="ActivationRegistry"/>.</summary>
    public static IReadOnlyList<string> Learnable => ActivationRegistry.Names;

    /// <summary>Parses a spec (aliases become the kind's name); the error lists the accepted forms.</summary>
    public static ActivationSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim().ToLowerInvariant();
        if (Classic.Contains(s)) return new ActivationSpec(s, 0);
        string kind = s, deg = "";
        int colon = s.IndexOf(':');
        if (colon >= 0) { kind = s[..colon]; deg = s[(colon + 1)..]; }
        else
        {
            int i = s.Length;
            while (i > 0 && char.IsDigit(s[i - 1])) i--;
            kind = s[..i]; deg = s[i..];
        }
        if (!ActivationRegistry.TryGet(kind, out var family) || !int.TryParse(deg, NumberStyles.None, CultureInfo.InvariantCulture, out int degree))
            throw new FormatException($"Unknown activation '{text}'. Use one of {string.Join(", ", Classic)}, or KIND:DEGREE with KIND in {string.Join(", ", Learnable)} (e.g. hermite:3).");
        family.ValidateDegree(degree);
        return new ActivationSpec(family.Name, degree);
    }

    /// <summary>Whether the activation has learnable parameters.</summary>
    public bool IsLearnable => Degree > 0;

    /// <summary>The canonical text form, e.g. "hermite:3".</summary>
    public override string ToString() => IsLearnable ? $"{Kind}:{Degree}" : Kind;

    /// <summary>Creates the module (kinds that draw their initial values, e.g. tropical rational, draw from <paramref name="rng"/>).</summary>
    /// <exception cref="ArgumentException">The kind is not registered.</exception>
    public UnaryModule Create(Rng? rng = null)
    {
        if (IsLearnable) return ActivationRegistry.Get(Kind).CreateModule(Degree, rng);
        foreach (var (name, create) in ClassicModules)
            if (name == Kind) return create();
        throw new ArgumentException($"Unknown classic activation '{Kind}'; expected one of {string.Join(", ", Classic)}.");
    }
}
