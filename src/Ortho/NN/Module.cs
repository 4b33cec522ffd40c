using System.Text;

namespace Ortho.NN;

/// <summary>
/// Base of every layer and model: a tree of named submodules, parameters and buffers whose dotted names
/// (<see cref="StateDict"/>) equal PyTorch's for the same module tree.
/// </summary>
public abstract partial class Module
{
    private readonly List<(string Name, Module Module)> _modules = new();
    private readonly List<(string Name, Parameter Parameter)> _parameters = new();
    private readonly List<BufferSlot> _buffers = new();

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers a submodule under <paramref name="name"/>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _modules.Add((name, module));
        return module;
    }

    /// <summary>Registers a parameter under <paramref name="name"/> and names it for error messages.</summary>
    protected Parameter RegisterParameter(string name, Parameter parameter)
    {
        CheckName(name);
        parameter.Name ??= name;
        _parameters.Add((name, parameter));
        return parameter;
    }

    /// <summary>
    /// Registers a buffer (state that is not learned); persistent buffers are part of the state dict.
    /// <paramref name="dtype"/> is the safetensors dtype checkpoints store it as ("F32", or "I64" for integer buffers
    /// that PyTorch peers keep as int64).
    /// </summary>
    protected Tensor RegisterBuffer(string name, Tensor buffer, bool persistent = true, string dtype = "F32")
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Owner != null)
        {
            var copy = Tensor.Unscoped(buffer.Shape); // buffers live as long as the module, not as a scope
            buffer.Data.CopyTo(copy.Data);
            buffer = copy;
        }
        _buffers.Add(new BufferSlot(name, buffer, persistent, dtype));
        return buffer;
    }

    /// <summary>
    /// Registers a persistent constant buffer holding <paramref name="values"/>: the values its definition gives
    /// (e.g. torchortho's <c>powers</c> 0..n). <see cref="LoadStateDict"/> checks a loaded value against them before
    /// anything uses it and rejects a state dict that differs (see <see cref="BufferTolerance"/>); the values it
    /// accepts are kept as loaded, so a file read and written again holds the same bytes.
    /// </summary>
    /// <param name="name">The member name.</param>
    /// <param name="shape">The tensor shape.</param>
    /// <param name="values">The defined values, row-major.</param>
    /// <param name="dtype">The safetensors dtype checkpoints store it as; integer dtypes must match exactly.</param>
    /// <param name="tolerance">What a float buffer may differ by (default: the rounding of the file's dtype).</param>
    /// <param name="optional">
    /// Absent from the state dict unless a loaded state dict had it: for buffers only some writers include (torchortho's
    /// Hermite <c>normalization_term</c>, present with <c>use_numba=True</c>). Present or absent, strict loads accept it.
    /// </param>
    protected Tensor RegisterConstant(string name, int[] shape, ReadOnlySpan<float> values, string dtype = "F32", BufferTolerance? tolerance = null, bool optional = false)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(shape);
        var t = Tensor.Unscoped(shape);
        if (values.Length != t.Length)
            throw new ArgumentException($"constant '{name}': {values.Length} values do not fill shape {Tensor.ShapeString(shape)}.", nameof(values));
        values.CopyTo(t.Data);
        _buffers.Add(new BufferSlot(name, t, persistent: true, dtype)
        {
            Expected = values.ToArray(),
            Tolerance = tolerance ?? BufferTolerance.DtypeRounding,
            Optional = optional,
            Present = !optional,
        });
        return t;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"Invalid member name '{name}': names are non-empty and contain no '.'.");
        if (_modules.Any(m => m.Name == name) || _parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'.");
    }

    /// <summary>This module and all submodules with dotted names ("" for this one), depth first.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, m) in _modules)
            foreach (var x in m.NamedModules(Join(prefix, name))) yield return x;
    }

    /// <summary>Direct submodules.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _modules;

    /// <summary>All parameters with dotted names; a parameter shared by two modules appears once (first name).</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in NamedModules())
            foreach (var (name, p) in m._parameters)
                if (seen.Add(p)) yield return (Join(prefix, name), p);
    }

    /// <summary>All parameters (each once).</summary>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>All buffers with dotted names (an optional constant only while present).</summary>
    public IEnumerable<(string Name, Tensor Buffer, bool Persistent)> NamedBuffers()
    {
        foreach (var (prefix, m) in NamedModules())
            foreach (var b in m._buffers)
                if (b.Present) yield return (Join(prefix, b.Name), b.Buffer, b.Persistent);
    }

    /// <summary>The safetensors dtype a state-dict entry is stored as: "F32" unless a buffer was registered otherwise.</summary>
    public string StateDictDtype(string key)
    {
        foreach (var (k, b) in BufferSlots())
            if (k == key) return b.Dtype;
        return "F32";
    }

    /// <summary>
    /// Puts the optional constant buffer <paramref name="key"/> (see <see cref="RegisterConstant"/>) into the state dict
    /// with its defined values, or takes it out.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No optional buffer has that key.</exception>
    public void SetOptionalBuffer(string key, bool present)
    {
        var slot = OptionalSlot(key);
        if (present && !slot.Present) slot.Expected!.CopyTo(slot.Buffer.Data);
        slot.Present = present;
    }

    private BufferSlot OptionalSlot(string key)
    {
        foreach (var (k, b) in BufferSlots())
            if (k == key && b.Optional) return b;
        throw new KeyNotFoundException($"{GetType().Name} has no optional buffer '{key}'.");
    }

    private IEnumerable<(string Key, BufferSlot Slot)> BufferSlots()
    {
        foreach (var (prefix, m) in NamedModules())
            foreach (var b in m._buffers) yield return (Join(prefix, b.Name), b);
    }

    /// <summary>
    /// Parameters and persistent buffers by dotted name, in PyTorch's order (each module's own parameters,
    /// then its buffers, then its children). Tensors share storage with the module.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in NamedModules())
        {
            foreach (var (name, p) in m._parameters) if (seen.Add(p)) d[Join(prefix, name)] = p;
            foreach (var b in m._buffers) if (b.Persistent && b.Present) d[Join(prefix, b.Name)] = b.Buffer;
        }
        return d;
    }

    /// <summary>
    /// Copies values into this module's parameters and persistent buffers. With <paramref name="strict"/>,
    /// missing or unexpected keys are an error; shape mismatches always are, and so are constant buffers whose values
    /// differ from their definition (<see cref="RegisterConstant"/>): such a state dict would compute another function.
    /// Optional constants are never missing, and afterwards present exactly when the state dict had them (a non-strict
    /// load keeps one it does not mention). The error lists every problem; nothing is copied unless everything checks.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        state = NormalizeStateDict(state);
        var own = StateDict();
        var optional = BufferSlots().Where(b => b.Slot.Persistent && b.Slot.Optional).ToDictionary(b => b.Key, b => b.Slot);
        foreach (var (key, slot) in optional) own[key] = slot.Buffer;
        var missing = own.Keys.Where(k => !state.ContainsKey(k) && !optional.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var mismatched = own.Where(kv => state.TryGetValue(kv.Key, out var t) && !t.ShapeSpan.SequenceEqual(kv.Value.ShapeSpan))
            .Select(kv => $"{kv.Key}: checkpoint {Tensor.ShapeString(state[kv.Key].ShapeSpan)}, model {Tensor.ShapeString(kv.Value.ShapeSpan)}").ToList();
        var invalid = new List<string>();
        foreach (var (key, slot) in BufferSlots())
            if (slot.Expected != null && state.TryGetValue(key, out var t) && t.ShapeSpan.SequenceEqual(slot.Buffer.ShapeSpan)
                && slot.FirstInvalid(t.Data) is string problem)
                invalid.Add($"{key}: {problem}");
        if (mismatched.Count > 0 || invalid.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            var sb = new StringBuilder($"Error loading state dict into {GetType().Name}:");
            if (strict && missing.Count > 0) sb.Append("\n  missing keys: ").Append(string.Join(", ", missing));
            if (strict && unexpected.Count > 0) sb.Append("\n  unexpected keys: ").Append(string.Join(", ", unexpected));
            if (mismatched.Count > 0) sb.Append("\n  shape mismatches: ").Append(string.Join("; ", mismatched));
            if (invalid.Count > 0) sb.Append("\n  constant buffers that differ from their definition: ").Append(string.Join("; ", invalid));
            throw new StateDictException(sb.ToString(), missing, unexpected, mismatched, invalid);
        }
        foreach (var (key, dst) in own)
            if (state.TryGetValue(key, out var src)) src.Data.CopyTo(dst.Data);
        foreach (var (key, slot) in optional)
            slot.Present = state.ContainsKey(key) || (!strict && slot.Present);
    }

    /// <summary>
    /// Maps another writer's spelling of this module's state dict onto its own before loading (e.g. a tied weight
    /// saved under its other name). The default returns <paramref name="state"/> unchanged.
    /// </summary>
    protected virtual IReadOnlyDictionary<string, Tensor> NormalizeStateDict(IReadOnlyDictionary<string, Tensor> state) => state;

    /// <summary>Sets training mode on this module and all submodules.</summary>
    public Module Train(bool on = true)
    {
        foreach (var (_, m) in NamedModules()) m.Training = on;
        return this;
    }

    /// <summary>Sets evaluation mode (dropout off) on this module and all submodules.</summary>
    public Module Eval() => Train(false);

    /// <summary>Zeroes every parameter's gradient (keeping its storage), or drops it.</summary>
    public void ZeroGrad(bool setToNull = false)
    {
        foreach (var p in Parameters()) p.ZeroGrad(setToNull);
    }

    /// <summary>Total number of parameter elements.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Length);

    /// <summary>A one-line description of this module's own configuration (shown by <see cref="ToString"/>).</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>The module tree, PyTorch style.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Print(sb, 0);
        return sb.ToString();
    }

    private void Print(StringBuilder sb, int indent)
    {
        sb.Append(GetType().Name).Append('(').Append(ExtraRepr());
        if (_modules.Count > 0)
        {
            sb.AppendLine();
            foreach (var (name, m) in _modules)
            {
                sb.Append(' ', indent + 2).Append('(').Append(name).Append("): ");
                m.Print(sb, indent + 2);
                sb.AppendLine();
            }
            sb.Append(' ', indent);
        }
        sb.Append(')');
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    private sealed class BufferSlot(string name, Tensor buffer, bool persistent, string dtype)
    {
        public string Name { get; } = name;
        public Tensor Buffer { get; } = buffer;
        public bool Persistent { get; } = persistent;
        public string Dtype { get; } = dtype;
        public float[]? Expected { get; init; }
        public BufferTolerance Tolerance { get; init; } = BufferTolerance.DtypeRounding;
        public bool Optional { get; init; }
        public bool Present { get; set; } = true;

        /// <summary>A description of the first value that is not the defined one, or null.</summary>
        public string? FirstInvalid(ReadOnlySpan<float> found)
        {
            bool integer = Dtype is not ("F32" or "F64" or "F16" or "BF16");
            for (int i = 0; i < found.Length; i++)
                if (!(integer ? found[i] == Expected![i] : Tolerance.Accepts(found[i], Expected![i])))
                    return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"at index {Index(i)} expected {Expected![i]:R}, found {found[i]:R} ({(integer ? "integers must match exactly" : Tolerance.ToString())})");
            return null;
        }

        private string Index(int flat)
        {
            var shape = Buffer.ShapeSpan;
            if (shape.Length <= 1) return flat.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var idx = new int[shape.Length];
            for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = flat % shape[d]; flat /= shape[d]; }
            return "[" + string.Join(", ", idx) + "]";
        }
    }
}

/// <summary>
/// A module mapping one tensor to one tensor (layers, activations, Sequential). Subclasses implement
/// <see cref="ForwardCore"/>; <see cref="Forward"/> calls it and runs the module's forward hooks around it.
/// </summary>
public abstract class UnaryModule : Module
{
    /// <summary>Applies the module, running its forward hooks (<see cref="Module.RegisterForwardHook"/>) if it has any.</summary>
    public Tensor Forward(Tensor input)
    {
        if (!HasForwardHooks) return ForwardCore(input);
        RunForwardPreHooks(input);
        return RunForwardHooks(input, ForwardCore(input));
    }

    /// <summary>The module's computation (called by <see cref="Forward"/>).</summary>
    protected abstract Tensor ForwardCore(Tensor input);
}

/// <summary>Raised by <see cref="Module.LoadStateDict"/>; lists every missing, unexpected and mismatched key.</summary>
public sealed class StateDictException : Exception
{
    internal StateDictException(string message, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched,
        IReadOnlyList<string>? invalidConstants = null)
        : base(message)
    {
        MissingKeys = missing;
        UnexpectedKeys = unexpected;
        ShapeMismatches = mismatched;
        InvalidConstants = invalidConstants ?? [];
    }

    /// <summary>Keys the module has but the state dict lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys the state dict has but the module lacks.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Keys present on both sides with different shapes.</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    /// <summary>Constant buffers whose loaded values differ from their definition: the key, the first bad index, expected and found.</summary>
    public IReadOnlyList<string> InvalidConstants { get; }
}
