namespace Ortho.Export.Onnx;

// The ONNX messages the exporter writes, with the field numbers of onnx.proto (IR version 8 and later). Only the
// fields Ortho fills are modelled.

/// <summary>TensorProto.DataType values used here.</summary>
internal enum OnnxDataType
{
    Float = 1,
    Int64 = 7,
}

/// <summary>ModelProto.</summary>
internal sealed class ModelProto : IProtoMessage
{
    public long IrVersion;
    public List<(string Domain, long Version)> OpsetImport = [];
    public string? ProducerName, ProducerVersion, Domain, DocString;
    public long ModelVersion;
    public required GraphProto Graph;
    public List<KeyValuePair<string, string>> MetadataProps = [];

    public void WriteTo(ProtoWriter w)
    {
        w.Int64(1, IrVersion);
        w.String(2, ProducerName);
        w.String(3, ProducerVersion);
        w.String(4, Domain);
        w.Int64(5, ModelVersion);
        w.String(6, DocString);
        w.Message(7, Graph);
        foreach (var (domain, version) in OpsetImport) w.Message(8, new OperatorSetIdProto(domain, version));
        foreach (var kv in MetadataProps) w.Message(14, new StringStringEntryProto(kv.Key, kv.Value));
    }
}

/// <summary>OperatorSetIdProto: domain "" is the default ai.onnx domain.</summary>
internal sealed record OperatorSetIdProto(string Domain, long Version) : IProtoMessage
{
    public void WriteTo(ProtoWriter w)
    {
        w.String(1, Domain);
        w.Int64(2, Version);
    }
}

/// <summary>StringStringEntryProto (metadata_props).</summary>
internal sealed record StringStringEntryProto(string Key, string Value) : IProtoMessage
{
    public void WriteTo(ProtoWriter w)
    {
        w.String(1, Key);
        w.String(2, Value);
    }
}

/// <summary>GraphProto.</summary>
internal sealed class GraphProto : IProtoMessage
{
    public List<NodeProto> Nodes = [];
    public string Name = "";
    public List<TensorProto> Initializers = [];
    public string? DocString;
    public List<ValueInfoProto> Inputs = [], Outputs = [];

    public void WriteTo(ProtoWriter w)
    {
        foreach (var n in Nodes) w.Message(1, n);
        w.String(2, Name);
        foreach (var t in Initializers) w.Message(5, t);
        w.String(10, DocString);
        foreach (var i in Inputs) w.Message(11, i);
        foreach (var o in Outputs) w.Message(12, o);
    }
}

/// <summary>NodeProto.</summary>
internal sealed class NodeProto : IProtoMessage
{
    public List<string> Inputs = [], Outputs = [];
    public string? Name;
    public required string OpType;
    public string? Domain;
    public List<OnnxAttribute> Attributes = [];

    public void WriteTo(ProtoWriter w)
    {
        foreach (var i in Inputs) w.String(1, i);
        foreach (var o in Outputs) w.String(2, o);
        w.String(3, Name);
        w.String(4, OpType);
        foreach (var a in Attributes) w.Message(5, a);
        w.String(7, Domain);
    }
}

/// <summary>TensorProto with its values as raw_data (little-endian), float32 or int64.</summary>
internal sealed class TensorProto : IProtoMessage
{
    public required string Name;
    public required long[] Dims;
    public float[]? Floats;
    public long[]? Int64s;

    public OnnxDataType DataType => Floats != null ? OnnxDataType.Float : OnnxDataType.Int64;

    public void WriteTo(ProtoWriter w)
    {
        foreach (long d in Dims) w.Int64(1, d);
        w.Int64(2, (long)DataType);
        w.String(8, Name);
        if (Floats != null) w.LittleEndian<float>(9, Floats);
        else w.LittleEndian<long>(9, Int64s);
    }
}

/// <summary>ValueInfoProto of a tensor: name, element type and shape (a dimension is a number or a symbolic name).</summary>
internal sealed class ValueInfoProto : IProtoMessage
{
    public required string Name;
    public required OnnxDataType ElemType;
    public required OnnxDim[] Shape;
    public string? DocString;

    public void WriteTo(ProtoWriter w)
    {
        w.String(1, Name);
        w.Message(2, new TypeProto(ElemType, Shape));
        w.String(3, DocString);
    }

    // TypeProto { tensor_type = 1: TypeProto.Tensor { elem_type = 1, shape = 2: TensorShapeProto { dim = 1 } } }.
    private sealed record TypeProto(OnnxDataType ElemType, OnnxDim[] Shape) : IProtoMessage
    {
        public void WriteTo(ProtoWriter w) => w.Message(1, new TensorType(ElemType, Shape));
    }

    private sealed record TensorType(OnnxDataType ElemType, OnnxDim[] Shape) : IProtoMessage
    {
        public void WriteTo(ProtoWriter w)
        {
            w.Int64(1, (long)ElemType);
            w.Message(2, new TensorShape(Shape));
        }
    }

    private sealed record TensorShape(OnnxDim[] Dims) : IProtoMessage
    {
        public void WriteTo(ProtoWriter w)
        {
            foreach (var d in Dims) w.Message(1, d);
        }
    }
}

/// <summary>A dimension of a graph input or output: a fixed size, or a symbolic name (e.g. "batch") for a size chosen at run time.</summary>
internal readonly record struct OnnxDim : IProtoMessage
{
    /// <summary>A fixed size.</summary>
    public OnnxDim(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        Value = value;
    }

    /// <summary>A symbolic size, named <paramref name="param"/>.</summary>
    public OnnxDim(string param)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(param);
        Param = param;
    }

    /// <summary>The fixed size (when <see cref="Param"/> is null).</summary>
    public long Value { get; }

    /// <summary>The symbolic name, or null for a fixed size.</summary>
    public string? Param { get; }

    /// <summary>A fixed size.</summary>
    public static implicit operator OnnxDim(long value) => new(value);

    /// <summary>A symbolic size.</summary>
    public static implicit operator OnnxDim(string param) => new(param);

    /// <inheritdoc/>
    public override string ToString() => Param ?? Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    void IProtoMessage.WriteTo(ProtoWriter w)
    {
        if (Param != null) w.String(2, Param);
        else w.Int64(1, Value);
    }
}
