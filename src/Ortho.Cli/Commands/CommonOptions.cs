using System.CommandLine;

namespace Ortho.Cli.Commands;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<int> Threads() => new("--threads")
    {
        Description = "Kernel threads (default: all processors).",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static Option<bool> Json() => new("--json") { Description = "One JSON object per line instead of a table." };

    public static Option<string> ThreadList() => new("--threads")
    {
        Description = "Comma-separated thread counts to measure.",
        DefaultValueFactory = _ => "1,2",
    };

    public static int[] ParseThreadList(string s)
    {
        var parts = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var r = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out r[i]) || r[i] < 1) throw new ArgumentException($"--threads: '{parts[i]}' is not a positive integer.");
        return r;
    }

    public static void ApplyThreads(int threads)
    {
        if (threads < 1) throw new ArgumentException($"--threads must be at least 1, got {threads}.");
        EngineSettings.Threads = threads;
    }
}
