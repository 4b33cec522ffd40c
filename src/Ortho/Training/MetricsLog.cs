using System.Text;
using System.Text.Json;

namespace Ortho.Training;

/// <summary>
/// A run's metrics.jsonl: one JSON object per line. Each line reaches the file whole, in one unbuffered write, so a
/// reader (a plot following the run) never sees half a line; a resume trims the file by streaming it, whatever its size.
/// </summary>
internal sealed class MetricsLog : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(false);
    private readonly FileStream _file;

    /// <summary>Opens <paramref name="path"/> for appending.</summary>
    public MetricsLog(string path) =>
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);

    /// <summary>Appends <paramref name="json"/> and a newline with one write.</summary>
    public void Write(string json) => _file.Write(Utf8.GetBytes(json + "\n"));

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();

    /// <summary>
    /// Keeps the lines of steps up to <paramref name="lastStep"/> (training and evaluation lines) and drops the rest,
    /// a half-written last line included; streams the file, and replaces it atomically.
    /// </summary>
    public static void Trim(string path, int lastStep)
    {
        if (!File.Exists(path)) return;
        IO.AtomicFile.Write(path, output =>
        {
            using var reader = new StreamReader(path, Utf8);
            using var writer = new StreamWriter(output, Utf8, 1 << 16);
            while (reader.ReadLine() is { } line)
                if (Parse(line) is { } e && e.TryGetProperty("step", out var s) && s.TryGetInt32(out int step) && step <= lastStep)
                    writer.Write(line + "\n");
        });
    }

    /// <summary>
    /// The numbers of a finished run of <paramref name="totalSteps"/> steps, read by streaming the file: the last
    /// training line's loss and the final evaluation line (null when the run has none: it was not evaluated).
    /// </summary>
    public static (float? LastLoss, JsonElement? Final) ReadFinished(string path, int totalSteps)
    {
        float? loss = null;
        JsonElement? final = null;
        if (!File.Exists(path)) return (null, null);
        using var reader = new StreamReader(path, Utf8);
        while (reader.ReadLine() is { } line)
        {
            if (Parse(line) is not { } e) continue;
            if (e.TryGetProperty("loss", out var l) && l.ValueKind == JsonValueKind.Number) loss = l.GetSingle();
            else if (IsFinalEvaluation(e, totalSteps)) final = e;
        }
        return (loss, final);
    }

    /// <summary>The final evaluation's line: event "eval" at the last step, with the run's timing (also in lines of older versions).</summary>
    private static bool IsFinalEvaluation(JsonElement e, int totalSteps) =>
        e.TryGetProperty("event", out var ev) && ev.ValueKind == JsonValueKind.String && ev.GetString() == "eval"
        && e.TryGetProperty("step", out var s) && s.TryGetInt32(out int step) && step == totalSteps && e.TryGetProperty("ms_per_step", out _);

    private static JsonElement? Parse(string line)
    {
        if (line.Length == 0 || line[0] != '{') return null;
        try
        {
            using var d = JsonDocument.Parse(line);
            return d.RootElement.ValueKind == JsonValueKind.Object ? d.RootElement.Clone() : null;
        }
        catch (JsonException) { return null; }
    }
}
