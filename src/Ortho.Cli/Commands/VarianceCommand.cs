using System.CommandLine;
using System.Globalization;
using System.Text;
using Ortho.Analysis.Variance;
using Ortho.Cli.Plotting;
using Ortho.Data;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho variance</c>: the second moments E[x^2] forward and E[g^2] backward through a deep stack (<c>--model mlp</c>,
/// Linear without bias + activation, LeCun or Kaiming weights) or a GPT (<c>--model gpt</c>, its own init) at
/// initialization, for one or more activations, beside the closed-form predictions; a table, JSON and a plot.
/// </summary>
internal static class VarianceCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "mlp (a deep stack of Linear + activation) or gpt (the language model).", DefaultValueFactory = _ => "mlp" };
        var act = new Option<string>("--activation") { Description = "Activations, comma-separated (e.g. gelu,hermite:3,fourier:5,tropical:5); each is measured in its own network.", DefaultValueFactory = _ => "gelu,hermite:3,fourier:5,tropical:5" };
        var depth = new Option<int>("--depth") { Description = "mlp: Linear + activation layers.", DefaultValueFactory = _ => 32 };
        var width = new Option<int>("--width") { Description = "mlp: width of every layer and of the input.", DefaultValueFactory = _ => 256 };
        var weights = new Option<string>("--weights") { Description = "mlp: lecun (N(0, 1/fan_in)) or kaiming (N(0, 2/fan_in)).", DefaultValueFactory = _ => "lecun" };
        var layers = new Option<int>("--layers") { Description = "gpt: transformer blocks.", DefaultValueFactory = _ => 4 };
        var heads = new Option<int>("--heads") { Description = "gpt: attention heads.", DefaultValueFactory = _ => 4 };
        var embd = new Option<int>("--embd") { Description = "gpt: embedding width.", DefaultValueFactory = _ => 128 };
        var block = new Option<int>("--block") { Description = "gpt: tokens per sequence.", DefaultValueFactory = _ => 128 };
        var input = new Option<string>("--input") { Description = "gpt: normal (N(0, s^2) in place of the embeddings) or brown (validation windows of the Brown corpus through the embeddings).", DefaultValueFactory = _ => "normal" };
        var inputStd = new Option<double>("--input-std") { Description = "The std s of normal inputs.", DefaultValueFactory = _ => 1.0 };
        var samples = new Option<int?>("--samples") { Description = "Samples per repeat: input vectors (mlp, default 1024) or sequences (gpt, default 16)." };
        var repeats = new Option<int>("--repeats") { Description = "Independent repeats (new weights and inputs); 2 or more add the error over repeats.", DefaultValueFactory = _ => 1 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the weights, inputs and upstream gradient.", DefaultValueFactory = _ => 0UL };
        var init = new Option<string>("--init") { Description = "Learnable activations' init: default (the paper's), ones, unscaled (coefficient k times k!) or scale:S.", DefaultValueFactory = _ => "default" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of the table." };
        var save = new Option<string?>("--save") { Description = "Also write the JSON to this file." };
        var plot = new Option<string?>("--plot") { Description = "Write the curves against depth to PATH.png and PATH.svg (PATH without extension)." };
        var data = DataCommand.DataDirOption("--data");
        var noFetch = new Option<bool>("--no-fetch") { Description = "gpt --input brown: do not download a missing or damaged Brown corpus; fail instead." };
        var threads = CommonOptions.Threads();
        var cmd = new Command("variance", "Second moments forward and backward through depth at initialization, measured and predicted by the closed-form moments.")
        {
            model, act, depth, width, weights, layers, heads, embd, block, input, inputStd, samples, repeats, seed, init, json, save, plot, data, noFetch, threads,
        };
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            var specs = p.GetValue(act)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (specs.Length == 0) throw new ArgumentException("--activation: give at least one activation.");
            var variant = InitVariant.Parse(p.GetValue(init)!);
            var profiles = new List<VarianceProfile>();
            string kind = p.GetValue(model)!.Trim().ToLowerInvariant();
            if (kind == "mlp")
            {
                var w = p.GetValue(weights)!.Trim().ToLowerInvariant() switch
                {
                    "lecun" => WeightInit.LeCun,
                    "kaiming" => WeightInit.Kaiming,
                    var other => throw new ArgumentException($"--weights: '{other}' is not lecun or kaiming."),
                };
                foreach (var s in specs)
                    profiles.Add(MlpVariance.Measure(new MlpVarianceOptions
                    {
                        Activation = s, Depth = p.GetValue(depth), Width = p.GetValue(width), Weights = w, Samples = p.GetValue(samples) ?? 1024,
                        Repeats = p.GetValue(repeats), Seed = p.GetValue(seed), InputStd = p.GetValue(inputStd), Init = variant,
                    }));
            }
            else if (kind == "gpt")
            {
                byte[]? tokens = p.GetValue(input)!.Trim().ToLowerInvariant() switch
                {
                    "normal" => null,
                    "brown" => BrownCorpus.Load(new DataFetcher(Console.Error).Ensure(DataSet.Brown, p.GetValue(data) ?? DataDirectory.Resolve(), !p.GetValue(noFetch))).Validation,
                    var other => throw new ArgumentException($"--input: '{other}' is not normal or brown."),
                };
                foreach (var s in specs)
                    profiles.Add(GptVariance.Measure(new GptVarianceOptions
                    {
                        Activation = s, Layers = p.GetValue(layers), Heads = p.GetValue(heads), Embd = p.GetValue(embd), Block = p.GetValue(block),
                        Samples = p.GetValue(samples) ?? 16, Repeats = p.GetValue(repeats), Seed = p.GetValue(seed), InputStd = p.GetValue(inputStd), Init = variant,
                    }, tokens));
            }
            else throw new ArgumentException($"--model: '{kind}' is not mlp or gpt.");
            var header = new Dictionary<string, string> { ["ortho"] = BuildInfo.VersionLine, ["command"] = "ortho " + string.Join(' ', p.Tokens.Select(t => t.Value)) };
            string text = VarianceJson.Write(profiles, header);
            if (p.GetValue(save) is string path)
            {
                if (Path.GetDirectoryName(Path.GetFullPath(path)) is string dir) Directory.CreateDirectory(dir);
                File.WriteAllText(path, text + "\n");
            }
            if (p.GetValue(json)) Console.WriteLine(text);
            else foreach (var prof in profiles) Console.Write(Table(prof));
            if (p.GetValue(plot) is string stem)
                foreach (var f in VariancePlots.Depth(profiles, stem)) if (!p.GetValue(json)) Console.WriteLine($"wrote {f}");
            return 0;
        });
        return cmd;
    }

    /// <summary>The profile as a text table: per layer, each site's measured E[x^2] and E[g^2] with error and prediction.</summary>
    internal static string Table(VarianceProfile p)
    {
        var sb = new StringBuilder();
        var s = p.Settings;
        string Get(string k) => Convert.ToString(s.GetValueOrDefault(k), Inv) ?? "";
        if (p.Model == "mlp")
            sb.AppendLine($"mlp {Get("depth")} x {Get("width")}, {Get("weights")} weights, no bias; {p.Activation} (init {Get("init")}); input N(0, {Get("input_std")}^2); {Get("samples")} samples x {Get("repeats")} repeat(s); seed {Get("seed")}");
        else
            sb.AppendLine($"gpt {Get("layers")} blocks, {Get("heads")} heads, embd {Get("embd")}, block {Get("block")}; {p.Activation} (init {Get("init")}); input {(Get("input") == "normal" ? $"N(0, {Get("input_std")}^2) residual stream" : "Brown validation tokens")}; {Get("samples")} sequences x {Get("repeats")} repeat(s); seed {Get("seed")}");
        sb.AppendLine($"input E[x^2] = {Cell(p.Input, null)}; top gradient E[r^2] = {Cell(p.TopGradient, null)}");
        if (p.Map is { } map)
        {
            string points = map.FixedPoints.Count == 0 ? "none in (0, 16]"
                : string.Join(", ", map.FixedPoints.Select(f => $"{G(f.Q)} ({(f.Stable ? "stable" : "unstable")}, slope {G(f.Slope)})"));
            sb.AppendLine($"variance map q -> {G(map.Gain)} E[f(z)^2], z ~ N(0, q): {G(map.ValueAtOne)} at q = 1, slope there {G(map.SlopeAtOne)}; fixed points {points}");
        }
        sb.AppendLine("cells: measured +-standard error [closed-form prediction; {one-step prediction from the measured neighbour} where there is no chain]");
        var names = p.Sites.Select(x => x.Site).Distinct().ToArray();
        const int w = 32;
        sb.Append("layer |");
        foreach (var n in names) sb.Append($" {("E[" + n + "^2]").PadRight(w)}");
        sb.Append(" |");
        foreach (var n in names) sb.Append($" {("E[g_" + n + "^2]").PadRight(w)}");
        sb.AppendLine();
        foreach (var layer in p.Sites.GroupBy(x => x.Layer))
        {
            sb.Append($"{layer.Key,5} |");
            foreach (var site in layer) sb.Append(' ').Append(Cell(site.Forward, site.PredictedForward, site.LocalForward).PadRight(w));
            sb.Append(" |");
            foreach (var site in layer) sb.Append(' ').Append(Cell(site.Backward, site.PredictedBackward, site.LocalBackward).PadRight(w));
            sb.AppendLine();
        }
        sb.AppendLine();
        return sb.ToString();
    }

    private static string Cell(MomentEstimate e, double? predicted, double? local = null)
    {
        string c = $"{G(e.Value)} +-{e.Error.ToString("G2", Inv)}";
        if (predicted is double d) c += $" [{G(d)}]";
        else if (local is double l) c += $" {{{G(l)}}}";
        return c;
    }

    private static string G(double v) => double.IsFinite(v) ? v.ToString("G4", Inv) : double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
}
