using System.Globalization;
using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// The one activation format used everywhere (CLI, configs, checkpoints): <c>gelu</c>, <c>gelu_tanh</c>, <c>relu</c>,
/// <c>silu</c>, <c>tanh</c>, <c>sigmoid</c>, or a learnable one with its degree: <c>hermite:3</c>, <c>fourier:5</c>,
/// <c>tropical:5</c>, <c>tropical_rational:3</c>, or any kind added to <see cref="ActivationRegistry"/>, optionally with
/// options: <c>hermite:8+clamp</c> (torchortho's Hermite with <c>clamp=True</c>). The peer's spellings
/// <c>hermite3</c> and <c>hermiteclamp8</c> are accepted too.
/// </summary>
/// <param name="Kind">The kind's name ("hermite") or a classic activation's.</param>
/// <param name="Degree">The degree; 0 for classic activations.</param>
/// <param name="Options">The kind's options joined by '+' in the kind's order ("clamp"), or "".</param>
public sealed record ActivationSpec(string Kind, int Degree, string Options = "")
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

    /// <summary>Parses a spec (aliases become the kind's name, options their canonical order); the error lists the accepted forms.</summary>
    public static ActivationSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim().ToLowerInvariant();
        if (Classic.Contains(s)) return new ActivationSpec(s, 0);
        var parts = s.Split('+');
        string head = parts[0], kind, deg;
        int colon = head.IndexOf(':');
        if (colon >= 0) { kind = head[..colon]; deg = head[(colon + 1)..]; }
        else
        {
            int i = head.Length;
            while (i > 0 && char.IsDigit(head[i - 1])) i--;
            kind = head[..i]; deg = head[i..];
        }
        if (!ActivationRegistry.TryGet(kind, out var family) || !int.TryParse(deg, NumberStyles.None, CultureInfo.InvariantCulture, out int degree)
            || parts.Skip(1).Any(string.IsNullOrEmpty))
            throw new FormatException($"Unknown activation '{text}'. Use one of {string.Join(", ", Classic)}, or KIND:DEGREE[+OPTION] with KIND in {string.Join(", ", Learnable)} (e.g. hermite:3, hermite:8+clamp).");
        try { family = family.WithOptions(family.Options.Concat(parts.Skip(1))); }
        catch (ArgumentException e) { throw new FormatException($"Activation '{text}': {e.Message}", e); }
        family.ValidateDegree(degree);
        return new ActivationSpec(family.Name, degree, string.Join("+", family.Options));
    }

    /// <summary>Whether the activation has learnable parameters.</summary>
    public bool IsLearnable => Degree > 0;

    /// <summary>The canonical text form, e.g. "hermite:3" or "hermite:8+clamp".</summary>
    public override string ToString() => !IsLearnable ? Kind : Options.Length == 0 ? $"{Kind}:{Degree}" : $"{Kind}:{Degree}+{Options}";

    /// <summary>
    /// The spelling of the PyTorch peer's scripts and fixtures: "gelu", "hermite3", "hermiteclamp8" (a kind's option
    /// alias where one names these options), "tropical_rational2".
    /// </summary>
    public string ToPeerName()
    {
        if (!IsLearnable) return Kind;
        var family = Family;
        if (family.Options.Count == 0) return Kind + Degree.ToString(CultureInfo.InvariantCulture);
        foreach (var (alias, options) in ActivationRegistry.Get(Kind).OptionAliases)
            if (ActivationRegistry.Get(Kind).WithOptions(options).Equals(family)) return alias + Degree.ToString(CultureInfo.InvariantCulture);
        return ToString();
    }

    /// <summary>The learnable kind with these options.</summary>
    /// <exception cref="InvalidOperationException">A classic activation (no family).</exception>
    /// <exception cref="ArgumentException">The kind is not registered, or does not support the options.</exception>
    public ActivationFamily Family => IsLearnable
        ? ActivationRegistry.Get(Kind).WithOptions(Options.Length == 0 ? [] : Options.Split('+'))
        : throw new InvalidOperationException($"'{Kind}' is a classic activation: it has no learnable family.");

    /// <summary>Creates the module (kinds that draw their initial values, e.g. tropical rational, draw from <paramref name="rng"/>).</summary>
    /// <exception cref="ArgumentException">The kind is not registered.</exception>
    public UnaryModule Create(Rng? rng = null)
    {
        if (IsLearnable) return Family.CreateModule(Degree, rng);
        foreach (var (name, create) in ClassicModules)
            if (name == Kind) return create();
        throw new ArgumentException($"Unknown classic activation '{Kind}'; expected one of {string.Join(", ", Classic)}.");
    }
}
