namespace Ortho.Export.Onnx;

/// <summary>A node attribute (ONNX AttributeProto): an int, a float, a string, or a list of ints or floats.</summary>
public sealed class OnnxAttribute : IProtoMessage
{
    // AttributeProto.AttributeType values.
    private const int FloatType = 1, IntType = 2, StringType = 3, FloatsType = 6, IntsType = 7;

    private readonly int _type;
    private readonly long _int;
    private readonly float _float;
    private readonly string? _string;
    private readonly long[]? _ints;
    private readonly float[]? _floats;

    private OnnxAttribute(string name, int type, long i = 0, float f = 0, string? s = null, long[]? ints = null, float[]? floats = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        _type = type;
        _int = i;
        _float = f;
        _string = s;
        _ints = ints;
        _floats = floats;
    }

    /// <summary>The attribute's name, e.g. "axis".</summary>
    public string Name { get; }

    /// <summary>An integer attribute.</summary>
    public static OnnxAttribute Int(string name, long value) => new(name, IntType, i: value);

    /// <summary>A float attribute.</summary>
    public static OnnxAttribute Float(string name, float value) => new(name, FloatType, f: value);

    /// <summary>A string attribute.</summary>
    public static OnnxAttribute String(string name, string value) => new(name, StringType, s: value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>A list-of-integers attribute.</summary>
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, IntsType, ints: [.. values]);

    /// <summary>A list-of-floats attribute.</summary>
    public static OnnxAttribute Floats(string name, params float[] values) => new(name, FloatsType, floats: [.. values]);

    void IProtoMessage.WriteTo(ProtoWriter w)
    {
        w.String(1, Name);
        switch (_type)
        {
            case FloatType: w.Float(2, _float); break;
            case IntType: w.Int64(3, _int); break;
            case StringType: w.String(4, _string); break;
            case FloatsType: foreach (float f in _floats!) w.Float(7, f); break;
            case IntsType: foreach (long v in _ints!) w.Int64(8, v); break;
        }
        w.Int64(20, _type);
    }
}
