using System.Buffers.Binary;
using System.Text.Json;

namespace Ortho.IO;

/// <summary>
/// A parsed safetensors file: 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (<c>{"name":{"dtype":..,"shape":[..],"data_offsets":[begin,end]},..,"__metadata__":{..}}</c>), then the data.
/// </summary>
/// <remarks>
/// Parsing validates the whole file and throws <see cref="SafeTensorsFormatException"/> on: a header length over
/// 100 MB or past the end of the file, invalid JSON, entries that are not objects, missing or mistyped fields,
/// duplicate names (also duplicate fields or metadata keys), unknown dtypes, negative or overflowing shapes,
/// data_offsets whose size is not element size x product(shape), gaps or overlaps between tensors (sorted by
/// begin they must tile [0, total) exactly), a file length other than 8 + N + total, and non-string metadata.
/// Unknown fields inside a tensor entry are ignored, as the reference implementation does.
/// The file is read into memory whole; entries' <see cref="SafeTensorEntry.Data"/> are slices of that buffer.
/// </remarks>
public sealed class SafeTensorsFile
{
    /// <summary>Largest header accepted: 100 MB (100,000,000 bytes).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    private readonly Dictionary<string, SafeTensorEntry> _byName;

    private SafeTensorsFile(string source, List<SafeTensorEntry> entries, Dictionary<string, string> metadata, long headerLength)
    {
        Source = source;
        Entries = entries;
        Metadata = metadata;
        HeaderLength = headerLength;
        _byName = new Dictionary<string, SafeTensorEntry>(entries.Count, StringComparer.Ordinal);
        foreach (var e in entries) _byName.Add(e.Name, e);
    }

    /// <summary>The file path (or the source name given to <see cref="Parse"/>), used in error messages.</summary>
    public string Source { get; }

    /// <summary>The tensors in the order the header lists them.</summary>
    public IReadOnlyList<SafeTensorEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> string pairs (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The header length N (bytes of JSON including padding); data starts at byte 8 + N.</summary>
    public long HeaderLength { get; }

    /// <summary>The tensor names in header order.</summary>
    public IEnumerable<string> Names => Entries.Select(e => e.Name);

    /// <summary>Number of tensors.</summary>
    public int Count => Entries.Count;

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names the file.</exception>
    public SafeTensorEntry this[string name] =>
        _byName.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"{Source}: no tensor named '{name}'");

    /// <summary>Whether a tensor named <paramref name="name"/> exists.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Looks up a tensor by name.</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out SafeTensorEntry entry) =>
        _byName.TryGetValue(name, out entry);

    /// <summary>Reads and validates the file at <paramref name="path"/>.</summary>
    /// <exception cref="SafeTensorsFormatException">The file is malformed (the message says what and where).</exception>
    public static SafeTensorsFile Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        if (info.Length > Array.MaxLength)
            throw new NotSupportedException($"{path}: {info.Length} bytes; files over {Array.MaxLength} bytes are not supported");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses and validates a whole safetensors file held in memory.</summary>
    /// <param name="file">The file's bytes; the entries keep slices of this memory.</param>
    /// <param name="source">A name for error messages (e.g. the path).</param>
    /// <exception cref="SafeTensorsFormatException">The bytes are not a valid safetensors file.</exception>
    public static SafeTensorsFile Parse(ReadOnlyMemory<byte> file, string source = "<memory>")
    {
        ReadOnlySpan<byte> span = file.Span;
        if (span.Length < 8)
            throw Fail(source, $"file is {span.Length} bytes, too short for the 8-byte header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(span);
        if (n > MaxHeaderBytes)
            throw Fail(source, $"header length {n} exceeds the limit of {MaxHeaderBytes} bytes (100 MB)");
        if (n > (ulong)(span.Length - 8))
            throw Fail(source, $"header length {n} runs past the end of the file: file is {span.Length} bytes, so at most {span.Length - 8} header bytes follow the 8-byte length");
        int headerLength = (int)n;

        var infos = new List<RawInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        ParseHeader(span.Slice(8, headerLength), source, infos, metadata);

        // Sizes must match dtype x shape.
        foreach (var t in infos)
        {
            int size = SafeTensorDtypes.ElementSize(t.Dtype);
            if (size == 0)
                throw Fail(source, $"tensor '{t.Name}': unknown dtype \"{t.Dtype}\" (known: {SafeTensorDtypes.KnownList})");
            long count = 1, bytes;
            try
            {
                foreach (int d in t.Shape) count = checked(count * d);
                bytes = checked(count * size);
            }
            catch (OverflowException)
            {
                throw Fail(source, $"tensor '{t.Name}': shape {ShapeText(t.Shape)} overflows (element count x {size} bytes exceeds 2^63)");
            }
            if (t.End < t.Begin)
                throw Fail(source, $"tensor '{t.Name}': data_offsets [{t.Begin}, {t.End}] end before they begin");
            if (t.End - t.Begin != bytes)
                throw Fail(source, $"tensor '{t.Name}': data_offsets [{t.Begin}, {t.End}] span {t.End - t.Begin} bytes, but dtype {t.Dtype} x shape {ShapeText(t.Shape)} needs {bytes} bytes");
        }

        // Sorted by begin, tensors must tile [0, total) exactly.
        var sorted = infos.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        long expected = 0;
        string? previous = null;
        foreach (var t in sorted)
        {
            if (t.Begin > expected)
                throw Fail(source, $"gap in the data: tensor '{t.Name}' begins at data offset {t.Begin}, but " +
                    (previous == null ? "the first tensor must begin at 0" : $"the previous tensor '{previous}' ends at {expected}") +
                    $" ({t.Begin - expected} unused bytes)");
            if (t.Begin < expected)
                throw Fail(source, $"overlapping tensors: '{t.Name}' data_offsets [{t.Begin}, {t.End}] overlap '{previous}', which ends at {expected}");
            expected = t.End;
            previous = t.Name;
        }

        long dataStart = 8L + headerLength;
        long wanted = dataStart + expected;
        if (span.Length != wanted)
            throw Fail(source, span.Length < wanted
                ? $"file is truncated: it is {span.Length} bytes, but 8 + header {headerLength} + data {expected} = {wanted} bytes are needed" +
                  (previous != null ? $" (last tensor '{previous}' ends at data offset {expected})" : "")
                : $"file has {span.Length - wanted} trailing bytes: it is {span.Length} bytes, but 8 + header {headerLength} + data {expected} = {wanted} bytes were expected");

        var entries = new List<SafeTensorEntry>(infos.Count);
        foreach (var t in infos)
            entries.Add(new SafeTensorEntry(t.Name, t.Dtype, t.Shape, file.Slice((int)(dataStart + t.Begin), (int)(t.End - t.Begin))));
        return new SafeTensorsFile(source, entries, metadata, headerLength);
    }

    private readonly record struct RawInfo(string Name, string Dtype, int[] Shape, long Begin, long End);

    private static void ParseHeader(ReadOnlySpan<byte> header, string source, List<RawInfo> infos, Dictionary<string, string> metadata)
    {
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Fail(source, $"header is not a JSON object (first token: {(reader.TokenType == JsonTokenType.None ? "none" : reader.TokenType.ToString())})");
            while (true)
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.EndObject) break;
                string name = reader.GetString()!;
                if (!names.Add(name))
                    throw Fail(source, $"duplicate entry '{name}' in the header (at header byte {reader.TokenStartIndex})");
                reader.Read();
                if (name == MetadataKey) ParseMetadata(ref reader, source, metadata);
                else infos.Add(ParseTensor(ref reader, source, name));
            }
            if (reader.Read())
                throw Fail(source, $"unexpected content after the header's JSON object (at header byte {reader.TokenStartIndex})");
        }
        catch (JsonException e)
        {
            throw Fail(source, $"header is not valid JSON: {e.Message} (near header byte {reader.BytesConsumed}, file offset {8 + reader.BytesConsumed})", e);
        }
        catch (InvalidOperationException e)
        {
            throw Fail(source, $"header is not valid UTF-8 JSON: {e.Message} (near header byte {reader.BytesConsumed})", e);
        }
    }

    private static void ParseMetadata(ref Utf8JsonReader reader, string source, Dictionary<string, string> metadata)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Fail(source, $"'{MetadataKey}' is a JSON {TokenName(reader.TokenType)}, but must be an object of string values");
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndObject) return;
            string key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                throw Fail(source, $"'{MetadataKey}' value for key '{key}' is a JSON {TokenName(reader.TokenType)}, but metadata values must be strings");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw Fail(source, $"duplicate key '{key}' in '{MetadataKey}'");
        }
    }

    private static RawInfo ParseTensor(ref Utf8JsonReader reader, string source, string name)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Fail(source, $"entry '{name}' is a JSON {TokenName(reader.TokenType)}, but must be an object with dtype, shape and data_offsets");
        string? dtype = null;
        int[]? shape = null;
        long[]? offsets = null;
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndObject) break;
            string field = reader.GetString()!;
            reader.Read();
            switch (field)
            {
                case "dtype":
                    if (dtype != null) throw Fail(source, $"tensor '{name}': duplicate field 'dtype'");
                    if (reader.TokenType != JsonTokenType.String)
                        throw Fail(source, $"tensor '{name}': 'dtype' is a JSON {TokenName(reader.TokenType)}, but must be a string");
                    dtype = reader.GetString()!;
                    break;
                case "shape":
                    if (shape != null) throw Fail(source, $"tensor '{name}': duplicate field 'shape'");
                    var dims = ReadIntegerArray(ref reader, source, name, "shape");
                    shape = new int[dims.Count];
                    for (int i = 0; i < dims.Count; i++)
                    {
                        if (dims[i] < 0) throw Fail(source, $"tensor '{name}': shape [{string.Join(", ", dims)}] has a negative dimension");
                        if (dims[i] > int.MaxValue) throw Fail(source, $"tensor '{name}': shape [{string.Join(", ", dims)}] has a dimension over {int.MaxValue}");
                        shape[i] = (int)dims[i];
                    }
                    break;
                case "data_offsets":
                    if (offsets != null) throw Fail(source, $"tensor '{name}': duplicate field 'data_offsets'");
                    var offs = ReadIntegerArray(ref reader, source, name, "data_offsets");
                    if (offs.Count != 2)
                        throw Fail(source, $"tensor '{name}': data_offsets [{string.Join(", ", offs)}] must have exactly 2 elements [begin, end]");
                    if (offs[0] < 0 || offs[1] < 0)
                        throw Fail(source, $"tensor '{name}': data_offsets [{offs[0]}, {offs[1]}] are negative");
                    offsets = [offs[0], offs[1]];
                    break;
                default:
                    reader.Skip(); // unknown fields are ignored
                    break;
            }
        }
        if (dtype == null) throw Fail(source, $"tensor '{name}': missing field 'dtype'");
        if (shape == null) throw Fail(source, $"tensor '{name}': missing field 'shape'");
        if (offsets == null) throw Fail(source, $"tensor '{name}': missing field 'data_offsets'");
        return new RawInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static List<long> ReadIntegerArray(ref Utf8JsonReader reader, string source, string name, string field)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Fail(source, $"tensor '{name}': '{field}' is a JSON {TokenName(reader.TokenType)}, but must be an array of integers");
        var list = new List<long>();
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndArray) return list;
            if (reader.TokenType != JsonTokenType.Number)
                throw Fail(source, $"tensor '{name}': '{field}' element {list.Count} is a JSON {TokenName(reader.TokenType)}, but must be an integer");
            if (!reader.TryGetInt64(out long v))
            {
                string text = System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
                throw Fail(source, $"tensor '{name}': '{field}' element {list.Count} = {text} is not an integer in the 64-bit range (overflow or fraction)");
            }
            list.Add(v);
        }
    }

    private static string TokenName(JsonTokenType t) => t switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => t.ToString(),
    };

    internal static string ShapeText(int[] shape) => "[" + string.Join(", ", shape) + "]";

    private static SafeTensorsFormatException Fail(string source, string message, Exception? inner = null) =>
        inner == null ? new SafeTensorsFormatException($"{source}: {message}") : new SafeTensorsFormatException($"{source}: {message}", inner);
}
