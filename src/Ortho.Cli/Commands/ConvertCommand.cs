using System.CommandLine;
using Ortho.IO;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho convert IN --to ortho|torchortho --out OUT</c>: rewrites a model file in the layout the other side expects.
/// <c>--to torchortho</c> writes what PyTorch's <c>state_dict()</c> holds (tied LM head stored once, every buffer,
/// <c>"format": "pt"</c>, the peer's metadata); <c>--to ortho</c> adds Ortho's config metadata. The input is anything
/// <c>ortho inspect</c> reads; values the weights do not hold (GPT heads, ConvNeXt image size, a parameter-free
/// activation) come from the file's metadata or the options. The written file is read back with strict keys.
/// </summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("in") { Description = "The model file to convert (Ortho model or checkpoint, 'ortho fit --out' file, or a PyTorch/torchortho state dict)." };
        var to = new Option<string>("--to") { Description = "Target layout: ortho (Ortho config metadata) or torchortho (PyTorch state dict as torchortho writes it).", Required = true };
        var output = new Option<string>("--out") { Description = "The file to write.", Required = true };
        var heads = new Option<int?>("--heads") { Description = "GPT attention heads, when the file does not say (no weight shape depends on them)." };
        var imageSize = new Option<int?>("--image-size") { Description = "ConvNeXt input image size, when the file does not say." };
        var activation = new Option<string?>("--activation") { Description = "The activation of a model whose activation has no parameters (gelu, relu, ...), when the file does not say." };
        var cmd = new Command("convert", "Rewrite a model file for PyTorch/torchortho or for Ortho (same tensors, strict keys both ways).")
            { input, to, output, heads, imageSize, activation };
        cmd.SetAction(p =>
        {
            var layout = p.GetValue(to) switch
            {
                "ortho" => ModelFileLayout.Ortho,
                "torchortho" or "pytorch" => ModelFileLayout.Torchortho,
                var other => throw new ArgumentException($"--to must be ortho or torchortho, got '{other}'."),
            };
            string inPath = p.GetValue(input)!, outPath = p.GetValue(output)!;
            var hints = new ModelFileHints { Heads = p.GetValue(heads), ImageSize = p.GetValue(imageSize), Activation = p.GetValue(activation) };
            var model = ModelFile.Load(inPath, hints);
            model.Save(outPath, layout);
            var check = ModelFile.Load(outPath, hints); // strict keys, constant buffers checked
            Console.WriteLine($"{inPath}: {InspectCommand.SourceText(model.Source)}");
            Console.WriteLine($"  {model.Describe()}");
            Console.WriteLine($"Wrote {outPath} in {(layout == ModelFileLayout.Ortho ? "Ortho's" : "torchortho's")} layout ({check.Model.StateDict().Count} tensors).");
            return 0;
        });
        return cmd;
    }
}
