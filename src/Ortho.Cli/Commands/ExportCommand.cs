using System.CommandLine;
using System.Globalization;
using Ortho.Export.Onnx;
using Ortho.IO;
using Ortho.Models;
using Ortho.NN;
using Ortho.Training;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho export onnx MODEL_OR_RUN --out model.onnx</c>: a trained GPT or ConvNeXt (a run directory, its
/// model.safetensors or checkpoint.safetensors) as one ONNX file for ONNX Runtime; <c>--verify</c> runs ONNX Runtime
/// on it and compares with Ortho's forward.
/// </summary>
internal static class ExportCommand
{
    public static Command Create() => new("export", "Export a trained model for deployment.") { Onnx() };

    private static Command Onnx()
    {
        var model = new Argument<string?>("model")
        {
            Description = "A training run directory (model.safetensors, else checkpoint.safetensors), or one of those files.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var output = new Option<string>("--out", "-o") { Description = "The ONNX file to write.", Required = true };
        var opset = new Option<int>("--opset")
        {
            Description = $"ONNX operator set, {OnnxExportOptions.MinOpset} to {OnnxExportOptions.MaxOpset} (below 20 GELU is written with Erf or Tanh).",
            DefaultValueFactory = _ => OnnxExportOptions.DefaultOpset,
        };
        var seq = new Option<int?>("--seq") { Description = "GPT: a fixed sequence length (default: any length up to the block size)." };
        var imageSize = new Option<int?>("--image-size") { Description = "ConvNeXt: the image height and width (default: the model's)." };
        var dynamicBatch = new Option<bool>("--dynamic-batch") { Description = "Make the batch size a run-time dimension (default: fixed, see --batch)." };
        var batch = new Option<int>("--batch") { Description = "The fixed batch size without --dynamic-batch.", DefaultValueFactory = _ => 1 };
        var verify = new Option<bool>("--verify") { Description = "Run the exported file in ONNX Runtime on random inputs and compare with Ortho (max error)." };
        var init = new Option<string?>("--init") { Description = "Export a freshly initialized model instead: lm (the default LM recipe's GPT) or fashion-mnist (the ConvNeXt)." };
        var activation = new Option<string>("--activation") { Description = "With --init: the activation.", DefaultValueFactory = _ => new LmRecipe().Activation };
        var seed = new Option<long>("--seed") { Description = "With --init: the initialization seed.", DefaultValueFactory = _ => (long)new LmRecipe().Train.Seed };
        var cmd = new Command("onnx", "Write a GPT or ConvNeXt (any activation) as an ONNX file for ONNX Runtime: standard operators, weights included.")
        {
            model, output, opset, seq, imageSize, dynamicBatch, batch, verify, init, activation, seed,
        };
        cmd.SetAction(p =>
        {
            var (module, source, extra) = p.GetValue(init) is string preset
                ? Fresh(preset, p.GetValue(activation)!, p.GetValue(seed), p.GetValue(model))
                : Load(p.GetValue(model) ?? throw new ArgumentException("export onnx: give a run directory or model file, or --init lm|fashion-mnist."));
            if (p.GetValue(seq) is not null && module is not Gpt) throw new ArgumentException($"--seq applies to a GPT; {source} is a {module.GetType().Name}.");
            if (p.GetValue(imageSize) is not null && module is not ConvNeXt) throw new ArgumentException($"--image-size applies to a ConvNeXt; {source} is a {module.GetType().Name}.");
            var options = new OnnxExportOptions
            {
                Opset = p.GetValue(opset), SequenceLength = p.GetValue(seq), ImageSize = p.GetValue(imageSize),
                DynamicBatch = p.GetValue(dynamicBatch), BatchSize = p.GetValue(batch), Metadata = extra,
            };
            string path = p.GetValue(output)!;
            byte[] bytes;
            try { bytes = OnnxExporter.Export(module, options); }
            catch (NotSupportedException e) { throw new InvalidOperationException($"export onnx: {e.Message}", e); }
            AtomicFile.Write(path, s => s.Write(bytes));
            long parameters = module.Parameters().Sum(t => (long)t.Length);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Wrote {path}: {Describe(module)}, {parameters / 1e6:F2}M parameters; {bytes.Length / 1e6:F1} MB, opset {options.Opset}."));
            Console.WriteLine($"  {Signature(module, options)}");
            if (p.GetValue(verify)) OnnxVerify.Report(OnnxVerify.Compare(module, bytes, options), Console.Out);
            return 0;
        });
        return cmd;
    }

    /// <summary>A trained model from a run directory or a model/checkpoint file, with metadata naming where it came from.</summary>
    private static (Module Model, string Source, Dictionary<string, string> Extra) Load(string path)
    {
        string file = path;
        if (Directory.Exists(path))
        {
            file = new[] { "model.safetensors", "checkpoint.safetensors" }.Select(f => Path.Combine(path, f)).FirstOrDefault(File.Exists)
                ?? throw new FileNotFoundException($"{path}: no model.safetensors or checkpoint.safetensors in this directory.");
        }
        else if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or run directory.");
        var f = SafeTensorsFile.Read(file);
        if (!f.Metadata.TryGetValue("config", out var config))
            throw new InvalidDataException($"{file}: no 'config' metadata; export reads the files 'ortho train' writes.");
        var model = ModelConfig.Create(config);
        bool checkpoint = f.Metadata.TryGetValue("format", out var fmt) && fmt == Checkpoint.Format;
        try { model.LoadStateDict(StateDictFile.ToTensors(f, checkpoint ? "model." : "")); }
        catch (StateDictException e) { throw new InvalidDataException($"{file}: the weights do not match the config: {e.Message}", e); }
        var extra = new Dictionary<string, string> { ["ortho.source"] = Path.GetFileName(file), ["ortho.recipe"] = config };
        if (checkpoint && f.Metadata.TryGetValue("step", out var step)) extra["ortho.step"] = step;
        return (model, file, extra);
    }

    private static (Module Model, string Source, Dictionary<string, string> Extra) Fresh(string preset, string activation, long seed, string? model)
    {
        if (model != null) throw new ArgumentException($"export onnx: give either a model ({model}) or --init, not both.");
        if (seed < 0) throw new ArgumentException($"--seed must be a non-negative integer, got {seed}.");
        var spec = Activations.ActivationSpec.Parse(activation).ToString();
        var rng = new Rng((ulong)seed);
        Module m = preset switch
        {
            "lm" => new Gpt(GptConfig.DefaultLm(spec), rng),
            "fashion-mnist" => new ConvNeXt(ConvNeXtConfig.FashionMnist(spec), rng),
            _ => throw new ArgumentException($"--init must be lm or fashion-mnist, got '{preset}'."),
        };
        return (m, "--init " + preset, new Dictionary<string, string> { ["ortho.source"] = $"untrained ({preset}, seed {seed})" });
    }

    private static string Describe(Module m) => m switch
    {
        Gpt g => $"GPT ({g.Config.Layers} layers, {g.Config.Heads} heads, {g.Config.Embd} dims, block {g.Config.Block}, activation {g.Config.Activation})",
        ConvNeXt c => $"ConvNeXt (dims {string.Join("/", c.Config.Dims)}, depths {string.Join("/", c.Config.Depths)}, activation {c.Config.Activation})",
        _ => m.GetType().Name,
    };

    private static string Signature(Module m, OnnxExportOptions o)
    {
        string b = o.DynamicBatch ? "batch" : o.BatchSize.ToString(CultureInfo.InvariantCulture);
        return m switch
        {
            Gpt g => $"input_ids int64 [{b}, {o.SequenceLength?.ToString(CultureInfo.InvariantCulture) ?? $"sequence <= {g.Config.Block}"}] -> logits float [{b}, {o.SequenceLength?.ToString(CultureInfo.InvariantCulture) ?? "sequence"}, {g.Config.Vocab}]",
            ConvNeXt c => $"images float [{b}, {c.Config.InChans}, {o.ImageSize ?? c.Config.ImageSize}, {o.ImageSize ?? c.Config.ImageSize}] -> logits float [{b}, {c.Config.Classes}]",
            _ => "",
        };
    }
}
