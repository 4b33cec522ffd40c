using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Ortho.Analysis;
using Ortho.Cli.Plotting;
using Ortho.Models;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho regions MODEL</c>: exact linear-region counts of an MLP with tropical, tropical-rational or ReLU
/// activations, along a segment (<c>--line A --to B</c>) and in a 2-D slice (<c>--slice i,j --range ...</c>), compared
/// with the upper bound for the architecture and with dense sampling; <c>--out DIR</c> writes the pictures.
/// </summary>
internal static class RegionsCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("model") { Description = "An MLP model file (written by 'ortho mlp train' or Mlp.Save)." };
        var line = new Option<string?>("--line") { Description = "Start of a segment, comma-separated input values (with --to)." };
        var to = new Option<string?>("--to") { Description = "End of the segment." };
        var slice = new Option<string?>("--slice") { Description = "Two input indices i,j spanning a 2-D slice (default 0,1 when there is no --line)." };
        var range = new Option<string>("--range") { Description = "Slice range: lo,hi for both axes or u0,u1,v0,v1.", DefaultValueFactory = _ => "-3,3" };
        var at = new Option<string?>("--at") { Description = "Values of all inputs for the slice's other coordinates (default 0)." };
        var sample = new Option<int>("--sample") { Description = "Also count patterns on an N x N grid (0: off), to compare with the exact count.", DefaultValueFactory = _ => 200 };
        var output = new Option<string?>("--out") { Description = "Directory for the pictures (regions-slice.png/.svg, regions-line.png/.svg)." };
        var json = new Option<bool>("--json") { Description = "Print the results as JSON." };
        var cmd = new Command("regions", "Count the linear regions of a tropical / piecewise-linear MLP exactly (line, 2-D slice) and plot them.")
            { file, line, to, slice, range, at, sample, output, json };
        cmd.SetAction(p =>
        {
            var path = p.GetValue(file)!;
            var model = Mlp.Load(path);
            PiecewiseLinearNetwork net;
            try { net = PiecewiseLinearNetwork.FromMlp(model); }
            catch (ArgumentException e) { throw new ArgumentException($"{path}: {e.Message}"); }
            string? from = p.GetValue(line), end = p.GetValue(to);
            if ((from is null) != (end is null)) throw new ArgumentException("--line and --to go together: give both ends of the segment.");
            string? sliceDims = p.GetValue(slice) ?? (from is null ? "0,1" : null);
            if (sliceDims != null && model.Config.Inputs < 2) throw new ArgumentException($"{path}: the model has 1 input; use --line A --to B for a segment.");
            string? dir = p.GetValue(output);
            if (dir != null) Directory.CreateDirectory(dir);
            int samples = p.GetValue(sample);
            if (samples < 0) throw new ArgumentException($"--sample must be >= 0, got {samples}.");
            var report = new Dictionary<string, object?>
            {
                ["model"] = model.Config.ToString(),
                ["activations"] = net.Activations.Select((a, l) => new Dictionary<string, object>
                {
                    ["layer"] = l, ["spec"] = model.Config.Activations[l], ["pieces"] = a.Pieces,
                    ["kinks"] = a.Breaks.Select(b => b.ToDouble()).ToArray(),
                }).ToList(),
            };
            bool text = !p.GetValue(json);
            if (text)
            {
                Console.WriteLine(model.Config);
                for (int l = 0; l < net.Activations.Count; l++) Console.WriteLine($"  hidden layer {l}: {model.Config.Activations[l]}, {net.Activations[l]}");
            }
            if (from != null) report["line"] = Line(net, model, MlpCommand.ParseDoubles(from, "--line"), MlpCommand.ParseDoubles(end!, "--to"), dir, text);
            if (sliceDims != null) report["slice"] = Slice(net, model, sliceDims, p.GetValue(range)!, p.GetValue(at), samples, dir, text);
            if (!text) Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return 0;
        });
        return cmd;
    }

    private static string N(BigInteger v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static Dictionary<string, object?> Line(PiecewiseLinearNetwork net, Mlp model, double[] a, double[] b, string? dir, bool text)
    {
        var r = LineRegions.Compute(net, a, b);
        var arch = RegionBound.ForArchitecture(model, 1);
        var trained = RegionBound.ForTrained(net, 1);
        var files = new List<string>();
        if (dir != null)
        {
            // The outputs are affine between boundaries: evaluating them exactly there draws the function exactly.
            var ts = r.Boundaries.Prepend(QSqrt2.Zero).Append(QSqrt2.One);
            var ys = ts.Select(t => net.Evaluate(a.Select((x, i) => QSqrt2.FromDouble(x) + t * (QSqrt2.FromDouble(b[i]) - QSqrt2.FromDouble(x))).ToArray())
                .Select(v => v.ToDouble()).ToArray()).ToList();
            files.AddRange(RegionPlots.Line(r, ys, $"{r.Regions} regions along the segment ({r.LinearPieces} linear pieces)", Path.Combine(dir, "regions-line")));
        }
        if (text)
        {
            Console.WriteLine($"segment ({Fmt(a)}) -> ({Fmt(b)}): {r.Regions} regions (exact), {r.LinearPieces} linear pieces of the outputs");
            Console.WriteLine($"  upper bound on a line, prod_l (1 + n_l (p_l - 1)): {N(arch)} for the architecture, {N(trained)} with these activations' pieces");
            foreach (var f in files) Console.WriteLine($"  wrote {f}");
        }
        return new()
        {
            ["from"] = a, ["to"] = b, ["regions"] = r.Regions, ["linear_pieces"] = r.LinearPieces,
            ["boundaries"] = r.Boundaries.Select(t => t.ToDouble()).ToArray(),
            ["bound_architecture"] = arch.ToString(CultureInfo.InvariantCulture), ["bound_trained"] = trained.ToString(CultureInfo.InvariantCulture), ["files"] = files,
        };
    }

    private static Dictionary<string, object?> Slice(PiecewiseLinearNetwork net, Mlp model, string dims, string range, string? at, int samples, string? dir, bool text)
    {
        var d = MlpCommand.ParseInts(dims, "--slice");
        if (d.Length != 2) throw new ArgumentException($"--slice: give two input indices i,j, got '{dims}'.");
        var rg = MlpCommand.ParseDoubles(range, "--range");
        if (rg.Length == 2) rg = [rg[0], rg[1], rg[0], rg[1]];
        if (rg.Length != 4) throw new ArgumentException($"--range: give lo,hi or u0,u1,v0,v1, got '{range}'.");
        var origin = at is null ? new double[model.Config.Inputs] : MlpCommand.ParseDoubles(at, "--at");
        var s = SliceRegions.Compute(net, d[0], d[1], (rg[0], rg[1]), (rg[2], rg[3]), origin);
        var arch = RegionBound.ForArchitecture(model, 2);
        var trained = RegionBound.ForTrained(net, 2);
        int? sampled = samples > 0 ? s.CountBySampling(net, samples) : null;
        var files = new List<string>();
        if (dir != null)
            files.AddRange(RegionPlots.Slice(s, $"{s.Count} linear regions (bound {N(trained)} for these activations)", Path.Combine(dir, "regions-slice")));
        if (text)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"slice x{d[0]} in [{rg[0]}, {rg[1]}], x{d[1]} in [{rg[2]}, {rg[3]}]{(model.Config.Inputs > 2 ? $", other inputs at ({Fmt(origin)})" : "")}: {s.Count} regions (exact)"));
            Console.WriteLine($"  upper bound in 2-D, prod_l sum_(i<=min(2,n_1..n_l)) C(n_l, i) (p_l - 1)^i: {N(arch)} for the architecture, {N(trained)} with these activations' pieces");
            if (sampled is int c) Console.WriteLine($"  sampling a {samples} x {samples} grid finds {c} of them");
            foreach (var f in files) Console.WriteLine($"  wrote {f}");
        }
        return new()
        {
            ["dims"] = d, ["range"] = rg, ["origin"] = origin, ["regions"] = s.Count, ["sampled"] = sampled, ["sample_grid"] = samples,
            ["bound_architecture"] = arch.ToString(CultureInfo.InvariantCulture), ["bound_trained"] = trained.ToString(CultureInfo.InvariantCulture), ["files"] = files,
        };
    }

    private static string Fmt(double[] v) => string.Join(", ", v.Select(x => x.ToString("G4", CultureInfo.InvariantCulture)));
}
