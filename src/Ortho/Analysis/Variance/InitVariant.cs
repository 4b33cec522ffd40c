using System.Globalization;
using Ortho.Activations;
using Ortho.NN;

namespace Ortho.Analysis.Variance;

/// <summary>
/// A deliberately different initialization of the learnable activations, to see what the paper's variance-preserving
/// values prevent: <c>default</c> (the paper's values), <c>ones</c> (every Hermite coefficient 1; Fourier's f0 and
/// amplitudes 1), <c>unscaled</c> (the k-th Hermite or Fourier coefficient multiplied by k!, which undoes the 1/k!
/// of the basis), or <c>scale:S</c> (Hermite's coefficients, Fourier's f0 and amplitudes times S, i.e. f times S).
/// Only the polynomial kinds have such coefficients: a variant other than <c>default</c> refuses the tropical kinds
/// (whose init is all ones already) and the classic activations.
/// </summary>
public sealed record InitVariant
{
    private InitVariant(string name, double scale) { Name = name; Scale = scale; }

    /// <summary>"default", "ones", "unscaled" or "scale".</summary>
    public string Name { get; }

    /// <summary>The factor of <c>scale:S</c> (1 otherwise).</summary>
    public double Scale { get; }

    /// <summary>The paper's initialization (no change).</summary>
    public static InitVariant Default { get; } = new("default", 1);

    /// <summary>Every coefficient 1.</summary>
    public static InitVariant Ones { get; } = new("ones", 1);

    /// <summary>Coefficient k times k!.</summary>
    public static InitVariant Unscaled { get; } = new("unscaled", 1);

    /// <summary>The activation times <paramref name="factor"/>.</summary>
    public static InitVariant Scaled(double factor) =>
        double.IsFinite(factor) ? new("scale", factor) : throw new ArgumentOutOfRangeException(nameof(factor), factor, "the scale must be finite.");

    /// <summary>Whether this is the paper's initialization.</summary>
    public bool IsDefault => Name == "default";

    /// <summary>Parses "default", "ones", "unscaled" or "scale:S"; the error lists them.</summary>
    public static InitVariant Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim().ToLowerInvariant();
        if (s == "default") return Default;
        if (s == "ones") return Ones;
        if (s == "unscaled") return Unscaled;
        if (s.StartsWith("scale:", StringComparison.Ordinal)
            && double.TryParse(s["scale:".Length..], NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && double.IsFinite(f))
            return Scaled(f);
        throw new FormatException($"Unknown activation init '{text}'. Use default, ones, unscaled or scale:S (e.g. scale:2).");
    }

    /// <summary>The values this variant gives in place of <paramref name="init"/> (a copy; <paramref name="init"/> is unchanged).</summary>
    /// <exception cref="ArgumentException">The variant does not apply to the kind.</exception>
    public ActivationParameters Apply(ActivationParameters init)
    {
        ArgumentNullException.ThrowIfNull(init);
        var p = init.Clone();
        if (IsDefault) return p;
        // The coefficient arrays whose entry k multiplies the k-th basis function (and the constant term, if separate).
        float[] terms;
        float[]? constant = null;
        int firstOrder;
        switch (p.Kind)
        {
            case "hermite":
                terms = p[ActivationParameterNames.Hermite.Coefficients];
                firstOrder = 0;
                break;
            case "fourier":
                terms = p[ActivationParameterNames.Fourier.Coefficients];
                constant = p[ActivationParameterNames.Fourier.Fundamental];
                firstOrder = 1;
                break;
            default:
                throw new ArgumentException($"activation init '{this}' applies to hermite and fourier activations, not {p.Kind} (its coefficients are not a scaled basis).");
        }
        for (int i = 0; i < terms.Length; i++)
        {
            int k = i + firstOrder;
            terms[i] = Name switch
            {
                "ones" => 1f,
                "unscaled" => (float)(terms[i] * Factorial(k)),
                _ => (float)(terms[i] * Scale),
            };
        }
        if (constant != null && Name != "unscaled") constant[0] = Name == "ones" ? 1f : (float)(constant[0] * Scale);
        return p;
    }

    /// <summary>Applies the variant to every learnable activation in <paramref name="model"/>; returns how many it changed.</summary>
    /// <exception cref="ArgumentException">The model has a learnable activation the variant does not apply to.</exception>
    public int ApplyTo(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (IsDefault) return 0;
        int n = 0;
        foreach (var (_, m) in model.NamedModules())
            if (m is LearnableActivation a) { a.Load(Apply(a.Snapshot())); n++; }
        return n;
    }

    /// <summary>Throws unless this variant can be applied to activations of <paramref name="spec"/>.</summary>
    public void CheckApplies(ActivationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (IsDefault) return;
        if (!spec.IsLearnable) throw new ArgumentException($"activation init '{this}' applies to hermite and fourier activations, not {spec}.");
        Apply(ActivationRegistry.Get(spec.Kind).Initial(spec.Degree, new Rng(0)));
    }

    /// <summary>The text form: "default", "ones", "unscaled" or "scale:S".</summary>
    public override string ToString() => Name == "scale" ? "scale:" + Scale.ToString("R", CultureInfo.InvariantCulture) : Name;

    private static double Factorial(int k)
    {
        double f = 1;
        for (int j = 2; j <= k; j++) f *= j;
        return f;
    }
}
