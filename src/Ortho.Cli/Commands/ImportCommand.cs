using System.CommandLine;
using System.Globalization;
using Ortho.IO.HuggingFace;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho import gpt2 MODEL.safetensors --out M.safetensors [--n-head H]</c>: reads a Hugging Face GPT-2 checkpoint
/// and writes it as an Ortho model file (state dict plus the GPT configuration in the metadata).
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The Hugging Face model.safetensors (or the folder holding it and its config.json)." };
        var output = new Option<string>("--out") { Description = "The Ortho model file to write.", Required = true };
        var heads = new Option<int?>("--n-head") { Description = "Attention heads, when there is no config.json beside the file and the width is not a standard GPT-2 size." };
        var gpt2 = new Command("gpt2", "Import a Hugging Face GPT-2 checkpoint (GPT2Model or GPT2LMHeadModel, safetensors).") { file, output, heads };
        gpt2.SetAction(p =>
        {
            string path = p.GetValue(file)!, outPath = p.GetValue(output)!;
            if (p.GetValue(heads) is <= 0) throw new ArgumentException($"--n-head must be positive, got {p.GetValue(heads)}.");
            var r = Gpt2Import.Read(path, p.GetValue(heads));
            var c = r.Layout.Config;
            Console.WriteLine($"{path}: GPT-2 with {c.Layers} layers, {c.Heads} heads ({r.Layout.HeadsSource}), n_embd {c.Embd}, vocab {c.Vocab}, block {c.Block}");
            Console.WriteLine($"  activation {c.Activation} ({r.Layout.ActivationSource}); weights {string.Join(", ", r.Dtypes)}; keys " +
                (r.Layout.KeyPrefix.Length > 0 ? $"with the '{r.Layout.KeyPrefix}' prefix" : "without prefix") +
                (r.Layout.IgnoredKeys.Count > 0 ? $"; skipped {r.Layout.IgnoredKeys.Count} non-weight keys (causal-mask buffers, tied lm_head)" : ""));
            GptModelFile.Save(r.Model, outPath, [new("imported_from", "huggingface-gpt2:" + Path.GetFileName(path))]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {outPath} ({r.Model.ParameterCount():N0} parameters)."));
            return 0;
        });
        return new Command("import", "Import a model from another format.") { gpt2 };
    }
}
