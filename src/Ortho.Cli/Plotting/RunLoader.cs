using Ortho.Inference;

namespace Ortho.Cli.Plotting;

/// <summary>Reads the runs and models named on a command line, with names for legends.</summary>
internal static class RunLoader
{
    /// <summary>Loads each run directory or model file.</summary>
    public static IReadOnlyList<TrainedModel> Models(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0) throw new ArgumentException("give at least one run directory or model file.");
        return paths.Select(TrainedModel.Load).ToList();
    }

    /// <summary>Legend names for the runs: their own, made unique by the parent folder, then by a number.</summary>
    public static IReadOnlyList<string> Names(IReadOnlyList<string> names, IReadOnlyList<string> paths)
    {
        var result = names.ToArray();
        for (int i = 0; i < result.Length; i++)
            if (names.Count(n => n == names[i]) > 1)
            {
                var parent = new DirectoryInfo(Path.GetFullPath(paths[i])).Parent;
                if (File.Exists(paths[i])) parent = parent?.Parent;
                if (parent != null) result[i] = parent.Name + "/" + names[i];
            }
        for (int i = 0; i < result.Length; i++)
            if (result.Count(n => n == result[i]) > 1) result[i] += $" #{i + 1}";
        return result;
    }

    /// <summary>The metrics of a run directory (its metrics.jsonl) or of a metrics file.</summary>
    public static RunMetrics Metrics(string path, string name)
    {
        string file = Directory.Exists(path) ? Path.Combine(path, TrainedModel.MetricsFileName) : path;
        return RunMetrics.Read(file, name);
    }

    /// <summary>The run's name for a directory or a file inside one.</summary>
    public static string RunName(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        return Directory.Exists(full) ? Path.GetFileName(full) : Path.GetFileName(Path.GetDirectoryName(full)) ?? Path.GetFileNameWithoutExtension(full);
    }
}
