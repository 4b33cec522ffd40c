using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Ortho.Cli.Bench;

/// <summary>
/// Where and when a benchmark ran, so that a number can be traced to its machine and code: CPU model, logical
/// cores, the SIMD path the kernels take (AVX-512, AVX2, SSE or scalar), .NET version, date (UTC, taken once per
/// process) and the ortho version and commit. Every bench prints it above its table (<see cref="WriteTable"/>) and
/// adds it to each JSON line (<see cref="AddTo"/>).
/// </summary>
internal static class BenchHeader
{
    /// <summary>CPU model name, from /proc/cpuinfo where there is one, else the processor architecture.</summary>
    public static string Cpu { get; } = ReadCpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString();

    /// <summary>Logical cores available to this process.</summary>
    public static int Cores { get; } = Environment.ProcessorCount;

    /// <summary>
    /// The vector width the kernels use (<see cref="EngineSettings.VectorLanes"/>), named by instruction set on x86
    /// (DOTNET_EnableAVX512=0 and DOTNET_EnableAVX2=0 select the narrower paths).
    /// </summary>
    public static string Simd { get; } = EngineSettings.VectorLanes switch
    {
        16 => IsX86 ? "AVX-512" : "Vector512",
        8 => IsX86 ? "AVX2" : "Vector256",
        4 => IsX86 ? "SSE" : "Vector128",
        _ => "scalar",
    };

    /// <summary>The .NET runtime version, e.g. 10.0.0.</summary>
    public static string DotNet { get; } = Environment.Version.ToString();

    /// <summary>When this process started, UTC, ISO 8601 to the second.</summary>
    public static string Date { get; } = Process.GetCurrentProcess().StartTime.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The header as one table line, starting with '#' so that readers of the table can skip it.</summary>
    public static string TableLine { get; } =
        $"# ortho {BuildInfo.Version} (commit {BuildInfo.Commit}), {Date} | {Cpu}, {Cores} logical cores, {Simd} | .NET {DotNet}";

    /// <summary>How the benches serialize JSON lines: compact, and '+' or '(R)' written as themselves (not \u002B).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // The header's JSON members without braces, appended to every JSON line.
    private static readonly string JsonMembers = JsonSerializer.Serialize(new
    {
        cpu = Cpu, cores = Cores, simd = Simd, dotnet = DotNet, date = Date, version = BuildInfo.Version, commit = BuildInfo.Commit,
    }, JsonOptions)[1..^1];

    private static bool IsX86 => RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;

    /// <summary>Writes <see cref="TableLine"/> (call it once, above a table's column headers).</summary>
    public static void WriteTable(TextWriter output) => output.WriteLine(TableLine);

    /// <summary>Adds the header's members (cpu, cores, simd, dotnet, date, version, commit) to one JSON object.</summary>
    /// <param name="jsonObject">One serialized JSON object, e.g. <c>{"name":"gelu","threads":1}</c>.</param>
    public static string AddTo(string jsonObject)
    {
        ArgumentNullException.ThrowIfNull(jsonObject);
        if (!jsonObject.StartsWith('{') || !jsonObject.EndsWith('}'))
            throw new ArgumentException($"expected one JSON object, got '{jsonObject}'.", nameof(jsonObject));
        return jsonObject.Length == 2 ? "{" + JsonMembers + "}" : jsonObject[..^1] + "," + JsonMembers + "}";
    }

    private static string? ReadCpuModel()
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return null;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                int colon = line.IndexOf(':');
                // x86: "model name"; some ARM kernels: "Model" or "Hardware".
                if (colon > 0 && line[..colon].Trim() is "model name" or "Model" or "Hardware")
                {
                    string value = line[(colon + 1)..].Trim();
                    if (value.Length > 0) return value;
                }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
