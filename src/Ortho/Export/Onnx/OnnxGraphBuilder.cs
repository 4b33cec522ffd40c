using System.Globalization;
using Ortho.NN;

namespace Ortho.Export.Onnx;

/// <summary>
/// Builds one ONNX graph: initializers (a model's parameters under their state-dict names, and constants), nodes of
/// standard ai.onnx operators, and the graph's inputs and outputs. Each node has one fresh, unique output name
/// derived from the current <see cref="Scope"/>. This is what <see cref="Activations.ActivationFamily.EmitOnnx"/>
/// receives to write an activation's formula.
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly GraphProto _graph = new();
    private readonly Dictionary<Tensor, string> _stateNames = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, string> _emitted = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, string> _constants = [];
    private readonly HashSet<string> _names = [];
    private readonly List<string> _scopes = [];

    /// <summary>A builder for operator set <paramref name="opset"/>; <paramref name="root"/> names the parameters and buffers.</summary>
    internal OnnxGraphBuilder(int opset, Module root)
    {
        Opset = opset;
        foreach (var (name, p) in root.NamedParameters()) _stateNames.TryAdd(p, name);
        foreach (var (name, b, _) in root.NamedBuffers()) _stateNames.TryAdd(b, name);
    }

    /// <summary>The ai.onnx operator set version the graph targets (17 or later).</summary>
    public int Opset { get; }

    internal GraphProto Graph => _graph;

    /// <summary>
    /// Names the following nodes "<paramref name="name"/>/Op" until the result is disposed (the innermost scope
    /// counts); the exporter opens one per module, named by its dotted path.
    /// </summary>
    public IDisposable Scope(string name)
    {
        _scopes.Add(name);
        return new PopScope(_scopes);
    }

    /// <summary>
    /// The initializer holding <paramref name="tensor"/>'s current values (added on first use), named by its
    /// state-dict key in the exported module, or by <paramref name="fallbackName"/> for a tensor outside it.
    /// </summary>
    public string Weight(Tensor tensor, string? fallbackName = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (_emitted.TryGetValue(tensor, out var done)) return done;
        string name = _stateNames.TryGetValue(tensor, out var key) ? key
            : Fresh(fallbackName ?? throw new ArgumentException("the tensor is not a parameter or buffer of the exported module; give a name.", nameof(fallbackName)));
        _names.Add(name);
        _graph.Initializers.Add(new TensorProto { Name = name, Dims = Dims(tensor.Shape), Floats = tensor.ToArray() });
        _emitted[tensor] = name;
        return name;
    }

    /// <summary>The initializer of parameter (or buffer) <paramref name="name"/> of <paramref name="module"/> (its own, not a submodule's).</summary>
    /// <exception cref="ArgumentException">The module has no such parameter or buffer.</exception>
    public string Parameter(Module module, string name)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (n, p) in module.NamedParameters())
            if (n == name) return Weight(p, name);
        foreach (var (n, b, _) in module.NamedBuffers())
            if (n == name) return Weight(b, name);
        throw new ArgumentException($"{module.GetType().Name} has no parameter or buffer '{name}'.", nameof(name));
    }

    /// <summary>A float32 constant initializer of shape <paramref name="shape"/> (named after <paramref name="name"/>, made unique).</summary>
    public string Constant(string name, ReadOnlySpan<float> values, params long[] shape)
    {
        CheckCount(values.Length, shape);
        string n = Fresh(name);
        _graph.Initializers.Add(new TensorProto { Name = n, Dims = [.. shape], Floats = values.ToArray() });
        return n;
    }

    /// <summary>An int64 constant initializer of shape <paramref name="shape"/> (named after <paramref name="name"/>, made unique).</summary>
    public string ConstantInt64(string name, ReadOnlySpan<long> values, params long[] shape)
    {
        CheckCount(values.Length, shape);
        string n = Fresh(name);
        _graph.Initializers.Add(new TensorProto { Name = n, Dims = [.. shape], Int64s = values.ToArray() });
        return n;
    }

    /// <summary>A float32 scalar (rank 0) constant, shared by every use of the same value.</summary>
    public string Scalar(float value)
    {
        string key = "f:" + BitConverter.SingleToInt32Bits(value).ToString(CultureInfo.InvariantCulture);
        if (!_constants.TryGetValue(key, out var n))
            _constants[key] = n = Constant("const_" + value.ToString("R", CultureInfo.InvariantCulture), [value]);
        return n;
    }

    /// <summary>A one-dimensional int64 constant (axes, shapes, indices), shared by every use of the same values.</summary>
    public string Int64s(params long[] values)
    {
        string key = "i:" + string.Join(",", values);
        if (!_constants.TryGetValue(key, out var n))
            _constants[key] = n = ConstantInt64("const_i64_" + string.Join("_", values).Replace('-', 'm'), values, values.Length);
        return n;
    }

    /// <summary>Adds a node with one output and returns the output's name. An empty input name skips an optional input.</summary>
    public string Node(string opType, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes) =>
        Node(opType, inputs, 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputs"/> outputs and returns their names.</summary>
    public string[] Node(string opType, IReadOnlyList<string> inputs, int outputs, params OnnxAttribute[] attributes)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        string prefix = (_scopes.Count > 0 ? _scopes[^1] : "") + "/" + opType;
        var outs = new string[outputs];
        for (int i = 0; i < outputs; i++) outs[i] = Fresh(outputs == 1 ? prefix : $"{prefix}_out{i}");
        _graph.Nodes.Add(new NodeProto { OpType = opType, Name = outs[0], Inputs = [.. inputs], Outputs = [.. outs], Attributes = [.. attributes] });
        return outs;
    }

    /// <summary>a + b (broadcasting).</summary>
    public string Add(string a, string b) => Node("Add", [a, b]);

    /// <summary>a - b (broadcasting).</summary>
    public string Sub(string a, string b) => Node("Sub", [a, b]);

    /// <summary>a * b (broadcasting).</summary>
    public string Mul(string a, string b) => Node("Mul", [a, b]);

    /// <summary>a / b (broadcasting).</summary>
    public string Div(string a, string b) => Node("Div", [a, b]);

    /// <summary>Matrix product with numpy semantics (a vector operand is promoted and the added axis removed).</summary>
    public string MatMul(string a, string b) => Node("MatMul", [a, b]);

    /// <summary>Inserts size-1 axes at <paramref name="axes"/> (of the output).</summary>
    public string Unsqueeze(string x, params long[] axes) => Node("Unsqueeze", [x, Int64s(axes)]);

    /// <summary>Maximum over <paramref name="axes"/> (axes are an input from opset 18, an attribute before).</summary>
    public string ReduceMax(string x, long[] axes, bool keepDims = false) => Reduce("ReduceMax", 18, x, axes, keepDims);

    /// <summary>Mean over <paramref name="axes"/> (axes are an input from opset 18, an attribute before).</summary>
    public string ReduceMean(string x, long[] axes, bool keepDims = false) => Reduce("ReduceMean", 18, x, axes, keepDims);

    /// <summary>Sum over <paramref name="axes"/> (axes are an input from opset 13).</summary>
    public string ReduceSum(string x, long[] axes, bool keepDims = false) => Reduce("ReduceSum", 13, x, axes, keepDims);

    private string Reduce(string op, int axesInputSince, string x, long[] axes, bool keepDims)
    {
        var keep = OnnxAttribute.Int("keepdims", keepDims ? 1 : 0);
        return Opset >= axesInputSince ? Node(op, [x, Int64s(axes)], keep) : Node(op, [x], keep, OnnxAttribute.Ints("axes", axes));
    }

    /// <summary>Declares a graph input.</summary>
    internal void Input(string name, OnnxDataType type, params OnnxDim[] shape)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"ONNX graph: the name '{name}' is taken.");
        _graph.Inputs.Add(new ValueInfoProto { Name = name, ElemType = type, Shape = shape });
    }

    /// <summary>Declares a graph output, produced under <paramref name="name"/> by an Identity of <paramref name="value"/>.</summary>
    internal void Output(string name, string value, OnnxDataType type, params OnnxDim[] shape)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"ONNX graph: the name '{name}' is taken.");
        _graph.Nodes.Add(new NodeProto { OpType = "Identity", Name = name, Inputs = [value], Outputs = [name] });
        _graph.Outputs.Add(new ValueInfoProto { Name = name, ElemType = type, Shape = shape });
    }

    private string Fresh(string hint)
    {
        if (_names.Add(hint)) return hint;
        for (int i = 1; ; i++)
        {
            string n = hint + "_" + i.ToString(CultureInfo.InvariantCulture);
            if (_names.Add(n)) return n;
        }
    }

    private static long[] Dims(int[] shape) => shape.Select(d => (long)d).ToArray();

    private static void CheckCount(int count, long[] shape)
    {
        long n = 1;
        foreach (long d in shape) n *= d;
        if (n != count) throw new ArgumentException($"{count} values do not fill the shape [{string.Join(", ", shape)}].");
    }

    private sealed class PopScope(List<string> scopes) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            scopes.RemoveAt(scopes.Count - 1);
        }
    }
}
