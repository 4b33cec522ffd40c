namespace Ortho.Export.Onnx;

/// <summary>How <see cref="OnnxExporter"/> writes a model.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The default operator set: 20, the first with the Gelu operator (erf and tanh forms).</summary>
    public const int DefaultOpset = 20;

    /// <summary>The oldest operator set the exporter writes: 17, the first with LayerNormalization.</summary>
    public const int MinOpset = 17;

    /// <summary>The newest operator set the exporter writes (checked against ONNX Runtime 1.31).</summary>
    public const int MaxOpset = 23;

    /// <summary>The ai.onnx operator set version, <see cref="MinOpset"/> to <see cref="MaxOpset"/>; below 20 GELU is written with Erf or Tanh.</summary>
    public int Opset { get; init; } = DefaultOpset;

    /// <summary>
    /// True makes the batch dimension symbolic ("batch"): one file runs any batch size. False fixes it to
    /// <see cref="BatchSize"/>.
    /// </summary>
    public bool DynamicBatch { get; init; }

    /// <summary>The fixed batch size when <see cref="DynamicBatch"/> is false (default 1).</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>
    /// GPT: a fixed sequence length (1 to the block size); null (the default) makes it symbolic ("sequence"),
    /// so one file takes any length up to the block size.
    /// </summary>
    public int? SequenceLength { get; init; }

    /// <summary>ConvNeXt: the image height and width; null (the default) takes the model config's image size.</summary>
    public int? ImageSize { get; init; }

    /// <summary>Extra metadata_props entries (key to value) written beside Ortho's own.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> with the offending field named.</summary>
    public void Validate()
    {
        if (Opset < MinOpset || Opset > MaxOpset)
            throw new ArgumentException($"ONNX export: opset must be in [{MinOpset}, {MaxOpset}]; got {Opset}.");
        if (!DynamicBatch && BatchSize < 1) throw new ArgumentException($"ONNX export: the batch size must be at least 1; got {BatchSize}.");
        if (SequenceLength is < 1) throw new ArgumentException($"ONNX export: the sequence length must be at least 1; got {SequenceLength}.");
        if (ImageSize is < 1) throw new ArgumentException($"ONNX export: the image size must be at least 1; got {ImageSize}.");
    }

    /// <summary>The ONNX IR version that goes with an operator set (8 for 17-18, 9 for 19-20, 10 for 21-22, 11 for 23).</summary>
    public static long IrVersion(int opset) => opset switch
    {
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        _ => 11,
    };

    internal OnnxDim Batch => DynamicBatch ? new OnnxDim("batch") : new OnnxDim(BatchSize);
}
