using Xunit;

namespace Ortho.Tests.Data;

/// <summary>A fact that runs a command-line tool: reported as skipped, with the reason, when the tool is not on PATH.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string tool)
    {
        bool found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(Path.Combine(d, tool)));
        if (!found) Skip = $"needs '{tool}' on PATH";
    }
}
