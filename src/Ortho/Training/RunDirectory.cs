namespace Ortho.Training;

/// <summary>How a run starts in its directory.</summary>
public enum TrainStart
{
    /// <summary>A new run: the directory must not exist or be empty.</summary>
    New,
    /// <summary>Continue the run whose checkpoint is in the directory (an error when there is none).</summary>
    Resume,
    /// <summary>A new run that replaces the run files (checkpoint, metrics, model) already in the directory.</summary>
    Overwrite,
}

/// <summary>
/// A run directory held by one training process: an exclusive lock on <c>run.lock</c> (a file held open with
/// <see cref="FileShare.None"/>; the operating system releases it when the process ends, however it ends, so a lock
/// left by a killed process is stale and taken over), the checks that keep a run from writing over another one, and
/// the removal of temporary files that a process killed while writing left behind.
/// </summary>
public sealed class RunDirectory : IDisposable
{
    /// <summary>The lock file's name.</summary>
    public const string LockFileName = "run.lock";

    /// <summary>The files a run writes (and <see cref="TrainStart.Overwrite"/> replaces).</summary>
    public static IReadOnlyList<string> RunFiles { get; } = ["checkpoint.safetensors", "metrics.jsonl", "model.safetensors"];

    private readonly FileStream _lock;

    private RunDirectory(string path, FileStream lockStream) { Path = path; _lock = lockStream; }

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>
    /// Checks, without creating or changing anything, that a run may start in <paramref name="dir"/> as
    /// <paramref name="start"/> says: a new run needs a missing or empty directory, a resume needs its checkpoint.
    /// </summary>
    /// <exception cref="InvalidOperationException">It may not; the message says why and what to do.</exception>
    public static void Check(string dir, TrainStart start)
    {
        string full = System.IO.Path.GetFullPath(dir);
        if (File.Exists(full)) throw new InvalidOperationException($"Run directory {full} is a file, not a directory.");
        for (var up = System.IO.Path.GetDirectoryName(full); up != null && !Directory.Exists(up); up = System.IO.Path.GetDirectoryName(up))
            if (File.Exists(up)) throw new InvalidOperationException($"Run directory {full} cannot be created: {up} is a file.");
        var entries = Directory.Exists(full) ? Contents(full) : [];
        string checkpoint = System.IO.Path.Combine(full, "checkpoint.safetensors");
        switch (start)
        {
            case TrainStart.New when entries.Count > 0:
                throw new InvalidOperationException($"Run directory {full} already holds {Describe(entries)}; use --resume to continue that run, --overwrite to replace it, or another --run-dir.");
            case TrainStart.Resume when !File.Exists(checkpoint):
                throw new InvalidOperationException(!Directory.Exists(full)
                    ? $"Nothing to resume: run directory {full} does not exist (check --run-dir)."
                    : $"Nothing to resume: {checkpoint} does not exist" + (entries.Count > 0 ? $" (the directory holds {Describe(entries)}; --overwrite starts the run over)." : " (the directory is empty)."));
        }
    }

    /// <summary>
    /// Takes the directory for a run: creates it, takes the lock, checks it again under the lock
    /// (<see cref="Check"/>), removes orphaned temporary files and, for <see cref="TrainStart.Overwrite"/>, the old
    /// run's files. Dispose releases the lock.
    /// </summary>
    /// <exception cref="IOException">Another process holds the lock.</exception>
    /// <exception cref="InvalidOperationException">The run may not start here (see <see cref="Check"/>).</exception>
    public static RunDirectory Acquire(string dir, TrainStart start)
    {
        Check(dir, start);
        string full = System.IO.Path.GetFullPath(dir);
        try { Directory.CreateDirectory(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Run directory {full} cannot be created{(e is UnauthorizedAccessException ? ": permission denied" : "")}.", e);
        }
        string lockPath = System.IO.Path.Combine(full, LockFileName);
        FileStream stream;
        try { stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new IOException($"Another process is training in {full} (it holds {lockPath}); wait for it to finish, or use another --run-dir.", e);
        }
        try
        {
            Check(full, start); // another run may have finished here between the first check and the lock
            RemoveOrphans(full);
            if (start == TrainStart.Overwrite)
                foreach (var f in RunFiles) File.Delete(System.IO.Path.Combine(full, f));
            // Who holds the lock, for a person looking at the directory.
            stream.SetLength(0);
            using (var w = new StreamWriter(stream, leaveOpen: true)) w.Write($"pid {Environment.ProcessId} since {DateTime.Now:yyyy-MM-dd HH:mm:ss}\n");
            stream.Flush();
            return new RunDirectory(full, stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _lock.Dispose();

    /// <summary>What the directory holds, less the lock file and orphaned temporary files.</summary>
    private static List<string> Contents(string dir) =>
        Directory.EnumerateFileSystemEntries(dir).Select(e => System.IO.Path.GetFileName(e)!)
            .Where(n => n != LockFileName && !IsOrphan(n)).Order(StringComparer.Ordinal).ToList();

    private static string Describe(List<string> entries) =>
        string.Join(", ", entries.Take(4)) + (entries.Count > 4 ? $" and {entries.Count - 4} more" : "");

    /// <summary>A temporary file of an atomic write: ".NAME.PID.GUID.tmp" (see <see cref="IO.AtomicFile"/>).</summary>
    private static bool IsOrphan(string name) =>
        name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal) && RunFiles.Any(f => name.StartsWith("." + f + ".", StringComparison.Ordinal));

    /// <summary>Removes the temporary files of atomic writes that never finished: under the lock, no writer is left.</summary>
    private static void RemoveOrphans(string dir)
    {
        foreach (var f in Directory.EnumerateFiles(dir))
            if (IsOrphan(System.IO.Path.GetFileName(f))) File.Delete(f);
    }
}
