using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ortho.Cli.Commands;
using Ortho.Inference;
using Ortho.Models;
using Ortho.Training;

namespace Ortho.Cli.Bench;

/// <summary>
/// <c>ortho bench generate</c>: tokens per second of sampling from the default LM recipe's GPT (or a given run's
/// model), with the key/value cache and by a full forward pass per token, in the same process after warm-up (median
/// of 3 runs each); greedy, so both produce the same tokens.
/// </summary>
internal static class GenerateBench
{
    public static Command Create()
    {
        var act = new Option<string>("--activation") { Description = "Activation spec of the default-recipe model (comma-separated list allowed).", DefaultValueFactory = _ => "gelu" };
        var run = new Option<string?>("--run") { Description = "Benchmark this run's (or model file's) GPT instead of a freshly initialized default-recipe model." };
        var tokens = new Option<int>("--tokens") { Description = "Tokens to generate per timed run (default: the block size minus the prompt).", DefaultValueFactory = _ => 0 };
        var prompt = new Option<int>("--prompt-tokens") { Description = "Prompt length in tokens.", DefaultValueFactory = _ => 16 };
        var threads = CommonOptions.ThreadList();
        var json = CommonOptions.Json();
        var c = new Command("generate", "Tokens per second of text generation with and without the key/value cache (greedy, same tokens).")
        {
            act, run, tokens, prompt, threads, json,
        };
        c.SetAction(p =>
        {
            var models = p.GetValue(run) is string path
                ? [(TrainedModel.Load(path).Gpt ?? throw new ArgumentException($"{path}: not a GPT language model."), Name: Path.GetFileName(Path.GetFullPath(path).TrimEnd('/')))]
                : p.GetValue(act)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(a => (new LmRecipe { Activation = Activations.ActivationSpec.Parse(a).ToString() }.BuildModel(), Name: a)).ToList();
            int saved = EngineSettings.Threads;
            try { Run(models, CommonOptions.ParseThreadList(p.GetValue(threads)!), p.GetValue(prompt), p.GetValue(tokens), p.GetValue(json), Console.Out); }
            finally { EngineSettings.Threads = saved; }
            return 0;
        });
        return c;
    }

    private static void Run(IReadOnlyList<(Gpt Model, string Name)> models, int[] threads, int promptTokens, int newTokens, bool json, TextWriter output)
    {
        if (!json)
        {
            BenchHeader.WriteTable(output);
            output.WriteLine($"{"model",-20} {"threads",7} {"prompt",7} {"tokens",7} {"cached tok/s",13} {"full tok/s",11} {"speedup",8}");
        }
        foreach (var (model, name) in models)
        {
            model.Eval();
            int block = model.Config.Block;
            if (promptTokens < 1 || promptTokens >= block) throw new ArgumentException($"--prompt-tokens must be in [1, {block - 1}], got {promptTokens}.");
            int n = newTokens > 0 ? newTokens : block - promptTokens;
            var rng = new Rng(7);
            var prompt = Enumerable.Range(0, promptTokens).Select(_ => rng.NextInt(model.Config.Vocab)).ToArray();
            var o = new GenerationOptions { MaxNewTokens = n, Temperature = 0 };
            foreach (var th in threads)
            {
                EngineSettings.Threads = th;
                var generator = new GptGenerator(model);
                List<int> Cached() => generator.Generate(prompt, o).ToList();
                List<int> Full() => generator.Generate(prompt, o with { UseCache = false }).ToList();
                // Warm-up until the JIT has optimized both paths (tiered compilation needs repeated calls and time).
                var warm = Stopwatch.StartNew();
                for (int i = 0; i < 2 || warm.Elapsed.TotalSeconds < 1.5; i++) { Cached(); Full(); }
                var (cached, a) = Median(Cached);
                var (full, b) = Median(Full);
                if (!a.SequenceEqual(b)) throw new InvalidOperationException("bench generate: the cached and uncached runs generated different tokens.");
                double cachedRate = n / cached, fullRate = n / full;
                if (json)
                    output.WriteLine(BenchHeader.AddTo(JsonSerializer.Serialize(new
                    {
                        bench = "generate", model = name, activation = model.Config.Activation, threads = th, prompt_tokens = promptTokens, tokens = n,
                        cached_tokens_per_s = Math.Round(cachedRate, 1), full_tokens_per_s = Math.Round(fullRate, 1), speedup = Math.Round(cachedRate / fullRate, 2),
                    }, BenchHeader.JsonOptions)));
                else
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name,-20} {th,7} {promptTokens,7} {n,7} {cachedRate,13:F1} {fullRate,11:F1} {cachedRate / fullRate,7:F1}x"));
            }
        }
    }

    /// <summary>The median time of 3 runs, and the tokens of the last.</summary>
    private static (double Seconds, List<int> Tokens) Median(Func<List<int>> generate)
    {
        var t = new double[3];
        List<int> tokens = [];
        for (int i = 0; i < t.Length; i++)
        {
            var sw = Stopwatch.StartNew();
            tokens = generate();
            t[i] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(t);
        return (t[1], tokens);
    }
}
