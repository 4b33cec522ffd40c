using System.Text.Json;
using Ortho.Activations;
using Ortho.IO;
using Ortho.NN;

namespace Ortho.Models;

/// <summary>
/// MLP hyper-parameters: <see cref="Inputs"/> features, one hidden layer per entry of <see cref="Hidden"/> (its width),
/// <see cref="Outputs"/> features, and one activation per hidden layer in the activation-spec format (e.g. "hermite:2").
/// The output layer is linear (no activation).
/// </summary>
public sealed record MlpConfig(int Inputs, int[] Hidden, int Outputs, string[] Activations)
{
    /// <summary>The tag stored in <see cref="Architecture"/>, so a config JSON says which model it builds.</summary>
    public const string MlpArchitecture = "mlp";

    /// <summary>Always "mlp" (written to the JSON; a config whose tag differs is rejected).</summary>
    public string Architecture { get; init; } = MlpArchitecture;

    /// <summary>The same activation after every hidden layer.</summary>
    public static MlpConfig Uniform(int inputs, int[] hidden, int outputs, string activation) =>
        new(inputs, hidden, outputs, Enumerable.Repeat(activation, hidden.Length).ToArray());

    /// <summary>Checks the numbers and specs; throws naming the offending field.</summary>
    public void Validate()
    {
        if (Architecture != MlpArchitecture) throw new ArgumentException($"MlpConfig: architecture is '{Architecture}', expected '{MlpArchitecture}'.");
        if (Hidden is null || Activations is null) throw new ArgumentException("MlpConfig: hidden widths and activations are required.");
        if (Inputs <= 0 || Outputs <= 0) throw new ArgumentException($"MlpConfig: inputs ({Inputs}) and outputs ({Outputs}) must be positive.");
        for (int i = 0; i < Hidden.Length; i++)
            if (Hidden[i] <= 0) throw new ArgumentException($"MlpConfig: hidden layer {i} has width {Hidden[i]}; widths must be positive.");
        if (Activations.Length != Hidden.Length)
            throw new ArgumentException($"MlpConfig: {Activations.Length} activations for {Hidden.Length} hidden layers (give one per hidden layer).");
        foreach (var a in Activations) ActivationSpec.Parse(a);
    }

    /// <summary>The config as the JSON stored in model files.</summary>
    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>Parses <see cref="ToJson"/>'s output and validates it.</summary>
    /// <exception cref="InvalidDataException">The JSON is not an MLP config.</exception>
    public static MlpConfig FromJson(string json)
    {
        MlpConfig? c;
        try
        {
            using (var doc = JsonDocument.Parse(json))
            {
                // Trainers' configs (GPT, ConvNeXt) have no architecture tag: say what the file is not.
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(nameof(Architecture), out var tag)
                    || tag.ValueKind != JsonValueKind.String || tag.GetString() != MlpArchitecture)
                    throw new InvalidDataException("The model config does not describe an MLP (no \"Architecture\": \"mlp\"); this command reads MLP model files.");
            }
            c = JsonSerializer.Deserialize<MlpConfig>(json);
        }
        catch (JsonException e) { throw new InvalidDataException($"MLP config is not valid JSON: {e.Message}", e); }
        if (c is null) throw new InvalidDataException("The MLP config is empty.");
        try { c.Validate(); }
        catch (Exception e) when (e is ArgumentException or FormatException) { throw new InvalidDataException(e.Message, e); }
        return c;
    }

    /// <summary>e.g. "mlp 3-16-1 [hermite:2]".</summary>
    public override string ToString() =>
        $"mlp {string.Join("-", new[] { Inputs }.Concat(Hidden).Append(Outputs))} [{string.Join(", ", Activations)}]";
}

/// <summary>
/// A multilayer perceptron: Linear, activation, Linear, activation, ..., Linear, held in a <see cref="Sequential"/>
/// named "layers", so its state-dict keys are PyTorch's for <c>nn.Sequential</c>: <c>layers.0.weight</c>,
/// <c>layers.0.bias</c>, <c>layers.1.coefficients</c> (a learnable activation), <c>layers.2.weight</c>, ...
/// Model files written by <see cref="Save"/> carry the config JSON in the safetensors metadata ("config"), so
/// <see cref="Load"/> rebuilds the model from the file alone.
/// </summary>
public sealed class Mlp : UnaryModule
{
    private readonly Linear[] _linears;
    private readonly UnaryModule[] _activations;

    /// <summary>Builds the model with PyTorch's default Linear init; parameters are drawn from <paramref name="rng"/>.</summary>
    public Mlp(MlpConfig config, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        rng ??= Rng.Default;
        var layers = new List<UnaryModule>();
        var linears = new List<Linear>();
        var acts = new List<UnaryModule>();
        int width = config.Inputs;
        for (int i = 0; i < config.Hidden.Length; i++)
        {
            var lin = new Linear(width, config.Hidden[i], rng: rng);
            var act = ActivationSpec.Parse(config.Activations[i]).Create(rng);
            layers.Add(lin);
            layers.Add(act);
            linears.Add(lin);
            acts.Add(act);
            width = config.Hidden[i];
        }
        var head = new Linear(width, config.Outputs, rng: rng);
        layers.Add(head);
        linears.Add(head);
        Layers = RegisterModule("layers", new Sequential(layers.ToArray()));
        _linears = linears.ToArray();
        _activations = acts.ToArray();
        foreach (var (name, p) in NamedParameters()) p.Name = name;
    }

    /// <summary>The configuration.</summary>
    public MlpConfig Config { get; }

    /// <summary>All layers in order (Linear and activation modules alternating, Linear last).</summary>
    public Sequential Layers { get; }

    /// <summary>The Linear layers, input to output (one more than the activations).</summary>
    public IReadOnlyList<Linear> Linears => _linears;

    /// <summary>The activation after each hidden Linear layer.</summary>
    public IReadOnlyList<UnaryModule> Activations => _activations;

    /// <summary>The parsed activation spec of hidden layer <paramref name="layer"/>.</summary>
    public ActivationSpec ActivationSpecOf(int layer) => ActivationSpec.Parse(Config.Activations[layer]);

    /// <summary>Outputs [N, outputs] for inputs [N, inputs].</summary>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (input.Rank != 2 || input.Size(1) != Config.Inputs)
            throw new ArgumentException($"Mlp: expected inputs [N, {Config.Inputs}], got {Tensor.ShapeString(input.ShapeSpan)}.");
        return Layers.Forward(input);
    }

    /// <summary>Outputs (row-major [n, outputs]) for <paramref name="n"/> rows of <paramref name="x"/>, without autograd.</summary>
    public float[] Predict(ReadOnlySpan<float> x, int n)
    {
        if (x.Length != n * Config.Inputs) throw new ArgumentException($"Mlp.Predict: {x.Length} values are not {n} rows of {Config.Inputs} inputs.");
        using var noGrad = Tensor.NoGrad();
        using var scope = Tensor.Scope();
        return Forward(Tensor.FromArray(x, n, Config.Inputs)).ToArray();
    }

    /// <summary>
    /// The network on one input in double precision: the float32 weights widened to double, learnable activations
    /// through their double-precision <see cref="LearnableActivation.Evaluate"/>, classical ones by their formulas.
    /// </summary>
    public double[] ForwardDouble(ReadOnlySpan<double> x)
    {
        if (x.Length != Config.Inputs) throw new ArgumentException($"Mlp.ForwardDouble: {x.Length} inputs, expected {Config.Inputs}.");
        double[] h = x.ToArray();
        for (int l = 0; l < _linears.Length; l++)
        {
            var lin = _linears[l];
            var w = lin.Weight.Data;
            var b = lin.Bias;
            var z = new double[lin.OutFeatures];
            for (int o = 0; o < z.Length; o++)
            {
                double s = b is null ? 0 : b.Data[o];
                for (int i = 0; i < h.Length; i++) s += (double)w[o * h.Length + i] * h[i];
                z[o] = s;
            }
            if (l < _activations.Length)
                for (int o = 0; o < z.Length; o++) z[o] = ActivateDouble(_activations[l], Config.Activations[l], z[o]);
            h = z;
        }
        return h;
    }

    private static double ActivateDouble(UnaryModule act, string spec, double z)
    {
        if (act is LearnableActivation la) return la.Evaluate(z, out _);
        return ActivationSpec.Parse(spec).Kind switch
        {
            "relu" => Math.Max(z, 0),
            "tanh" => Math.Tanh(z),
            "sigmoid" => 1 / (1 + Math.Exp(-z)),
            "silu" => z / (1 + Math.Exp(-z)),
            "gelu" => 0.5 * z * (1 + SpecialFunctions.Erf(z / Math.Sqrt(2))),
            "gelu_tanh" => 0.5 * z * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z))),
            var k => throw new NotSupportedException($"Mlp.ForwardDouble: activation '{k}' has no double-precision form."),
        };
    }

    /// <summary>Writes the weights (PyTorch keys) with the config JSON in the metadata ("config").</summary>
    public void Save(string path) => StateDictFile.Save(this, path, [new(ConfigMetadataKey, Config.ToJson())]);

    /// <summary>The metadata key holding the config JSON (the same key the trainers use for their models).</summary>
    public const string ConfigMetadataKey = "config";

    /// <summary>Rebuilds an MLP from a file written by <see cref="Save"/> (config from its metadata, strict keys).</summary>
    /// <exception cref="InvalidDataException">The file is not an MLP model file or does not match its config.</exception>
    public static Mlp Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file {path} does not exist.", path);
        var file = SafeTensorsFile.Read(path);
        if (!file.Metadata.TryGetValue(ConfigMetadataKey, out var json))
            throw new InvalidDataException($"{path}: no '{ConfigMetadataKey}' metadata; expected an MLP model file (written by Mlp.Save or 'ortho mlp train').");
        MlpConfig config;
        try { config = MlpConfig.FromJson(json); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        var model = new Mlp(config, new Rng(0));
        try { model.LoadStateDict(StateDictFile.ToTensors(file)); }
        catch (StateDictException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        return model;
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => Config.ToString();
}
