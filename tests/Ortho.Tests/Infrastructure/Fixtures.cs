using System.Text.Json;

namespace Ortho.Tests.Infrastructure;

/// <summary>Locates the peer-computed fixture directory: $ORTHO_FIXTURES, else the repo's tests/fixtures.</summary>
public static class Fixtures
{
    public static string Directory
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("ORTHO_FIXTURES");
            if (!string.IsNullOrEmpty(env)) return env;
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !System.IO.Directory.Exists(Path.Combine(dir.FullName, "tests", "fixtures")))
                dir = dir.Parent;
            if (dir == null) throw new DirectoryNotFoundException("tests/fixtures not found above " + AppContext.BaseDirectory + "; set ORTHO_FIXTURES.");
            return Path.Combine(dir.FullName, "tests", "fixtures");
        }
    }

    /// <summary>All files in the fixture directory matching a pattern, sorted by name.</summary>
    public static IEnumerable<string> Files(string pattern) =>
        System.IO.Directory.GetFiles(Directory, pattern).OrderBy(f => f, StringComparer.Ordinal);

    public static JsonDocument Load(string path) => JsonDocument.Parse(File.ReadAllBytes(path));

    public static float[] Floats(JsonElement e)
    {
        var list = new List<float>();
        Flatten(e, list);
        return list.ToArray();
    }

    public static int[] Shape(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static void Flatten(JsonElement e, List<float> into)
    {
        if (e.ValueKind == JsonValueKind.Array) { foreach (var c in e.EnumerateArray()) Flatten(c, into); }
        else into.Add((float)e.GetDouble());
    }
}

/// <summary>Tolerance checks of the form |a - b| &lt;= atol + rtol |b|, with messages naming the index.</summary>
public static class Close
{
    public const double Atol = 1e-5, Rtol = 1e-4;

    public static void All(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what, double atol = Atol, double rtol = Rtol)
    {
        if (actual.Length != expected.Length)
            throw new Xunit.Sdk.XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], b = expected[i];
            if (!(Math.Abs(a - b) <= atol + rtol * Math.Abs(b)))
                throw new Xunit.Sdk.XunitException($"{what}[{i}]: got {a:R}, expected {b:R} (atol {atol}, rtol {rtol})");
        }
    }

    public static void All(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, string what, double atol = Atol, double rtol = Rtol)
    {
        if (actual.Length != expected.Length)
            throw new Xunit.Sdk.XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], b = expected[i];
            if (!(Math.Abs(a - b) <= atol + rtol * Math.Abs(b)))
                throw new Xunit.Sdk.XunitException($"{what}[{i}]: got {a:R}, expected {b:R} (atol {atol}, rtol {rtol})");
        }
    }
}
