using System.Globalization;
using System.Text.RegularExpressions;
using Ortho.Autograd;

namespace Ortho.Cli.Bench;

/// <summary>
/// An <see cref="OpProfile"/> of timed training steps, per step: by op family and phase, and by op (GEMMs, attention and
/// convolutions by shape), each with its time, share of the step and achieved GFLOP/s (matrix work) or GB/s (memory-bound
/// work). Written as a table with one column group per thread count, or as a JSON object per thread count.
/// </summary>
internal static partial class TrainProfileReport
{
    /// <summary>One line of the profile, per step: calls, milliseconds, matrix FLOPs and bytes moved.</summary>
    internal sealed record Line(string Family, string Phase, string Op, double Calls, double Ms, double ParallelMs, double Flops, double Bytes)
    {
        /// <summary>The share of the time spent in regions split over several threads.</summary>
        public double ParallelShare => Ms > 0 ? ParallelMs / Ms : 0;

        /// <summary>GFLOP/s for matrix work, else null.</summary>
        public double? Gflops => Flops > 0 && Ms > 0 ? Flops / Ms / 1e6 : null;

        /// <summary>GB/s for memory-bound work with a traffic estimate, else null.</summary>
        public double? GBs => Flops == 0 && Bytes > 0 && Ms > 0 ? Bytes / Ms / 1e6 : null;

        /// <summary>The rate as text ("95.2 GFLOP/s", "12.3 GB/s" or "").</summary>
        public string Rate => Gflops is { } g ? Fmt($"{g:F1} GFLOP/s") : GBs is { } b ? Fmt($"{b:F1} GB/s") : "";
    }

    /// <summary>A profile at one thread count: the mean step and its lines by family and by op.</summary>
    internal sealed record Summary(int Threads, int Steps, double StepMs, IReadOnlyList<Line> Families, IReadOnlyList<Line> Ops);

    /// <summary>The profile's rows per step, grouped by family and phase, and by family, phase and op label.</summary>
    public static Summary Summarize(OpProfile profile, int threads)
    {
        if (profile.Steps == 0) throw new InvalidOperationException("The profile has no completed step.");
        double steps = profile.Steps;
        Line Sum(IEnumerable<OpProfileRow> rows, string family, string phase, string op) => new(family, phase, op,
            rows.Sum(r => r.Calls) / steps, rows.Sum(r => r.Seconds) * 1e3 / steps, rows.Sum(r => r.ParallelSeconds) * 1e3 / steps,
            rows.Sum(r => r.Flops * r.Calls) / steps, rows.Sum(r => r.Bytes * r.Calls) / steps);
        var rows = profile.Rows.Where(r => r.Calls > 0).OrderBy(r => r.Family).ThenBy(r => r.Phase).ToList();
        var families = rows.GroupBy(r => (r.Family, r.Phase)).Select(g => Sum(g, Name(g.Key.Family), Name(g.Key.Phase), "")).ToList();
        var ops = rows.GroupBy(r => (r.Family, r.Phase, r.Label))
            .Select(g => Sum(g, Name(g.Key.Family), Name(g.Key.Phase), g.Key.Label))
            .OrderBy(l => l.Family == "other").ThenBy(l => Array.IndexOf(FamilyOrder, l.Family)).ThenBy(l => l.Phase).ThenByDescending(l => l.Ms).ToList();
        return new Summary(threads, profile.Steps, profile.StepSeconds * 1e3 / steps, families, ops);
    }

    private static readonly string[] FamilyOrder = Enum.GetValues<OpFamily>().Select(f => Name(f)).ToArray();

    /// <summary>snake_case of an enum member: LayerNorm is "layer_norm".</summary>
    public static string Name<T>(T value) where T : struct, Enum => Snake().Replace(value.ToString(), "$1_$2").ToLowerInvariant();

    [GeneratedRegex("([a-z])([A-Z])")]
    private static partial Regex Snake();

    /// <summary>
    /// The profiles of one case at each thread count, side by side: by family and phase (then each phase's and the
    /// step's total), then by op. At more than one thread "par" is the share of the time spent in regions split over
    /// the threads (the rest ran on one thread). With two or more thread counts, the last columns compare the last
    /// count with the first: speedup, and the milliseconds lost against perfect scaling.
    /// </summary>
    public static void WriteText(TextWriter output, string title, double flopsPerStep, IReadOnlyList<Summary> byThreads)
    {
        output.WriteLine();
        output.WriteLine(Fmt($"profile: {title}: {flopsPerStep / 1e9:F2} GFLOP of matrix work per step; mean step ") +
            string.Join(", ", byThreads.Select(s => Fmt($"{s.StepMs:F1} ms at {s.Threads} thread{(s.Threads == 1 ? "" : "s")}"))) +
            Fmt($" ({byThreads[0].Steps} profiled step{(byThreads[0].Steps == 1 ? "" : "s")} each)"));
        var first = byThreads[0];
        var keys = first.Families.Select(l => (l.Family, l.Phase, l.Op)).ToList();
        var opKeys = first.Ops.Select(l => (l.Family, l.Phase, l.Op)).ToList();
        int width = Math.Max(14, opKeys.Max(k => k.Op.Length) + 1);
        string Head(string what)
        {
            var h = $"{what.PadRight(width)} {"phase",-8}";
            foreach (var s in byThreads) h += $" | {s.Threads + " thr ms",9} {"share",6} {"rate",15}" + (s.Threads > 1 ? $" {"par",4}" : "");
            if (byThreads.Count > 1) h += $" | {"speedup",7} {"lost ms",8}";
            return h;
        }
        string Row(string label, string phase, Func<Summary, Line?> pick)
        {
            var r = $"{label.PadRight(width)} {phase,-8}";
            foreach (var s in byThreads)
            {
                var l = pick(s);
                r += l == null ? $" | {"",9} {"",6} {"",15}" : Fmt($" | {l.Ms,9:F2} {100 * l.Ms / s.StepMs,5:F1}% {l.Rate,15}");
                if (s.Threads > 1) r += l == null ? $" {"",4}" : Fmt($" {100 * l.ParallelShare,3:F0}%");
            }
            if (byThreads.Count > 1 && pick(first) is { } a && pick(byThreads[^1]) is { } z)
            {
                double ideal = a.Ms * first.Threads / byThreads[^1].Threads;
                r += Fmt($" | {(z.Ms > 0 ? a.Ms / z.Ms : 0),6:F2}x {z.Ms - ideal,8:F2}");
            }
            return r;
        }
        output.WriteLine(Head("family"));
        foreach (var phase in Enum.GetValues<StepPhase>().Select(p => Name(p)))
        {
            foreach (var k in keys.Where(k => k.Phase == phase))
                output.WriteLine(Row(k.Family, phase, s => s.Families.FirstOrDefault(l => (l.Family, l.Phase, l.Op) == k)));
            output.WriteLine(Row("(all)", phase, s => Total(s.Families.Where(l => l.Phase == phase), phase)));
        }
        output.WriteLine(Row("step", "", s => Total(s.Families, "")));
        if (byThreads.Count > 1) output.WriteLine(Amdahl(first, byThreads[^1]));
        output.WriteLine();
        output.WriteLine(Head("op"));
        foreach (var k in opKeys)
            output.WriteLine(Row(k.Op, k.Phase, s => s.Ops.FirstOrDefault(l => (l.Family, l.Phase, l.Op) == k)));
    }

    /// <summary>
    /// Where the extra threads are lost: how much of the <paramref name="last"/> thread count's step ran split over its
    /// threads, and the time the ops that ran on one thread there took in the <paramref name="first"/> count's step,
    /// which bounds the speedup (Amdahl's law: that time cannot shrink).
    /// </summary>
    internal static string Amdahl(Summary first, Summary last)
    {
        double serial = 0;
        foreach (var op in first.Ops)
        {
            var l = last.Ops.FirstOrDefault(x => (x.Family, x.Phase, x.Op) == (op.Family, op.Phase, op.Op));
            serial += op.Ms * (1 - (l?.ParallelShare ?? 0));
        }
        double t = first.StepMs, ratio = (double)last.Threads / first.Threads;
        double bound = t / (serial + (t - serial) / ratio);
        double split = last.Ops.Sum(l => l.ParallelMs) / last.StepMs;
        return Fmt($"at {last.Threads} threads {100 * split:F0}% of the step ran split over the threads; the work that ran on one thread there ") +
            Fmt($"took {serial:F1} ms ({100 * serial / t:F0}%) of the {first.Threads}-thread step, which bounds the speedup at {bound:F2}x");
    }

    private static Line Total(IEnumerable<Line> lines, string phase)
    {
        var l = lines.ToList();
        return new Line("", phase, "", l.Sum(x => x.Calls), l.Sum(x => x.Ms), l.Sum(x => x.ParallelMs), l.Sum(x => x.Flops), l.Sum(x => x.Bytes));
    }

    /// <summary>The profile as a JSON-serializable object: mean step, then the lines by family and by op.</summary>
    public static object Json(Summary s) => new
    {
        steps = s.Steps,
        step_ms = Math.Round(s.StepMs, 3),
        families = s.Families.Select(l => Json(l, s.StepMs)).ToArray(),
        ops = s.Ops.Select(l => Json(l, s.StepMs)).ToArray(),
    };

    private static Dictionary<string, object?> Json(Line l, double stepMs)
    {
        var d = new Dictionary<string, object?> { ["family"] = l.Family, ["phase"] = l.Phase };
        if (l.Op.Length > 0) { d["op"] = l.Op; d["calls"] = Math.Round(l.Calls, 2); }
        d["ms"] = Math.Round(l.Ms, 3);
        d["share"] = Math.Round(l.Ms / stepMs, 4);
        d["parallel_share"] = Math.Round(l.ParallelShare, 3);
        if (l.Gflops is { } g) d["gflops"] = Math.Round(g, 2);
        if (l.GBs is { } b) d["gb_s"] = Math.Round(b, 2);
        return d;
    }

    private static string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
