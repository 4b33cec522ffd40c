using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Ortho.Export.Onnx;

/// <summary>A message that knows how to write its fields (protocol buffers wire format).</summary>
internal interface IProtoMessage
{
    /// <summary>Writes every set field, in field order of the schema (any order is valid on the wire).</summary>
    void WriteTo(ProtoWriter w);
}

/// <summary>
/// The protocol buffers wire format, just what the ONNX messages need: varints (wire type 0), 32-bit floats (type 5)
/// and length-delimited strings, bytes and nested messages (type 2). Repeated scalars are written unpacked, the
/// proto2 default that every parser accepts. A writer without a stream only counts bytes: a nested message's length
/// is counted first and then the message is written, so large tensors are streamed and never copied.
/// </summary>
internal sealed class ProtoWriter
{
    private const int Varint = 0, LengthDelimited = 2, Fixed32 = 5;
    private readonly Stream? _stream;
    private readonly byte[] _scratch = new byte[16];

    /// <summary>A writer onto <paramref name="stream"/>, or a byte counter when it is null.</summary>
    public ProtoWriter(Stream? stream) => _stream = stream;

    /// <summary>Bytes written (or counted) so far.</summary>
    public long Length { get; private set; }

    /// <summary>The encoded size of <paramref name="message"/>.</summary>
    public static long SizeOf(IProtoMessage message)
    {
        var counter = new ProtoWriter(null);
        message.WriteTo(counter);
        return counter.Length;
    }

    /// <summary>An int64 (or int32, or enum) field; negative values take ten bytes, as the format says.</summary>
    public void Int64(int field, long value)
    {
        Tag(field, Varint);
        WriteVarint((ulong)value);
    }

    /// <summary>A float field.</summary>
    public void Float(int field, float value)
    {
        Tag(field, Fixed32);
        BinaryPrimitives.WriteSingleLittleEndian(_scratch, value);
        Raw(_scratch.AsSpan(0, 4));
    }

    /// <summary>A UTF-8 string field; null writes nothing.</summary>
    public void String(int field, string? value)
    {
        if (value is null) return;
        Bytes(field, Encoding.UTF8.GetBytes(value));
    }

    /// <summary>A bytes field.</summary>
    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        Raw(value);
    }

    /// <summary>A bytes field holding <paramref name="values"/> (float32, int64, ...) in little-endian byte order.</summary>
    public void LittleEndian<T>(int field, ReadOnlySpan<T> values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        Tag(field, LengthDelimited);
        WriteVarint((ulong)bytes.Length);
        if (BitConverter.IsLittleEndian)
        {
            Raw(bytes);
            return;
        }
        int size = Unsafe.SizeOf<T>();
        Span<byte> one = stackalloc byte[size];
        for (int i = 0; i < bytes.Length; i += size)
        {
            bytes.Slice(i, size).CopyTo(one);
            one.Reverse();
            Raw(one);
        }
    }

    /// <summary>A top-level message: its fields, without a tag or length.</summary>
    public void Message0(IProtoMessage message) => message.WriteTo(this);

    /// <summary>A nested message field (always written, even when empty).</summary>
    public void Message(int field, IProtoMessage message)
    {
        Tag(field, LengthDelimited);
        WriteVarint((ulong)SizeOf(message));
        message.WriteTo(this);
    }

    private void Tag(int field, int wireType) => WriteVarint((ulong)field << 3 | (uint)wireType);

    private void WriteVarint(ulong value)
    {
        int n = 0;
        while (value >= 0x80)
        {
            _scratch[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _scratch[n++] = (byte)value;
        Raw(_scratch.AsSpan(0, n));
    }

    private void Raw(ReadOnlySpan<byte> bytes)
    {
        _stream?.Write(bytes);
        Length += bytes.Length;
    }
}
