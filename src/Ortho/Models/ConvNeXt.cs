using Ortho.Activations;
using Ortho.NN;

namespace Ortho.Models;

/// <summary>ConvNeXt hyper-parameters; <see cref="Activation"/> uses the activation-spec format.</summary>
public sealed record ConvNeXtConfig(int InChans, int Classes, int[] Depths, int[] Dims, int Stem, string Activation = "gelu", int ImageSize = 28)
{
    /// <summary>The Fashion-MNIST model: 1 channel, stem 2, dims 32/64/128, depths 2/2/2.</summary>
    public static ConvNeXtConfig FashionMnist(string activation = "gelu") => new(1, 10, [2, 2, 2], [32, 64, 128], 2, activation, 28);

    /// <summary>ConvNeXt-T: stem 4, dims 96/192/384/768, depths 3/3/9/3, 1000 classes, 224 x 224 RGB.</summary>
    public static ConvNeXtConfig Tiny(string activation = "gelu") => new(3, 1000, [3, 3, 9, 3], [96, 192, 384, 768], 4, activation, 224);

    /// <summary>Checks the numbers and throws with the offending field named.</summary>
    public void Validate()
    {
        if (Depths.Length == 0 || Depths.Length != Dims.Length) throw new ArgumentException($"ConvNeXtConfig: depths ({Depths.Length}) and dims ({Dims.Length}) must be non-empty and the same length.");
        if (InChans <= 0 || Classes <= 0 || Stem <= 0 || Dims.Any(d => d <= 0) || Depths.Any(d => d < 0)) throw new ArgumentException("ConvNeXtConfig: sizes must be positive.");
        int size = ImageSize / Stem;
        for (int i = 1; i < Dims.Length; i++) size /= 2;
        if (ImageSize % Stem != 0 || size < 1) throw new ArgumentException($"ConvNeXtConfig: image size {ImageSize} does not fit stem {Stem} and {Dims.Length - 1} downsamplings.");
        ActivationSpec.Parse(Activation);
    }
}

/// <summary>
/// ConvNeXt (Liu et al. 2022) computed channels-last throughout: patchify stem + LayerNorm, stages of blocks
/// (depthwise 7x7 -> LayerNorm -> Linear 4x -> activation -> Linear -> layer scale -> residual), LayerNorm + 2x2
/// stride-2 downsampling between stages, global average pool -> LayerNorm -> Linear head. State-dict keys match the
/// PyTorch reference (downsample_layers.i.{0,1}, stages.i.j.*, norm, head).
/// </summary>
public sealed class ConvNeXt : UnaryModule
{
    /// <summary>Builds the model; conv and linear weights ~ truncated N(0, 0.02), zero biases, layer scale 1e-6.</summary>
    public ConvNeXt(ConvNeXtConfig config, Rng? rng = null)
    {
        config.Validate();
        Config = config;
        rng ??= Rng.Default;
        var dims = config.Dims;
        DownsampleLayers = RegisterModule("downsample_layers", new ModuleList<Module>());
        DownsampleLayers.Add(new ConvNeXtStem(new PatchConv(config.InChans, dims[0], config.Stem), new LayerNorm(dims[0], 1e-6f), normFirst: false));
        for (int i = 0; i + 1 < dims.Length; i++)
            DownsampleLayers.Add(new ConvNeXtStem(new PatchConv(dims[i], dims[i + 1], 2), new LayerNorm(dims[i], 1e-6f), normFirst: true));
        Stages = RegisterModule("stages", new ModuleList<Sequential>());
        for (int i = 0; i < dims.Length; i++)
            Stages.Add(new Sequential(Enumerable.Range(0, config.Depths[i]).Select(_ => (UnaryModule)new ConvNeXtBlock(dims[i], config.Activation, rng)).ToArray()));
        Norm = RegisterModule("norm", new LayerNorm(dims[^1], 1e-6f));
        Head = RegisterModule("head", new Linear(dims[^1], config.Classes, rng: rng));
        foreach (var (name, p) in NamedParameters())
        {
            p.Name = name; // full dotted names in error messages
            bool convOrLinear = name.EndsWith(".weight", StringComparison.Ordinal) && p.Rank >= 2;
            if (convOrLinear) rng.FillTruncatedNormal(p.Data, 0f, 0.02f, -2f, 2f);
            else if (name.EndsWith(".bias", StringComparison.Ordinal) && !IsNormParameter(name)) p.Data.Clear();
        }
    }

    private bool IsNormParameter(string name) =>
        NamedModules().Any(m => m.Module is LayerNorm && name.StartsWith(m.Name + ".", StringComparison.Ordinal) && name.LastIndexOf('.') == m.Name.Length);

    /// <summary>The configuration.</summary>
    public ConvNeXtConfig Config { get; }

    /// <summary>Stem and downsampling layers.</summary>
    public ModuleList<Module> DownsampleLayers { get; }

    /// <summary>The stages.</summary>
    public ModuleList<Sequential> Stages { get; }

    /// <summary>Final norm.</summary>
    public LayerNorm Norm { get; }

    /// <summary>Classifier.</summary>
    public Linear Head { get; }

    private Tensor ToChannelsLast(Tensor images) =>
        Config.InChans == 1 ? images.Reshape(images.Size(0), images.Size(2), images.Size(3), 1) : images.Permute(0, 2, 3, 1);

    /// <summary>Logits [N, classes] for images [N, C, H, W] (NCHW, as PyTorch).</summary>
    protected override Tensor ForwardCore(Tensor images)
    {
        if (images.Rank != 4 || images.Size(1) != Config.InChans)
            throw new ArgumentException($"ConvNeXt: expected images [N, {Config.InChans}, H, W], got {Tensor.ShapeString(images.ShapeSpan)}.");
        var x = ToChannelsLast(images);
        for (int i = 0; i < Stages.Count; i++)
            x = Stages[i].Forward(((ConvNeXtStem)DownsampleLayers[i]).Forward(x));
        return Head.Forward(Norm.Forward(Functional.GlobalAvgPool(x)));
    }
}

/// <summary>A k x k, stride-k convolution (patchify) on channels-last input; weight [out, in, k, k] as PyTorch's Conv2d.</summary>
public sealed class PatchConv : UnaryModule
{
    /// <summary>Creates the layer.</summary>
    public PatchConv(int inChans, int outChans, int kernel)
    {
        Kernel = kernel;
        Weight = RegisterParameter("weight", new Parameter(outChans, inChans, kernel, kernel));
        Bias = RegisterParameter("bias", new Parameter(outChans));
    }

    /// <summary>Kernel size and stride.</summary>
    public int Kernel { get; }

    /// <summary>Weight [out, in, k, k].</summary>
    public Parameter Weight { get; }

    /// <summary>Bias [out].</summary>
    public Parameter Bias { get; }

    /// <summary>[N, H, W, in] to [N, H/k, W/k, out].</summary>
    protected override Tensor ForwardCore(Tensor x) => Functional.PatchConvNhwc(x, Weight, Bias, Kernel);
}

/// <summary>A stem or downsampling layer: Sequential(conv, norm) for the stem, Sequential(norm, conv) between stages.</summary>
public sealed class ConvNeXtStem : UnaryModule
{
    private readonly bool _normFirst;

    internal ConvNeXtStem(PatchConv conv, LayerNorm norm, bool normFirst)
    {
        _normFirst = normFirst;
        if (normFirst) { Norm = RegisterModule("0", norm); Conv = RegisterModule("1", conv); }
        else { Conv = RegisterModule("0", conv); Norm = RegisterModule("1", norm); }
    }

    /// <summary>The convolution.</summary>
    public PatchConv Conv { get; }

    /// <summary>The channel LayerNorm (eps 1e-6).</summary>
    public LayerNorm Norm { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor x) => _normFirst ? Conv.Forward(Norm.Forward(x)) : Norm.Forward(Conv.Forward(x));
}

/// <summary>Depthwise 7x7 conv -> LayerNorm -> pwconv1 (C -> 4C) -> act -> pwconv2 -> gamma -> residual.</summary>
public sealed class ConvNeXtBlock : UnaryModule
{
    /// <summary>Creates the block.</summary>
    public ConvNeXtBlock(int dim, string activation, Rng rng, float layerScale = 1e-6f)
    {
        Gamma = RegisterParameter("gamma", new Parameter(dim));
        Gamma.Data.Fill(layerScale);
        Dwconv = RegisterModule("dwconv", new DepthwiseConv7(dim));
        Norm = RegisterModule("norm", new LayerNorm(dim, 1e-6f));
        Pwconv1 = RegisterModule("pwconv1", new Linear(dim, 4 * dim, rng: rng));
        Act = RegisterModule("act", ActivationSpec.Parse(activation).Create(rng));
        Pwconv2 = RegisterModule("pwconv2", new Linear(4 * dim, dim, rng: rng));
    }

    /// <summary>Layer scale [C].</summary>
    public Parameter Gamma { get; }

    /// <summary>Depthwise 7x7 convolution.</summary>
    public DepthwiseConv7 Dwconv { get; }

    /// <summary>LayerNorm over channels.</summary>
    public LayerNorm Norm { get; }

    /// <summary>Expansion.</summary>
    public Linear Pwconv1 { get; }

    /// <summary>The activation.</summary>
    public UnaryModule Act { get; }

    /// <summary>Projection back.</summary>
    public Linear Pwconv2 { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor x) => x + Pwconv2.Forward(Act.Forward(Pwconv1.Forward(Norm.Forward(Dwconv.Forward(x))))) * Gamma;
}

/// <summary>Depthwise 7x7 convolution, padding 3, on channels-last input; weight [C, 1, 7, 7] as PyTorch's Conv2d(groups=C).</summary>
public sealed class DepthwiseConv7 : UnaryModule
{
    /// <summary>Creates the layer.</summary>
    public DepthwiseConv7(int channels)
    {
        Weight = RegisterParameter("weight", new Parameter(channels, 1, 7, 7));
        Bias = RegisterParameter("bias", new Parameter(channels));
    }

    /// <summary>Weight [C, 1, 7, 7].</summary>
    public Parameter Weight { get; }

    /// <summary>Bias [C].</summary>
    public Parameter Bias { get; }

    /// <summary>[N, H, W, C] to [N, H, W, C].</summary>
    protected override Tensor ForwardCore(Tensor x) => Functional.DepthwiseConv7Nhwc(x, Weight, Bias);
}
