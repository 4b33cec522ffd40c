using System.Diagnostics;
using Ortho.Training;
using Ortho.Tests.Data;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Training;

/// <summary>One run per directory, and no run written over another without being told.</summary>
public class RunDirectoryTests
{
    [Fact]
    public void ANewRunNeedsAnEmptyDirectoryAResumeItsCheckpoint()
    {
        using var tmp = new TempDirectory();
        string run = tmp.File("run");
        RunDirectory.Check(run, TrainStart.New); // missing: fine, and not created
        Assert.False(Directory.Exists(run));
        var none = Assert.Throws<InvalidOperationException>(() => RunDirectory.Check(run, TrainStart.Resume));
        Assert.Equal($"Nothing to resume: run directory {run} does not exist (check --run-dir).", none.Message);

        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "metrics.jsonl"), "{\"step\":1}\n");
        var taken = Assert.Throws<InvalidOperationException>(() => RunDirectory.Check(run, TrainStart.New));
        Assert.Contains($"Run directory {run} already holds metrics.jsonl; use --resume", taken.Message);
        Assert.Contains("--overwrite", taken.Message);
        var noCheckpoint = Assert.Throws<InvalidOperationException>(() => RunDirectory.Check(run, TrainStart.Resume));
        Assert.Contains(Path.Combine(run, "checkpoint.safetensors") + " does not exist", noCheckpoint.Message);

        File.WriteAllText(Path.Combine(run, "notes.txt"), "mine");
        using (RunDirectory.Acquire(run, TrainStart.Overwrite)) { }
        Assert.False(File.Exists(Path.Combine(run, "metrics.jsonl")));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(run, "notes.txt"))); // only the run's own files are replaced
    }

    [Fact]
    public void ASecondRunInTheDirectoryIsRefusedUntilTheFirstEnds()
    {
        using var tmp = new TempDirectory();
        string run = tmp.File("run");
        using (RunDirectory.Acquire(run, TrainStart.New))
        {
            var e = Assert.Throws<IOException>(() => RunDirectory.Acquire(run, TrainStart.New));
            Assert.Equal($"Another process is training in {run} (it holds {Path.Combine(run, "run.lock")}); wait for it to finish, or use another --run-dir.", e.Message);
        }
        using (RunDirectory.Acquire(run, TrainStart.New)) { } // the lock file is left, and free
        Assert.True(File.Exists(Path.Combine(run, "run.lock")));
    }

    /// <summary>A lock held by another process (flock, as .NET's FileShare.None takes it) refuses the run; once that process is killed, its lock is stale and the run starts.</summary>
    [ToolFact("flock")]
    public void ALockOfAKilledProcessIsStale()
    {
        using var tmp = new TempDirectory();
        string run = Directory.CreateDirectory(tmp.File("run")).FullName;
        string lockFile = Path.Combine(run, "run.lock");
        using var holder = Process.Start(new ProcessStartInfo("flock", ["-x", "-o", lockFile, "sh", "-c", "echo locked; exec sleep 60"]) { RedirectStandardOutput = true })!;
        try
        {
            Assert.Equal("locked", holder.StandardOutput.ReadLine());
            Assert.Throws<IOException>(() => RunDirectory.Acquire(run, TrainStart.New));
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }
        using (RunDirectory.Acquire(run, TrainStart.New)) { }
    }

    [Fact]
    public void OrphanedTemporaryFilesAreRemovedAtTheNextStart()
    {
        using var tmp = new TempDirectory();
        string run = Directory.CreateDirectory(tmp.File("run")).FullName;
        string orphan = Path.Combine(run, $".checkpoint.safetensors.12345.{Guid.NewGuid():N}.tmp");
        string other = Path.Combine(run, ".something.else.tmp");
        File.WriteAllText(orphan, "half a checkpoint");
        RunDirectory.Check(run, TrainStart.New); // an orphan alone does not make the directory a run
        File.WriteAllText(other, "not ours");
        using (RunDirectory.Acquire(run, TrainStart.Overwrite)) { }
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(other));
    }
}
