using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ortho.Cli.Plotting;
using Ortho.Data;
using Ortho.Inference;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho eval RUN</c>: a language model's loss on the whole Brown validation split (every token predicted once,
/// in non-overlapping windows of the block size) in nats and bits per byte and perplexity; an image model's test
/// accuracy and confusion matrix on the 10,000 Fashion-MNIST test images. The data is verified (and fetched) as
/// <c>ortho train</c> does it.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "A run directory of 'ortho train', or a model file (model.safetensors, checkpoint.safetensors, an imported GPT-2)." };
        var data = DataCommand.DataDirOption("--data");
        var manifest = ViewOptions.ManifestOption();
        var noFetch = new Option<bool>("--no-fetch") { Description = "Do not download a missing or damaged data set; fail instead." };
        var batch = new Option<int>("--batch") { Description = "Sequences (LM) or images per forward pass.", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var threads = CommonOptions.Threads();
        var cmd = new Command("eval", "Evaluate a trained model on the whole held-out split: LM loss in nats/bits per byte and perplexity; image accuracy and confusion matrix.")
        {
            run, data, manifest, noFetch, batch, json, threads,
        };
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            var m = TrainedModel.Load(p.GetValue(run)!);
            int b = p.GetValue(batch);
            if (b < 0) throw new ArgumentException($"--batch must be positive, got {b}.");
            string root = Path.GetFullPath(p.GetValue(data) ?? DataDirectory.Resolve());
            string Verified(DataSet set) => ViewOptions.VerifiedData(set, root, p.GetValue(manifest)!, !p.GetValue(noFetch));
            if (m.Gpt is { } gpt)
            {
                var (tokens, bytes) = EvaluationData.BrownValidation(gpt, Verified(DataSet.Brown));
                var r = Evaluation.Lm(gpt, tokens, bytes, b > 0 ? b : 16);
                if (p.GetValue(json)) Json(m, new()
                {
                    ["split"] = "brown validation", ["tokens"] = r.Tokens, ["bytes"] = bytes, ["windows"] = r.Sequences, ["block"] = gpt.Config.Block,
                    ["nats_per_token"] = r.NatsPerToken, ["nats_per_byte"] = r.NatsPerByte, ["bits_per_byte"] = r.BitsPerByte, ["perplexity"] = r.Perplexity,
                });
                else
                {
                    Header(m);
                    var tokenizer = Tokenizers.For(gpt.Config);
                    Console.WriteLine(I($"Brown validation split: {bytes:N0} bytes, {tokens.Length:N0} {tokenizer.Name} tokens; {r.Tokens:N0} predicted in {r.Sequences:N0} non-overlapping windows of up to {gpt.Config.Block}."));
                    Console.WriteLine(I($"loss {r.NatsPerByte:F4} nats/byte = {r.BitsPerByte:F4} bits/byte"));
                    Console.WriteLine(I($"     {r.NatsPerToken:F4} nats/token, perplexity {r.Perplexity:F3} per {(tokenizer is ByteTokenizer ? "byte" : "token")}"));
                }
                return 0;
            }
            if (m.ConvNeXt is { } net)
            {
                var test = FashionMnist.Load(Verified(DataSet.FashionMnist)).Test;
                var r = Evaluation.Images(net, test, batch: b > 0 ? b : 500);
                if (p.GetValue(json)) Json(m, new()
                {
                    ["split"] = "fashion-mnist test", ["images"] = r.Count, ["correct"] = r.Correct, ["accuracy"] = r.Accuracy, ["classes"] = r.ClassNames,
                    ["confusion"] = Enumerable.Range(0, r.ClassNames.Count).Select(i => Enumerable.Range(0, r.ClassNames.Count).Select(j => r.Confusion[i, j]).ToArray()).ToArray(),
                });
                else
                {
                    Header(m);
                    Console.WriteLine(I($"Fashion-MNIST test set: {r.Count:N0} images; accuracy {100 * r.Accuracy:F2}% ({r.Correct:N0} correct)."));
                    Console.WriteLine();
                    PrintConfusion(r);
                }
                return 0;
            }
            throw new ArgumentException($"{m.File}: eval knows GPT and ConvNeXt models, not {m.Model.GetType().Name}.");
        });
        return cmd;
    }

    private static void Header(TrainedModel m) =>
        Console.WriteLine(I($"{m.Name}: {m.Gpt?.Config.Activation ?? m.ConvNeXt?.Config.Activation}, {m.Model.ParameterCount():N0} parameters{(m.Step is int s ? $", step {s}" : "")} ({m.File})"));

    /// <summary>Rows: true class; columns: predicted class (by number); last column: the class's recall.</summary>
    private static void PrintConfusion(ImageEvaluation r)
    {
        int k = r.ClassNames.Count, nameWidth = Math.Max(10, r.ClassNames.Max(n => n.Length) + 4);
        int cell = Math.Max(5, r.Count.ToString(CultureInfo.InvariantCulture).Length + 1);
        Console.WriteLine("Confusion matrix (rows: true class, columns: predicted class):");
        Console.Write(new string(' ', nameWidth));
        for (int j = 0; j < k; j++) Console.Write(j.ToString(CultureInfo.InvariantCulture).PadLeft(cell));
        Console.WriteLine("   recall");
        for (int i = 0; i < k; i++)
        {
            Console.Write(I($"{i,2} {r.ClassNames[i]}").PadRight(nameWidth));
            for (int j = 0; j < k; j++) Console.Write(r.Confusion[i, j].ToString(CultureInfo.InvariantCulture).PadLeft(cell));
            Console.WriteLine(I($"   {100 * r.Recall(i),5:F1}%"));
        }
    }

    private static void Json(TrainedModel m, Dictionary<string, object?> values)
    {
        var all = new Dictionary<string, object?> { ["run"] = m.Name, ["file"] = m.File, ["step"] = m.Step };
        foreach (var kv in values) all[kv.Key] = kv.Value;
        Console.WriteLine(JsonSerializer.Serialize(all, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
    }

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
