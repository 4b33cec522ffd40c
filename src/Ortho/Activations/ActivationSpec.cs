using System.Globalization;
using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// The one activation format used everywhere (CLI, configs, checkpoints): <c>gelu</c>, <c>gelu_tanh</c>, <c>relu</c>,
/// <c>silu</c>, <c>tanh</c>, <c>sigmoid</c>, or a learnable one with its degree: <c>hermite:3</c>, <c>fourier:5</c>,
/// <c>tropical:5</c>, <c>tropical_rational:3</c> (the peer's <c>hermite3</c> spelling is accepted too).
/// </summary>
public sealed record ActivationSpec(string Kind, int Degree)
{
    /// <summary>Kinds without a degree.</summary>
    public static readonly IReadOnlyList<string> Classic = ["gelu", "gelu_tanh", "relu", "silu", "tanh", "sigmoid"];

    /// <summary>Learnable kinds (need a degree).</summary>
    public static readonly IReadOnlyList<string> Learnable = Enum.GetValues<ActivationKind>().Select(ActivationInfo.Name).ToArray();

    /// <summary>Parses a spec; the error lists the accepted forms.</summary>
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
        if (!ActivationInfo.TryParse(kind, out var k) || !int.TryParse(deg, NumberStyles.None, CultureInfo.InvariantCulture, out int degree))
            throw new FormatException($"Unknown activation '{text}'. Use one of {string.Join(", ", Classic)}, or KIND:DEGREE with KIND in {string.Join(", ", Learnable)} (e.g. hermite:3).");
        var spec = new ActivationSpec(kind, degree);
        ActivationInfo.ValidateDegree(k, degree);
        return spec;
    }

    /// <summary>Whether the activation has learnable parameters.</summary>
    public bool IsLearnable => Degree > 0;

    /// <summary>The canonical text form, e.g. "hermite:3".</summary>
    public override string ToString() => IsLearnable ? $"{Kind}:{Degree}" : Kind;

    /// <summary>Creates the module (tropical-rational parameters are drawn from <paramref name="rng"/>).</summary>
    public UnaryModule Create(Rng? rng = null) => Kind switch
    {
        "gelu" => new Gelu(),
        "gelu_tanh" => new Gelu("tanh"),
        "relu" => new Relu(),
        "silu" => new Silu(),
        "tanh" => new Tanh(),
        "sigmoid" => new Sigmoid(),
        "hermite" => new HermiteActivation(Degree),
        "fourier" => new FourierActivation(Degree),
        "tropical" => new TropicalActivation(Degree),
        "tropical_rational" => new TropicalRationalActivation(Degree, rng ?? Rng.Default),
        _ => throw new InvalidOperationException($"Unhandled activation kind '{Kind}'."),
    };
}
