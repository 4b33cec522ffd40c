using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Ortho.Activations;

/// <summary>
/// The learnable activation kinds by name: the four built-in families, plus any registered with
/// <see cref="Register"/>. <see cref="ActivationSpec"/>, checkpoints, fitting and moments look kinds up here.
/// </summary>
public static class ActivationRegistry
{
    private static readonly Lock Gate = new();

    // The built-in kinds: one line each.
    private static ActivationFamily[] _families =
    [
        HermiteFamily.Instance,
        FourierFamily.Instance,
        TropicalFamily.Instance,
        TropicalRationalFamily.Instance,
    ];

    /// <summary>The registered families, built-in ones first.</summary>
    public static IReadOnlyList<ActivationFamily> Families => Volatile.Read(ref _families);

    /// <summary>The registered families' names.</summary>
    public static IReadOnlyList<string> Names => Families.Select(f => f.Name).ToArray();

    /// <summary>
    /// Adds a kind: from then on <c>ActivationSpec.Parse("name:3")</c> creates its modules. Registering the same
    /// instance again does nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The family is malformed, or its name or an alias is taken (by another kind or a classic activation).</exception>
    public static void Register(ActivationFamily family)
    {
        ArgumentNullException.ThrowIfNull(family);
        family.Check();
        lock (Gate)
        {
            if (_families.Contains(family)) return;
            foreach (var name in family.Aliases.Prepend(family.Name).Concat(family.OptionAliases.Keys))
            {
                if (ActivationSpec.Classic.Contains(name)) throw new ArgumentException($"'{name}' is a classic activation; choose another name for {family.GetType().Name}.", nameof(family));
                if (TryGet(name, out var other)) throw new ArgumentException($"'{name}' is already the name of {other.GetType().Name}.", nameof(family));
            }
            Volatile.Write(ref _families, [.. _families, family]);
        }
    }

    /// <summary>
    /// The family named (or aliased) <paramref name="name"/>, case-insensitive; an option alias ("hermiteclamp") gives
    /// the kind with those options. False if none.
    /// </summary>
    public static bool TryGet(string name, [NotNullWhen(true)] out ActivationFamily? family)
    {
        foreach (var f in Families)
        {
            if (string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase) || f.Aliases.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                family = f;
                return true;
            }
            foreach (var (alias, options) in f.OptionAliases)
                if (string.Equals(alias, name, StringComparison.OrdinalIgnoreCase))
                {
                    family = f.WithOptions(options);
                    return true;
                }
        }
        family = null;
        return false;
    }

    /// <summary>The family named (or aliased) <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such kind; the message lists the registered ones.</exception>
    public static ActivationFamily Get(string name) => TryGet(name, out var f) ? f
        : throw new ArgumentException($"Unknown learnable activation kind '{name}'; registered kinds: {string.Join(", ", Names)}.", nameof(name));

    /// <summary>
    /// The learnable activation whose state dict has exactly these keys and shapes (keys relative to the activation
    /// module, e.g. "coefficients", "clamp.lim_val"), trying every registered kind and variant; optional buffers may be
    /// present or not. Null when none matches (a classic activation has no keys at all).
    /// </summary>
    /// <exception cref="ArgumentException">Several registered kinds have exactly these keys and shapes (the message names them).</exception>
    public static ActivationSpec? Infer(IReadOnlyDictionary<string, int[]> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        var found = new List<ActivationSpec>();
        foreach (var kind in Families)
            foreach (var f in kind.Variants)
            {
                if (f.Parameters.Any(p => !shapes.ContainsKey(p.Name))) continue;
                var first = f.Parameters[0];
                var observed = shapes[first.Name];
                for (int degree = f.MinDegree; degree <= f.MaxDegree; degree++)
                    if (first.Shape(degree).SequenceEqual(observed) && Matches(f, degree, shapes))
                    {
                        found.Add(new ActivationSpec(f.Name, degree, string.Join("+", f.Options)));
                        break;
                    }
            }
        return found.Count switch
        {
            0 => null,
            1 => found[0],
            _ => throw new ArgumentException($"the keys {string.Join(", ", shapes.Keys)} fit several registered kinds ({string.Join(", ", found)}); name the activation.", nameof(shapes)),
        };
    }

    private static bool Matches(ActivationFamily f, int degree, IReadOnlyDictionary<string, int[]> shapes)
    {
        int required = 0;
        foreach (var p in f.Parameters)
        {
            if (!shapes.TryGetValue(p.Name, out var s) || !s.SequenceEqual(p.Shape(degree))) return false;
            required++;
        }
        foreach (var b in f.Buffers(degree))
        {
            if (!shapes.TryGetValue(b.Name, out var s)) { if (b.Optional) continue; return false; }
            if (!s.SequenceEqual(b.Shape)) return false;
            required++;
        }
        return required == shapes.Count;
    }

    /// <summary>The built-in family <paramref name="kind"/> names (the enum member is the spec name in PascalCase).</summary>
    public static ActivationFamily Get(ActivationKind kind)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation kind");
        return Get(SnakeCase(kind.ToString()));
    }

    private static string SnakeCase(string pascal)
    {
        var sb = new StringBuilder(pascal.Length + 4);
        foreach (char c in pascal)
        {
            if (char.IsUpper(c) && sb.Length > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
