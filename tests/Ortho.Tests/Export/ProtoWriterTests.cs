using Ortho.Export.Onnx;
using Xunit;

namespace Ortho.Tests.Export;

/// <summary>The wire format against hand-encoded bytes (the protocol buffers encoding guide's examples).</summary>
public class ProtoWriterTests
{
    private static string Hex(Action<ProtoWriter> write)
    {
        var ms = new MemoryStream();
        var w = new ProtoWriter(ms);
        write(w);
        Assert.Equal(ms.Length, w.Length);
        return Convert.ToHexString(ms.ToArray());
    }

    [Theory]
    [InlineData(1, 150L, "089601")]
    [InlineData(1, 0L, "0800")]
    [InlineData(2, 1L, "1001")]
    [InlineData(1, -1L, "08FFFFFFFFFFFFFFFFFF01")]
    [InlineData(20, 7L, "A00107")]
    public void Varints(int field, long value, string hex) => Assert.Equal(hex, Hex(w => w.Int64(field, value)));

    [Fact]
    public void StringsFloatsBytes()
    {
        Assert.Equal("120774657374696E67", Hex(w => w.String(2, "testing")));
        Assert.Equal("", Hex(w => w.String(2, null)));
        Assert.Equal("150000803F", Hex(w => w.Float(2, 1f)));
        Assert.Equal("4A080000803F000000C0", Hex(w => w.LittleEndian<float>(9, [1f, -2f])));
        Assert.Equal("4A080300000000000000", Hex(w => w.LittleEndian<long>(9, [3L])));
    }

    [Fact]
    public void NestedMessagesArePrefixedWithTheirLength()
    {
        // OperatorSetIdProto { domain = "", version = 20 } inside field 8: 42 04 0A 00 10 14.
        Assert.Equal("42040A001014", Hex(w => w.Message(8, new OperatorSetIdProto("", 20))));
        Assert.Equal(4, ProtoWriter.SizeOf(new OperatorSetIdProto("", 20)));
    }
}
