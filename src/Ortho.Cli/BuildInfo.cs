using System.Reflection;

namespace Ortho.Cli;

/// <summary>
/// What was built: the package version and the git commit. Both come from the assembly's informational version,
/// "0.2.0+&lt;commit sha&gt;", which the .NET SDK writes at build time from Directory.Build.props's Version and the
/// checkout's HEAD (no "+..." when the source was not a git checkout).
/// </summary>
internal static class BuildInfo
{
    private static readonly string Informational =
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>The package version, e.g. <c>0.2.0</c>.</summary>
    public static string Version { get; } = Informational.Split('+')[0];

    /// <summary>The commit the binary was built from, abbreviated like <c>git rev-parse --short</c>; "unknown" without git.</summary>
    public static string Commit { get; } = Informational.Split('+') is [_, var sha, ..] && sha.Length > 0 ? sha[..Math.Min(7, sha.Length)] : "unknown";

    /// <summary>The line <c>ortho --version</c> prints.</summary>
    public static string VersionLine => $"ortho {Version} (commit {Commit})";
}
