using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Ortho.IO;

/// <summary>
/// Builds a safetensors file from named arrays and writes it (atomically with <see cref="Save"/>).
/// </summary>
/// <remarks>
/// <para>Output is deterministic. Every tensor's data is aligned to its element size, as zero-copy readers (memory-mapped
/// safetensors, <c>torch.frombuffer</c>) need: the header is compact JSON padded with spaces to a multiple of 8 bytes, so
/// the data starts 8-byte aligned, and the tensors are laid out by element size, largest first (8-byte dtypes such as
/// the I64 buffers, then F32, ...), as the reference implementation does; the format allows no gaps between tensors,
/// so this ordering is what aligns them. Within one element size tensors keep the order they were added in (PyTorch's
/// state-dict order); the header lists them in data order, with <c>__metadata__</c> last and its keys in ordinal
/// order.</para>
/// <para>The <c>float[]</c>, <c>long[]</c> and <see cref="ReadOnlyMemory{T}"/> overloads keep a reference and read the
/// data when the file is written; the span overloads copy at once.</para>
/// <para>Tied tensors (one storage under two names, e.g. a GPT's <c>lm_head.weight</c> and <c>wte.weight</c>) are
/// stored once: the caller adds only one of the names, as PyTorch peers do, and re-ties them on load.</para>
/// </remarks>
public sealed class SafeTensorsWriter
{
    private readonly List<Item> _items = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, string> _metadata = new(StringComparer.Ordinal);

    private sealed record Item(string Name, string Dtype, int[] Shape, long Bytes, ReadOnlyMemory<float> F32, ReadOnlyMemory<long> I64, ReadOnlyMemory<byte> Raw);

    /// <summary>Number of tensors added so far.</summary>
    public int Count => _items.Count;

    /// <summary>The metadata written under <c>__metadata__</c> (ordinal key order).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    /// <summary>Adds a float32 tensor; <paramref name="data"/> is read when the file is written.</summary>
    public SafeTensorsWriter Add(string name, float[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Add(name, (ReadOnlyMemory<float>)data, shape);
    }

    /// <summary>Adds a float32 tensor; <paramref name="data"/> is read when the file is written.</summary>
    public SafeTensorsWriter Add(string name, ReadOnlyMemory<float> data, int[] shape)
    {
        long count = Check(name, shape, data.Length, SafeTensorDtypes.F32);
        _items.Add(new Item(name, SafeTensorDtypes.F32, (int[])shape.Clone(), count * 4, data, default, default));
        return this;
    }

    /// <summary>Adds a float32 tensor, copying <paramref name="data"/> now.</summary>
    public SafeTensorsWriter Add(string name, ReadOnlySpan<float> data, int[] shape) => Add(name, (ReadOnlyMemory<float>)data.ToArray(), shape);

    /// <summary>Adds an int64 tensor (e.g. index buffers); <paramref name="data"/> is read when the file is written.</summary>
    public SafeTensorsWriter AddInt64(string name, long[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        return AddInt64(name, (ReadOnlyMemory<long>)data, shape);
    }

    /// <summary>Adds an int64 tensor; <paramref name="data"/> is read when the file is written.</summary>
    public SafeTensorsWriter AddInt64(string name, ReadOnlyMemory<long> data, int[] shape)
    {
        long count = Check(name, shape, data.Length, SafeTensorDtypes.I64);
        _items.Add(new Item(name, SafeTensorDtypes.I64, (int[])shape.Clone(), count * 8, default, data, default));
        return this;
    }

    /// <summary>Adds an int64 tensor, copying <paramref name="data"/> now.</summary>
    public SafeTensorsWriter AddInt64(string name, ReadOnlySpan<long> data, int[] shape) => AddInt64(name, (ReadOnlyMemory<long>)data.ToArray(), shape);

    /// <summary>
    /// Adds a tensor of any known dtype from its raw little-endian bytes (copied now), e.g. to copy an entry of
    /// another file unchanged. The byte count must be the dtype's element size x product(shape).
    /// </summary>
    public SafeTensorsWriter AddRaw(string name, string dtype, int[] shape, ReadOnlySpan<byte> littleEndianData)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        int size = SafeTensorDtypes.ElementSize(dtype);
        if (size == 0) throw new ArgumentException($"unknown dtype \"{dtype}\" (known: {SafeTensorDtypes.KnownList})", nameof(dtype));
        if (littleEndianData.Length % size != 0)
            throw new ArgumentException($"tensor '{name}': {littleEndianData.Length} bytes is not a whole number of {dtype} elements", nameof(littleEndianData));
        long count = Check(name, shape, littleEndianData.Length / size, dtype);
        _items.Add(new Item(name, dtype, (int[])shape.Clone(), count * size, default, default, littleEndianData.ToArray()));
        return this;
    }

    /// <summary>Adds a copy of an entry read from a file, under its own name or <paramref name="rename"/>.</summary>
    public SafeTensorsWriter Add(SafeTensorEntry entry, string? rename = null)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return AddRaw(rename ?? entry.Name, entry.Dtype, entry.Shape, entry.Data.Span);
    }

    /// <summary>Sets a metadata pair (replacing an earlier value for the same key).</summary>
    public SafeTensorsWriter SetMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
        return this;
    }

    /// <summary>Sets every pair of <paramref name="metadata"/>.</summary>
    public SafeTensorsWriter SetMetadata(IEnumerable<KeyValuePair<string, string>> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        foreach (var kv in metadata) SetMetadata(kv.Key, kv.Value);
        return this;
    }

    /// <summary>Writes the file atomically (temporary file in the same directory, flushed to disk, then renamed over <paramref name="path"/>).</summary>
    public void Save(string path) => AtomicFile.Write(path, WriteTo);

    /// <summary>Writes the whole file to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] header = BuildHeader();
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var item in Layout())
        {
            if (item.Dtype == SafeTensorDtypes.F32 && item.Raw.IsEmpty) WriteLittleEndian(stream, item.F32.Span);
            else if (item.Dtype == SafeTensorDtypes.I64 && item.Raw.IsEmpty) WriteLittleEndian(stream, item.I64.Span);
            else stream.Write(item.Raw.Span);
        }
    }

    /// <summary>The whole file as a byte array.</summary>
    public byte[] ToArray()
    {
        using var ms = new MemoryStream();
        WriteTo(ms);
        return ms.ToArray();
    }

    private byte[] BuildHeader()
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            long offset = 0;
            foreach (var item in Layout())
            {
                w.WriteStartObject(item.Name);
                w.WriteString("dtype", item.Dtype);
                w.WriteStartArray("shape");
                foreach (int d in item.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + item.Bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += item.Bytes;
            }
            if (_metadata.Count > 0)
            {
                w.WriteStartObject("__metadata__");
                foreach (var kv in _metadata) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int pad = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < pad; i++) buffer.WriteByte((byte)' ');
        if (buffer.Length > SafeTensorsFile.MaxHeaderBytes)
            throw new InvalidOperationException($"safetensors header would be {buffer.Length} bytes, over the {SafeTensorsFile.MaxHeaderBytes}-byte limit readers accept");
        return buffer.ToArray();
    }

    // Largest element size first (stable): every tensor starts at a multiple of its element size.
    private IEnumerable<Item> Layout() => _items.OrderByDescending(i => SafeTensorDtypes.ElementSize(i.Dtype));

    private long Check(string name, int[] shape, long length, string dtype)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor", nameof(name));
        if (_names.Contains(name)) throw new ArgumentException($"tensor '{name}' was already added (tied tensors are stored once)", nameof(name));
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}': shape {SafeTensorsFile.ShapeText(shape)} has a negative dimension", nameof(shape));
            count = checked(count * d);
        }
        if (count != length)
            throw new ArgumentException($"tensor '{name}': shape {SafeTensorsFile.ShapeText(shape)} has {count} elements, but {length} {dtype} values were given", nameof(shape));
        _names.Add(name);
        return count;
    }

    private static void WriteLittleEndian<T>(Stream stream, ReadOnlySpan<T> data) where T : unmanaged
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data));
            return;
        }
        // Big-endian hosts: swap each element's bytes.
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        byte[] tmp = MemoryMarshal.AsBytes(data).ToArray();
        for (int i = 0; i < tmp.Length; i += size) tmp.AsSpan(i, size).Reverse();
        stream.Write(tmp);
    }
}
