using Ortho.Cli;
using Xunit;

namespace Ortho.Tests.Cli;

/// <summary>CLI tests redirect the process-wide console and change the thread count, so they run alone.</summary>
[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection;

/// <summary>Runs the <c>ortho</c> command line in this process and captures what it prints.</summary>
internal static class Cli
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs and asserts success (showing stderr otherwise); returns standard output.</summary>
    public static string Succeeds(params string[] args)
    {
        var (code, output, error) = Run(args);
        Assert.True(code == 0, $"ortho {string.Join(' ', args)} exited with {code}: {error}");
        return output;
    }

    /// <summary>
    /// Runs and asserts bad input: exit code 2, and one line on stderr, "ortho: ...", that contains every fragment
    /// (no stack trace); returns the line.
    /// </summary>
    public static string FailsWith(string[] args, params string[] fragments)
    {
        var (code, _, error) = Run(args);
        Assert.True(code == 2, $"ortho {string.Join(' ', args)} exited with {code}, expected 2: {error}");
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("ortho: ", line);
        foreach (var f in fragments) Assert.Contains(f, line);
        return line;
    }
}
