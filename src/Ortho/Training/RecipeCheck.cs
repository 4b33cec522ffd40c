using System.Globalization;

namespace Ortho.Training;

/// <summary>
/// Checks recipe values with one message shape for every task: "Recipe value NAME = VALUE is out of range (must be
/// RULE)." NAME comes from the caller (the CLI passes its flag, e.g. <c>--min-lr</c>; the default is <c>'MinLr'</c>).
/// </summary>
internal sealed class RecipeCheck(Func<string, string>? name)
{
    private readonly Func<string, string> _name = name ?? (f => $"'{f}'");

    /// <summary>The display name of <paramref name="field"/>.</summary>
    public string Name(string field) => _name(field);

    /// <summary>Throws an <see cref="ArgumentException"/> naming field, value and rule unless <paramref name="ok"/>.</summary>
    public void Require(bool ok, string field, IFormattable value, string rule)
    {
        if (!ok) throw new ArgumentException($"Recipe value {Name(field)} = {Text(value)} is out of range (must be {rule}).");
    }

    /// <summary>A number as the user would type it (invariant culture, shortest round-trip form).</summary>
    public static string Text(IFormattable value) => value switch
    {
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        _ => value.ToString(null, CultureInfo.InvariantCulture),
    };
}
