namespace Ortho.Data;

/// <summary>Finds the directory that holds the data sets fetched by <c>ortho data fetch</c>.</summary>
public static class DataDirectory
{
    /// <summary>Name of the environment variable that overrides the data directory.</summary>
    public const string EnvironmentVariable = "ORTHO_DATA";

    /// <summary>How to get the data, for error messages.</summary>
    internal const string FetchHint = "fetch it with 'ortho data fetch' (it uses npm and apt-get, no root needed), or set ORTHO_DATA to a directory holding brown/ and fashion-mnist/";

    /// <summary>
    /// The data root: <c>$ORTHO_DATA</c> if set; else the <c>data</c> folder of the nearest ancestor of the current
    /// directory (then of the application's directory) that has <c>data/brown</c>, <c>data/fashion-mnist</c> or
    /// <c>scripts/fetch-data.sh</c>; else <c>data</c> under the current directory. The directory need not exist.
    /// </summary>
    public static string Resolve()
    {
        string? env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env);
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                string data = Path.Combine(dir.FullName, "data");
                if (Directory.Exists(Path.Combine(data, "brown")) || Directory.Exists(Path.Combine(data, "fashion-mnist")) ||
                    File.Exists(Path.Combine(dir.FullName, "scripts", "fetch-data.sh")))
                    return data;
            }
        }
        return Path.GetFullPath("data");
    }
}
