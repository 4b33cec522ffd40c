using System.Reflection;
using Module = Ortho.NN.Module;
using System.Text.Json;
using Ortho.Activations;
using Ortho.IO;
using Ortho.Models;
using Ortho.NN;

namespace Ortho.Export.Onnx;

/// <summary>
/// Exports a trained <see cref="Gpt"/> or <see cref="ConvNeXt"/> (any activation, learnable ones included) to one
/// self-contained ONNX file that ONNX Runtime and other ONNX runtimes load without custom operators: standard ai.onnx
/// operators only, the weights as initializers under their state-dict names, named inputs and outputs
/// (<c>input_ids</c>/<c>logits</c>, <c>images</c>/<c>logits</c>), and the Ortho config and activation specs in the
/// model's metadata_props (<see cref="MetadataKeys"/>).
/// </summary>
public static class OnnxExporter
{
    /// <summary>The keys of the metadata_props the exporter writes.</summary>
    public static class MetadataKeys
    {
        /// <summary>"gpt", "convnext" or "activation".</summary>
        public const string Model = "ortho.model";
        /// <summary>The model's config as JSON (GptConfig or ConvNeXtConfig).</summary>
        public const string Config = "ortho.config";
        /// <summary>A JSON object from each activation module's dotted name to its spec, e.g. {"transformer.h.0.mlp.act":"hermite:3"}.</summary>
        public const string Activations = "ortho.activations";
        /// <summary>The Ortho version that wrote the file.</summary>
        public const string Version = "ortho.version";
        /// <summary>GPT: the block size, the longest sequence the model takes.</summary>
        public const string Block = "ortho.block";
        /// <summary>GPT: the vocabulary size.</summary>
        public const string Vocab = "ortho.vocab";
        /// <summary>GPT: "bytes" when the token ids are bytes 0..255 (Ortho's byte tokenizer).</summary>
        public const string Tokenizer = "ortho.tokenizer";
    }

    /// <summary>The largest model one ONNX file holds (protobuf's 2 GiB message limit).</summary>
    public const long MaxFileBytes = int.MaxValue;

    /// <summary>The ONNX model file's bytes for a <see cref="Gpt"/> or <see cref="ConvNeXt"/>.</summary>
    /// <exception cref="NotSupportedException">Another module type, or an activation without an ONNX form.</exception>
    /// <exception cref="ArgumentException">Options that do not fit the model (e.g. a sequence longer than the block).</exception>
    public static byte[] Export(Module model, OnnxExportOptions? options = null)
    {
        var proto = Build(model, options ?? new OnnxExportOptions());
        var ms = new MemoryStream();
        new ProtoWriter(ms).Message0(proto);
        return ms.ToArray();
    }

    /// <summary>Writes the model (see <see cref="Export"/>) to <paramref name="path"/> atomically.</summary>
    public static void Save(Module model, string path, OnnxExportOptions? options = null)
    {
        var proto = Build(model, options ?? new OnnxExportOptions());
        AtomicFile.Write(path, s =>
        {
            using var buffered = new BufferedStream(s, 1 << 20);
            new ProtoWriter(buffered).Message0(proto);
        });
    }

    /// <summary>
    /// One activation module as a graph <c>x</c> float [n] to <c>y</c> float [n] (n symbolic), elementwise: the
    /// activation's ONNX form on its own, to check it or plot it.
    /// </summary>
    /// <exception cref="NotSupportedException">The activation has no ONNX form.</exception>
    public static byte[] ExportActivation(UnaryModule activation, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(activation);
        options ??= new OnnxExportOptions();
        options.Validate();
        var g = new OnnxGraphBuilder(options.Opset, activation);
        g.Input("x", OnnxDataType.Float, "n");
        string y;
        using (g.Scope("act")) y = new OnnxLayers(g).Activation("x", activation);
        g.Output("y", y, OnnxDataType.Float, "n");
        var meta = new Dictionary<string, string>
        {
            [MetadataKeys.Model] = "activation",
            [MetadataKeys.Activations] = ActivationsJson(activation),
        };
        var proto = Model(g, options, $"Ortho activation {SpecOf(activation)}", meta);
        var ms = new MemoryStream();
        new ProtoWriter(ms).Message0(proto);
        return ms.ToArray();
    }

    private static ModelProto Build(Module model, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        options.Validate();
        var g = new OnnxGraphBuilder(options.Opset, model);
        var layers = new OnnxLayers(g);
        var meta = new Dictionary<string, string>();
        string doc;
        switch (model)
        {
            case Gpt gpt:
                GptOnnx.Build(layers, gpt, options);
                var c = gpt.Config;
                meta[MetadataKeys.Model] = "gpt";
                meta[MetadataKeys.Config] = JsonSerializer.Serialize(c);
                meta[MetadataKeys.Block] = c.Block.ToString(System.Globalization.CultureInfo.InvariantCulture);
                meta[MetadataKeys.Vocab] = c.Vocab.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (c.Vocab == 256) meta[MetadataKeys.Tokenizer] = "bytes";
                doc = $"Ortho GPT: {c.Layers} layers, {c.Heads} heads, {c.Embd} dims, block {c.Block}, vocab {c.Vocab}, activation {c.Activation}. " +
                    $"{GptOnnx.Input} int64 [batch, sequence <= {c.Block}] -> {GptOnnx.Output} float [batch, sequence, {c.Vocab}].";
                break;
            case ConvNeXt net:
                ConvNeXtOnnx.Build(layers, net, options);
                var n = net.Config;
                meta[MetadataKeys.Model] = "convnext";
                meta[MetadataKeys.Config] = JsonSerializer.Serialize(n);
                doc = $"Ortho ConvNeXt: depths {string.Join("/", n.Depths)}, dims {string.Join("/", n.Dims)}, stem {n.Stem}, activation {n.Activation}. " +
                    $"{ConvNeXtOnnx.Input} float [batch, {n.InChans}, H, W] (NCHW) -> {ConvNeXtOnnx.Output} float [batch, {n.Classes}].";
                break;
            default:
                throw new NotSupportedException($"ONNX export: {model.GetType().Name} is not an exportable model (Gpt or ConvNeXt).");
        }
        meta[MetadataKeys.Activations] = ActivationsJson(model);
        return Model(g, options, doc, meta);
    }

    private static ModelProto Model(OnnxGraphBuilder g, OnnxExportOptions options, string doc, Dictionary<string, string> meta)
    {
        string version = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        meta[MetadataKeys.Version] = version;
        if (options.Metadata != null)
            foreach (var kv in options.Metadata) meta[kv.Key] = kv.Value;
        g.Graph.Name = "ortho";
        g.Graph.DocString = doc;
        var model = new ModelProto
        {
            IrVersion = OnnxExportOptions.IrVersion(options.Opset),
            OpsetImport = [("", options.Opset)],
            ProducerName = "ortho",
            ProducerVersion = version.Split('+')[0],
            DocString = doc,
            ModelVersion = 1,
            Graph = g.Graph,
            MetadataProps = [.. meta],
        };
        long size = ProtoWriter.SizeOf(model);
        if (size > MaxFileBytes)
            throw new NotSupportedException($"ONNX export: the model needs {size:N0} bytes, over the 2 GiB a single ONNX file can hold.");
        return model;
    }

    private static string ActivationsJson(Module model) => JsonSerializer.Serialize(
        model.NamedModules().Where(m => m.Module is LearnableActivation or Gelu or Relu or Silu or Tanh or Sigmoid)
            .ToDictionary(m => m.Name.Length == 0 ? "act" : m.Name, m => SpecOf(m.Module)));

    private static string SpecOf(Module m) => m switch
    {
        LearnableActivation la => la.Spec.ToString(),
        Gelu { Approximate: "tanh" } => "gelu_tanh",
        _ => m.GetType().Name.ToLowerInvariant(),
    };
}
