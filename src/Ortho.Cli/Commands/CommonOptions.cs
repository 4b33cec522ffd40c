using System.CommandLine;

namespace Ortho.Cli.Commands;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    /// <summary>
    /// --threads of the commands that run once (train): the number of threads the kernels use, the same setting that
    /// bench's --threads measures.
    /// </summary>
    public static Option<int> Threads() => new("--threads")
    {
        Description = $"Kernel threads: how many threads the kernels (GEMM, attention, activations) use (default: all {Environment.ProcessorCount} processors).",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static Option<bool> Json() => new("--json") { Description = "One JSON object per line instead of a table." };

    /// <summary>--threads of the benchmarks: the same kernel thread count as train's, a comma-separated list measuring each in turn.</summary>
    public static Option<string> ThreadList() => new("--threads")
    {
        Description = "Kernel threads, as in train --threads; a comma-separated list measures each count in turn (default: 1,2).",
        DefaultValueFactory = _ => "1,2",
    };

    public static int[] ParseThreadList(string s) => ParsePositiveList(s, "--threads");

    /// <summary>A comma-separated list of positive integers given to <paramref name="flag"/>; the error names the flag and the bad item.</summary>
    public static int[] ParsePositiveList(string s, string flag)
    {
        var parts = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException($"{flag}: '{s}' names no value.");
        var r = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out r[i]) || r[i] < 1) throw new ArgumentException($"{flag}: '{parts[i]}' is not a positive integer.");
        return r;
    }

    public static void ApplyThreads(int threads)
    {
        if (threads < 1) throw new ArgumentException($"--threads: '{threads}' is not a positive integer.");
        EngineSettings.Threads = threads;
    }
}
