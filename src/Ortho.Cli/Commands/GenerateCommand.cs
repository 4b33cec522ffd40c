using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Ortho.Data;
using Ortho.Inference;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho generate RUN --prompt TEXT</c>: samples text from a trained GPT (or an imported GPT-2) with a key/value
/// cache, writing each token as soon as it is sampled; seeded, so a command line always prints the same text.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "A run directory of 'ortho train lm', or a GPT model file (model.safetensors, a checkpoint, an imported GPT-2)." };
        var prompt = new Option<string?>("--prompt") { Description = "Text to continue (default: a newline for byte-level models, <|endoftext|> for GPT-2)." };
        var tokens = new Option<int>("--tokens") { Description = "Tokens to generate.", DefaultValueFactory = _ => 200 };
        var temperature = new Option<float>("--temperature") { Description = "Softmax temperature; 0 for greedy decoding.", DefaultValueFactory = _ => 0.8f };
        var topK = new Option<int>("--top-k") { Description = "Sample among the K most likely tokens only (0: all).", DefaultValueFactory = _ => 0 };
        var seed = new Option<long>("--seed") { Description = "Seed of the sampler: the same seed gives the same text.", DefaultValueFactory = _ => 0 };
        var noCache = new Option<bool>("--no-cache") { Description = "Run a full forward pass per token instead of using the key/value cache (slower; same text)." };
        var shift = new Option<int>("--window-shift") { Description = "Tokens dropped at once when the context outgrows the block size (0: a quarter of the block; 1: always the full block).", DefaultValueFactory = _ => 0 };
        var threads = CommonOptions.Threads();
        var cmd = new Command("generate", "Sample text from a trained language model (streamed, seeded, with a key/value cache).")
        {
            run, prompt, tokens, temperature, topK, seed, noCache, shift, threads,
        };
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            var m = TrainedModel.Load(p.GetValue(run)!);
            var gpt = m.Gpt ?? throw new ArgumentException($"{m.File}: generate needs a GPT language model, this is a {m.Model.GetType().Name}.");
            var tokenizer = Tokenizers.For(gpt.Config);
            string text = p.GetValue(prompt) ?? (tokenizer is ByteTokenizer ? "\n" : Gpt2Tokenizer.EndOfText);
            var ids = tokenizer.Encode(text);
            if (ids.Length == 0) throw new ArgumentException("--prompt is empty: give at least one character to continue.");
            long s = p.GetValue(seed);
            if (s < 0) throw new ArgumentException($"--seed must be a non-negative integer, got {s}.");
            var options = new GenerationOptions
            {
                MaxNewTokens = p.GetValue(tokens), Temperature = p.GetValue(temperature), TopK = p.GetValue(topK), Seed = (ulong)s,
                UseCache = !p.GetValue(noCache), WindowShift = p.GetValue(shift),
                StopToken = tokenizer is Gpt2Tokenizer ? Gpt2Tokenizer.EndOfTextId : null,
            };
            try { options.Validate(gpt.Config.Block); }
            catch (ArgumentOutOfRangeException e) { throw new ArgumentException(Flag(e.ParamName) + ": " + e.Message.Split(" (Parameter")[0]); }

            var output = Console.Out;
            if (p.GetValue(prompt) != null || tokenizer is ByteTokenizer) output.Write(text); // not GPT-2's default <|endoftext|>
            output.Flush();
            var stream = new TokenTextStream(tokenizer);
            var clock = Stopwatch.StartNew();
            int n = 0;
            foreach (int token in new GptGenerator(gpt).Generate(ids, options))
            {
                output.Write(stream.Push(token));
                output.Flush();
                n++;
            }
            output.WriteLine(stream.Flush());
            double sec = clock.Elapsed.TotalSeconds;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{n} tokens in {sec:F2} s, {n / Math.Max(sec, 1e-9):F1} tokens/s, {(options.UseCache ? "key/value cache" : "no cache")}, seed {s}]"));
            return 0;
        });
        return cmd;
    }

    private static string Flag(string? param) => param switch
    {
        nameof(GenerationOptions.MaxNewTokens) => "--tokens",
        nameof(GenerationOptions.Temperature) => "--temperature",
        nameof(GenerationOptions.TopK) => "--top-k",
        nameof(GenerationOptions.WindowShift) => "--window-shift",
        _ => "generate",
    };
}
