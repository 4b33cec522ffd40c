namespace Ortho.Cli.Bench;

/// <summary>
/// The process's peak resident memory (Linux: VmHWM of /proc/self/status), which <see cref="Reset"/> brings back to
/// the current resident size (writing 5 to /proc/self/clear_refs), so that each benchmark case gets its own peak.
/// Elsewhere the peak is unknown (null).
/// </summary>
internal static class PeakMemory
{
    /// <summary>
    /// Frees what the previous case left (pooled tensor storage, garbage), then starts a new peak of the resident size
    /// and of the tensor pool's live bytes.
    /// </summary>
    public static void Reset()
    {
        TensorPool.Clear();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        TensorPool.ResetPeak();
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Peak resident bytes since the last <see cref="Reset"/> (or the start), or null where unknown.</summary>
    public static long? ResidentBytes()
    {
        try
        {
            if (!File.Exists("/proc/self/status")) return null;
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var parts = line[6..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
