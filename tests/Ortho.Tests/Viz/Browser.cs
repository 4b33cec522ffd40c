using System.Diagnostics;
using Xunit;

namespace Ortho.Tests.Viz;

/// <summary>
/// A fact that runs headless Chromium (tens of seconds): it runs when ORTHO_BROWSER_TESTS=1, as .ci/run sets after
/// installing Chromium, and then fails if Chromium cannot start, so a missing browser never passes silently. Without
/// the variable it is reported as skipped, with the reason.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public const string RequireVariable = "ORTHO_BROWSER_TESTS";

    public BrowserFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(RequireVariable) != "1")
            Skip = $"opens the page in headless Chromium: set {RequireVariable}=1 to run it (.ci/run does, after apt-get install -y chromium); " +
                (Browser.Executable is { } exe ? $"Chromium is at {exe}" : "no Chromium found on PATH or in $ORTHO_CHROMIUM");
    }
}

/// <summary>Runs headless Chromium on a local file: a screenshot, or the DOM after the page's scripts ran.</summary>
internal static class Browser
{
    /// <summary>$ORTHO_CHROMIUM, else the first Chromium on PATH, else null.</summary>
    public static string? Executable { get; } = Find();

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("ORTHO_CHROMIUM") is { Length: > 0 } e) return File.Exists(e) ? e : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome" })
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        return null;
    }

    /// <summary>Screenshot of <paramref name="html"/> at the window size; returns the PNG's path.</summary>
    public static string Screenshot(string html, string png, int width, int height)
    {
        var (_, log) = Run(["--screenshot=" + png, $"--window-size={width},{height}", "--hide-scrollbars"], html);
        Assert.True(File.Exists(png), $"Chromium wrote no screenshot {png}: {log}");
        return png;
    }

    /// <summary>The DOM once the page loaded and its scripts ran, and Chromium's log (console messages included).</summary>
    public static (string Dom, string Log) DumpDom(string html) => Run(["--dump-dom", "--virtual-time-budget=10000"], html);

    private static (string Out, string Err) Run(string[] args, string html)
    {
        var exe = Executable ?? throw new Xunit.Sdk.XunitException(
            $"Chromium not found ({BrowserFactAttribute.RequireVariable}=1 requires it): install it (apt-get install -y chromium) or set ORTHO_CHROMIUM.");
        string profile = Directory.CreateTempSubdirectory("ortho-chromium-").FullName;
        try
        {
            var psi = new ProcessStartInfo(exe)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0", "--user-data-dir=" + profile })
                psi.ArgumentList.Add(a);
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add(new Uri(Path.GetFullPath(html)).AbsoluteUri);
            using var p = Process.Start(psi) ?? throw new Xunit.Sdk.XunitException($"could not start {exe}");
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(120_000))
            {
                p.Kill(entireProcessTree: true);
                throw new Xunit.Sdk.XunitException($"{exe} did not finish in 120 s");
            }
            Assert.True(p.ExitCode == 0, $"{exe} exited with {p.ExitCode}: {stderr.Result}");
            return (stdout.Result, stderr.Result);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
