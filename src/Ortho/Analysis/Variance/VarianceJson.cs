using System.Text;
using System.Text.Json;

namespace Ortho.Analysis.Variance;

/// <summary>
/// The JSON form of variance profiles, shared with the PyTorch peer's script (scripts/peer/variance.py):
/// <c>{"profiles": [{"model", "activation", "settings", "variance_map" (MLP only: gain, value_at_1, slope_at_1,
/// fixed_points [{q, slope, stable}]), "input", "top_gradient", "sites": [{"layer", "site",
/// "forward", "backward", "predicted_forward", "predicted_backward", "local_forward", "local_backward"}]}]}</c>; a
/// measurement is <c>{"value", "se", "se_sampling", "se_repeats"}</c>. Infinite and NaN values are written as the
/// strings "Infinity", "-Infinity" and "NaN"; a missing prediction as null.
/// </summary>
public static class VarianceJson
{
    /// <summary>The profiles as indented JSON, with <paramref name="extra"/> (e.g. version, command) at the top.</summary>
    public static string Write(IReadOnlyList<VarianceProfile> profiles, IReadOnlyDictionary<string, string>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            foreach (var (k, v) in extra ?? new Dictionary<string, string>()) w.WriteString(k, v);
            w.WriteStartArray("profiles");
            foreach (var p in profiles) WriteProfile(w, p);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteProfile(Utf8JsonWriter w, VarianceProfile p)
    {
        w.WriteStartObject();
        w.WriteString("model", p.Model);
        w.WriteString("activation", p.Activation);
        w.WriteStartObject("settings");
        foreach (var (k, v) in p.Settings)
        {
            switch (v)
            {
                case string s: w.WriteString(k, s); break;
                case int i: w.WriteNumber(k, i); break;
                case ulong u: w.WriteNumber(k, u); break;
                case double d: Number(w, k, d); break;
                default: w.WriteString(k, Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)); break;
            }
        }
        w.WriteEndObject();
        if (p.Map is { } map)
        {
            w.WriteStartObject("variance_map");
            Number(w, "gain", map.Gain);
            Number(w, "value_at_1", map.ValueAtOne);
            Number(w, "slope_at_1", map.SlopeAtOne);
            w.WriteStartArray("fixed_points");
            foreach (var f in map.FixedPoints)
            {
                w.WriteStartObject();
                Number(w, "q", f.Q);
                Number(w, "slope", f.Slope);
                w.WriteBoolean("stable", f.Stable);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        Estimate(w, "input", p.Input);
        Estimate(w, "top_gradient", p.TopGradient);
        w.WriteStartArray("sites");
        foreach (var s in p.Sites)
        {
            w.WriteStartObject();
            w.WriteNumber("layer", s.Layer);
            w.WriteString("site", s.Site);
            Estimate(w, "forward", s.Forward);
            Estimate(w, "backward", s.Backward);
            Number(w, "predicted_forward", s.PredictedForward);
            Number(w, "predicted_backward", s.PredictedBackward);
            Number(w, "local_forward", s.LocalForward);
            Number(w, "local_backward", s.LocalBackward);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Estimate(Utf8JsonWriter w, string name, MomentEstimate e)
    {
        w.WriteStartObject(name);
        Number(w, "value", e.Value);
        Number(w, "se", e.Error);
        Number(w, "se_sampling", e.SamplingError);
        Number(w, "se_repeats", e.RepeatError);
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, double? v)
    {
        if (v is not double d) w.WriteNull(name);
        else if (double.IsFinite(d)) w.WriteNumber(name, d);
        else w.WriteString(name, double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    }
}
