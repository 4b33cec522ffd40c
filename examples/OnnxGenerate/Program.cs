// Generates text with a byte-level language model exported by `ortho export onnx`, using ONNX Runtime only.
//
//   dotnet run -c Release -- model.onnx --prompt "The jury" --tokens 200 [--top-k 40 --temperature 0.8 --seed 1]
//
// Tokens are bytes: the prompt's UTF-8 bytes are the token ids 0..255, and each generated id is one byte of the
// output. Every step runs the last `block` tokens (a sliding window; the block size is in the model's metadata)
// and picks the next token from the last position's logits: greedily (the default, --top-k 0) or by sampling
// among the k most likely with a seeded random generator.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML.OnnxRuntime;

Options opts;
try { opts = Options.Parse(args); }
catch (Exception e) when (e is ArgumentException or FormatException) { return Fail(e.Message); }
using var session = new InferenceSession(opts.Model, new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL });
var meta = session.ModelMetadata.CustomMetadataMap;
if (!session.InputMetadata.TryGetValue("input_ids", out var input) || !session.OutputMetadata.ContainsKey("logits"))
    return Fail($"{opts.Model} is not a language model (no input_ids -> logits); export a GPT with `ortho export onnx`.");
if (meta.TryGetValue("ortho.tokenizer", out var tokenizer) && tokenizer != "bytes")
    return Fail($"{opts.Model} uses the '{tokenizer}' tokenizer; this example reads and writes bytes.");
if (!meta.TryGetValue("ortho.vocab", out var vocabText) || vocabText != "256")
    return Fail($"{opts.Model} does not have the byte vocabulary (metadata ortho.vocab is '{vocabText}', expected 256).");
int batch = input.Dimensions[0], fixedLength = input.Dimensions[1];
if (batch > 1) return Fail($"{opts.Model} was exported for batch {batch}; export with --dynamic-batch or --batch 1.");
int block = fixedLength > 0 ? fixedLength : int.Parse(meta["ortho.block"], CultureInfo.InvariantCulture);

var tokens = new List<long>(Encoding.UTF8.GetBytes(opts.Prompt).Select(b => (long)b));
if (tokens.Count == 0) return Fail("the prompt is empty.");
if (fixedLength > 0 && tokens.Count < fixedLength)
    return Fail($"{opts.Model} takes exactly {fixedLength} tokens and the prompt has {tokens.Count}; export without --seq to take any length.");

var rng = new Random(opts.Seed);
var decoder = new UTF8Encoding(false, false).GetDecoder();
var stdout = Console.Out;
stdout.Write(opts.Prompt);
var chars = new char[8];
var clock = Stopwatch.StartNew();
using var runOptions = new RunOptions();
for (int step = 0; step < opts.Tokens; step++)
{
    int t = Math.Min(tokens.Count, block);
    var window = tokens.GetRange(tokens.Count - t, t).ToArray();
    using var ids = OrtValue.CreateTensorValueFromMemory(window, [1, t]);
    using var outputs = session.Run(runOptions, ["input_ids"], [ids], ["logits"]);
    var logits = outputs[0].GetTensorDataAsSpan<float>();
    int vocab = logits.Length / t;
    int next = Pick(logits.Slice((t - 1) * vocab, vocab), opts, rng);
    tokens.Add(next);
    int n = decoder.GetChars([(byte)next], chars, flush: false);
    for (int i = 0; i < n; i++) stdout.Write(char.IsControl(chars[i]) && chars[i] is not ('\n' or '\t') ? '\uFFFD' : chars[i]);
}
stdout.WriteLine();
Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"[{opts.Tokens} tokens in {clock.Elapsed.TotalSeconds:F2} s, {opts.Tokens / clock.Elapsed.TotalSeconds:F0} tokens/s; block {block}; ONNX Runtime {OrtEnv.Instance().GetVersionString()}]"));
return 0;

// Greedy when k is 0, else a draw from softmax(logits / temperature) over the k largest logits.
static int Pick(ReadOnlySpan<float> logits, Options o, Random rng)
{
    var order = Enumerable.Range(0, logits.Length).ToArray();
    var values = logits.ToArray();
    Array.Sort(order, (a, b) => values[b].CompareTo(values[a]));
    if (o.TopK == 0) return order[0];
    int k = Math.Min(o.TopK, order.Length);
    var weights = new double[k];
    double sum = 0;
    for (int i = 0; i < k; i++) sum += weights[i] = Math.Exp((values[order[i]] - values[order[0]]) / o.Temperature);
    double u = rng.NextDouble() * sum;
    for (int i = 0; i < k; i++)
        if ((u -= weights[i]) <= 0) return order[i];
    return order[k - 1];
}

static int Fail(string message)
{
    Console.Error.WriteLine($"OnnxGenerate: {message}");
    return 2;
}

/// <summary>The command line: MODEL [--prompt TEXT] [--tokens N] [--top-k K] [--temperature T] [--seed S].</summary>
internal sealed record Options(string Model, string Prompt, int Tokens, int TopK, double Temperature, int Seed)
{
    public static Options Parse(string[] args)
    {
        string? model = null, prompt = "The ";
        int tokens = 100, topK = 0, seed = 1;
        double temperature = 1;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--prompt": prompt = Value(); break;
                case "--tokens": tokens = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--top-k": topK = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--temperature": temperature = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                default:
                    if (args[i].StartsWith('-') || model != null) throw new ArgumentException($"unknown argument '{args[i]}'.");
                    model = args[i];
                    break;
            }
        }
        if (model is null) throw new ArgumentException("usage: OnnxGenerate MODEL.onnx [--prompt TEXT] [--tokens N] [--top-k K] [--temperature T] [--seed S]");
        if (tokens < 0 || topK < 0 || !(temperature > 0)) throw new ArgumentException("--tokens and --top-k must be >= 0 and --temperature > 0.");
        return new Options(model, prompt, tokens, topK, temperature, seed);
    }
}
