using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Ortho.IO;
using Xunit;

namespace Ortho.Tests.IO;

public class SafeTensorsRoundTripTests
{
    [Fact]
    public void WriteThenReadReturnsTheSameTensorsAndMetadata()
    {
        using var tmp = new TempDirectory();
        string path = tmp.File("model.safetensors");
        float[] a = [1f, -2.5f, 3.25f, float.MaxValue, float.Epsilon, -0f];
        long[] grid = [0, 0, 1, 0, 2, 0, 3, long.MinValue];
        Span<float> spanData = [7f, 8f];
        new SafeTensorsWriter()
            .Add("b.weight", a, [2, 3])
            .AddInt64("b.grid", grid, [4, 2])
            .Add("a.scalar", (ReadOnlySpan<float>)spanData[..1], [])
            .Add("c.empty", Array.Empty<float>(), [0, 5])
            .SetMetadata("step", "42")
            .SetMetadata("config", "{\"lr\": 0.001, \"name\": \"gpt\"}")
            .SetMetadata("note", "ünïcödé / \"quoted\"")
            .Save(path);

        var file = SafeTensorsFile.Read(path);
        // Laid out by element size, largest first (the I64 grid), then in insertion order.
        Assert.Equal(new[] { "b.grid", "b.weight", "a.scalar", "c.empty" }, file.Names);
        Assert.Equal(a, file["b.weight"].ToFloat32());
        Assert.Equal(new[] { 2, 3 }, file["b.weight"].Shape);
        Assert.Equal(grid, file["b.grid"].ToInt64());
        Assert.Equal("I64", file["b.grid"].Dtype);
        Assert.Equal(new[] { 7f }, file["a.scalar"].ToFloat32());
        Assert.Empty(file["a.scalar"].Shape);
        Assert.Equal(1, file["a.scalar"].ElementCount);
        Assert.Empty(file["c.empty"].ToFloat32());
        Assert.Equal(new[] { 0, 5 }, file["c.empty"].Shape);
        Assert.Equal("42", file.Metadata["step"]);
        Assert.Equal("{\"lr\": 0.001, \"name\": \"gpt\"}", file.Metadata["config"]);
        Assert.Equal("ünïcödé / \"quoted\"", file.Metadata["note"]);
        Assert.Equal(0, file.HeaderLength % 8);

        // The header is the compact JSON a plain reader expects, padded with spaces.
        byte[] bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        string headerText = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"b.grid\":{\"dtype\":\"I64\",\"shape\":[4,2],\"data_offsets\":[0,64]},\"b.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[64,88]}", headerText);
        int jsonBytes = Encoding.UTF8.GetByteCount(headerText.TrimEnd(' '));
        Assert.EndsWith("}", headerText.TrimEnd(' '));
        Assert.InRange(n - jsonBytes, 0, 7); // only the padding to a multiple of 8 follows the JSON
        using var doc = JsonDocument.Parse(headerText);
        Assert.Equal("42", doc.RootElement.GetProperty("__metadata__").GetProperty("step").GetString());
        Assert.Equal(8 + n + 24 + 64 + 4, bytes.Length);
    }

    [Fact]
    public void OutputIsDeterministicAndMetadataSorted()
    {
        SafeTensorsWriter Make() => new SafeTensorsWriter()
            .Add("x", new float[] { 1, 2, 3 }, [3])
            .SetMetadata("zeta", "1").SetMetadata("alpha", "2");
        byte[] first = Make().ToArray(), second = Make().ToArray();
        Assert.Equal(first, second);
        string header = Encoding.UTF8.GetString(first, 8, (int)BinaryPrimitives.ReadInt64LittleEndian(first));
        Assert.True(header.IndexOf("alpha", StringComparison.Ordinal) < header.IndexOf("zeta", StringComparison.Ordinal));
    }

    [Fact]
    public void MemoryOverloadReadsDataAtWriteTime()
    {
        float[] storage = [0, 1, 2, 3, 4, 5];
        var writer = new SafeTensorsWriter().Add("slice", storage.AsMemory(2, 3), [3]);
        storage[3] = 42;
        var file = SafeTensorsFile.Parse(writer.ToArray());
        Assert.Equal(new[] { 2f, 42f, 4f }, file["slice"].ToFloat32());
        var into = new float[3];
        file["slice"].CopyToFloat32(into);
        Assert.Equal(new[] { 2f, 42f, 4f }, into);
        Assert.Throws<ArgumentException>(() => file["slice"].CopyToFloat32(new float[4]));
    }

    /// <summary>Every readable dtype converts to float (and integers to long) as the format defines them.</summary>
    [Fact]
    public void AllDtypesConvert()
    {
        var w = new SafeTensorsWriter();
        // F16: 1.5 = 0x3E00, -2 = 0xC000, 65504 = 0x7BFF.
        w.AddRaw("f16", "F16", [3], U16(0x3E00, 0xC000, 0x7BFF));
        // BF16: upper halves of binary32 1.0 (0x3F80), -0.15625 (0xBE20), 3.0 (0x4040).
        w.AddRaw("bf16", "BF16", [3], U16(0x3F80, 0xBE20, 0x4040));
        w.AddRaw("f64", "F64", [2], Bytes(8, b => { BinaryPrimitives.WriteDoubleLittleEndian(b, 0.1); BinaryPrimitives.WriteDoubleLittleEndian(b[8..], -1e300); }, 2));
        w.AddRaw("i32", "I32", [2], Bytes(4, b => { BinaryPrimitives.WriteInt32LittleEndian(b, -7); BinaryPrimitives.WriteInt32LittleEndian(b[4..], int.MaxValue); }, 2));
        w.AddRaw("i16", "I16", [2], Bytes(2, b => { BinaryPrimitives.WriteInt16LittleEndian(b, -300); BinaryPrimitives.WriteInt16LittleEndian(b[2..], 300); }, 2));
        w.AddRaw("u16", "U16", [1], U16(65535));
        w.AddRaw("u32", "U32", [1], Bytes(4, b => BinaryPrimitives.WriteUInt32LittleEndian(b, 4000000000), 1));
        w.AddRaw("u64", "U64", [1], Bytes(8, b => BinaryPrimitives.WriteUInt64LittleEndian(b, ulong.MaxValue), 1));
        w.AddRaw("i8", "I8", [2], [0xFF, 0x05]);
        w.AddRaw("u8", "U8", [3], [0, 128, 255]);
        w.AddRaw("bool", "BOOL", [3], [1, 0, 1]);
        w.AddRaw("f8", "F8_E4M3", [1], [0x38]);
        var f = SafeTensorsFile.Parse(w.ToArray());

        Assert.Equal(new[] { 1.5f, -2f, 65504f }, f["f16"].ToFloat32());
        Assert.Equal(new[] { 1f, -0.15625f, 3f }, f["bf16"].ToFloat32());
        Assert.Equal(new[] { 0.1f, float.NegativeInfinity }, f["f64"].ToFloat32());
        Assert.Equal(new[] { -7f, 2147483648f }, f["i32"].ToFloat32());
        Assert.Equal(new long[] { -7, int.MaxValue }, f["i32"].ToInt64());
        Assert.Equal(new long[] { -300, 300 }, f["i16"].ToInt64());
        Assert.Equal(new long[] { 65535 }, f["u16"].ToInt64());
        Assert.Equal(new long[] { 4000000000 }, f["u32"].ToInt64());
        Assert.Equal(new[] { 18446744073709551615f }, f["u64"].ToFloat32());
        Assert.Throws<OverflowException>(() => f["u64"].ToInt64());
        Assert.Equal(new long[] { -1, 5 }, f["i8"].ToInt64());
        Assert.Equal(new[] { 0f, 128f, 255f }, f["u8"].ToFloat32());
        Assert.Equal(new long[] { 1, 0, 1 }, f["bool"].ToInt64());
        Assert.Equal(new[] { 1f, 0f, 1f }, f["bool"].ToFloat32());
        Assert.Throws<NotSupportedException>(() => f["f8"].ToFloat32());
        Assert.Throws<InvalidOperationException>(() => f["f16"].ToInt64());
        Assert.Throws<InvalidOperationException>(() => f["bf16"].ToInt64());
    }

    [Fact]
    public void WriterRejectsBadArguments()
    {
        var w = new SafeTensorsWriter().Add("a", new float[] { 1, 2 }, [2]);
        Assert.Contains("already added", Assert.Throws<ArgumentException>(() => w.Add("a", new float[] { 1 }, [1])).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => w.Add("__metadata__", new float[] { 1 }, [1])).Message);
        Assert.Contains("6 elements", Assert.Throws<ArgumentException>(() => w.Add("b", new float[5], [2, 3])).Message);
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => w.Add("c", new float[0], [-1, 0])).Message);
        Assert.Contains("unknown dtype", Assert.Throws<ArgumentException>(() => w.AddRaw("d", "F31", [1], [0, 0, 0, 0])).Message);
        Assert.Contains("whole number", Assert.Throws<ArgumentException>(() => w.AddRaw("e", "F32", [1], [0, 0, 0])).Message);
        Assert.Equal(1, w.Count); // failed adds leave nothing behind
        Assert.Equal(new[] { "a" }, SafeTensorsFile.Parse(w.ToArray()).Names);
    }

    private static byte[] U16(params ushort[] values)
    {
        var b = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), values[i]);
        return b;
    }

    private delegate void Filler(Span<byte> bytes);

    private static byte[] Bytes(int size, Filler fill, int count)
    {
        var b = new byte[size * count];
        fill(b);
        return b;
    }
}
