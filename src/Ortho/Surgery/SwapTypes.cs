using Ortho.Activations;
using Ortho.Inference;
using Ortho.NN;

namespace Ortho.Surgery;

/// <summary>Whether a swap to Hermite puts torchortho's soft clamp in front of the polynomial.</summary>
public enum ClampMode
{
    /// <summary>
    /// Clamp when some layer's measured input range is wider than the plain polynomial fits well: its largest error
    /// over the range is above <see cref="SwapOptions.ClampTolerance"/> and the clamped fit's is smaller. The model
    /// has one activation spec, so the clamp is applied to every layer or to none.
    /// </summary>
    Auto,
    /// <summary>Always clamp (Hermite only).</summary>
    On,
    /// <summary>Never clamp.</summary>
    Off,
}

/// <summary>What <see cref="ActivationSwap.Swap"/> does.</summary>
public sealed record SwapOptions
{
    /// <summary>The learnable activation to put in, e.g. hermite:8 (hermite:8+clamp forces the clamp).</summary>
    public required ActivationSpec Activation { get; init; }

    /// <summary>
    /// The activation to replace, and the function each replacement is fitted to: "gelu" replaces GELU in either form
    /// (erf or tanh, each layer fitted to its own form), "gelu_tanh" only the tanh form; also relu, silu, tanh, sigmoid.
    /// </summary>
    public string Fit { get; init; } = "gelu";

    /// <summary>Hermite's soft clamp: automatic, always or never.</summary>
    public ClampMode Clamp { get; init; } = ClampMode.Auto;

    /// <summary>Points of each layer's fitting grid, equally spaced over the layer's measured input range.</summary>
    public int GridSize { get; init; } = 2001;

    /// <summary>With <see cref="ClampMode.Auto"/>: the largest |f - g| over a layer's measured range that counts as fitting well.</summary>
    public double ClampTolerance { get; init; } = 0.05;

    /// <summary>Fitting options of the kind's algorithm (its range is each layer's measured one).</summary>
    public FitOptions FitOptions { get; init; } = new();

    /// <summary>Throws with the offending value named.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Activation);
        if (!Activation.IsLearnable)
            throw new ArgumentException($"'{Activation}' is not a learnable activation: swap puts in one of {string.Join(", ", ActivationSpec.Learnable)} with a degree (e.g. hermite:8).");
        ActivationSwap.TargetOf(Fit);
        if (GridSize < 8) throw new ArgumentOutOfRangeException(nameof(GridSize), GridSize, "the fitting grid needs at least 8 points.");
        if (!(ClampTolerance > 0) || double.IsInfinity(ClampTolerance))
            throw new ArgumentOutOfRangeException(nameof(ClampTolerance), ClampTolerance, "the clamp tolerance must be positive and finite.");
        bool clampSpec = Activation.Options.Split('+').Contains("clamp");
        if (clampSpec && Clamp == ClampMode.Off) throw new ArgumentException($"'{Activation}' has the clamp, but the clamp is set off: give one of them.");
        if (Clamp == ClampMode.On && !Activation.Family.WithOptions([]).SupportedOptions.Contains("clamp"))
            throw new ArgumentException($"{Activation.Kind} has no soft clamp (only hermite has): drop the clamp, or use hermite.");
    }
}

/// <summary>One swapped layer: what it received, what it was fitted to, and how well.</summary>
/// <param name="Module">The activation module's dotted name (e.g. transformer.h.0.mlp.act).</param>
/// <param name="Target">The function fitted to: the layer's own classic activation (gelu or gelu_tanh, ...).</param>
/// <param name="Inputs">The layer's measured inputs (the fit's weights are their histogram over [min, max]).</param>
/// <param name="Errors">The fit's errors on that weighted grid: weighted RMS of f - g and f' - g', and their maxima over the measured range.</param>
/// <param name="Clamped">Whether the layer's activation has the soft clamp.</param>
/// <param name="OtherMaxError">With <see cref="ClampMode.Auto"/> and Hermite: max |f - g| of the variant not chosen (clamped if not clamped, and so on); else null.</param>
/// <param name="Parameters">The fitted values loaded into the new module.</param>
public sealed record LayerSwap(string Module, FitTarget Target, ActivationInputStats Inputs, FitGridErrors Errors, bool Clamped, double? OtherMaxError,
    ActivationParameters Parameters);

/// <summary>The outcome of <see cref="ActivationSwap.Swap"/>.</summary>
/// <param name="Model">The new model (a GPT or ConvNeXt of the same sizes, every weight copied, each activation fitted), in evaluation mode.</param>
/// <param name="Activation">Its activation spec (with +clamp when the clamp was applied).</param>
/// <param name="Layers">One entry per swapped activation, in model order.</param>
/// <param name="ClampReason">Why the clamp was or was not applied, in one sentence.</param>
/// <param name="OutputRms">RMS of the original model's outputs (logits) on the batches.</param>
/// <param name="OutputChangeRms">RMS of the change of the outputs on the same batches.</param>
/// <param name="MaxOutputChange">Largest absolute change of an output.</param>
public sealed record SwapResult(Module Model, ActivationSpec Activation, IReadOnlyList<LayerSwap> Layers, string ClampReason,
    double OutputRms, double OutputChangeRms, double MaxOutputChange);
