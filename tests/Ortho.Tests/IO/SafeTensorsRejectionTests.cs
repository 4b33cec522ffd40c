using System.Buffers.Binary;
using System.Text;
using Ortho.IO;
using Xunit;

namespace Ortho.Tests.IO;

/// <summary>Each validation rule of the reader, with a crafted file that breaks it.</summary>
public sealed class SafeTensorsRejectionTests : IDisposable
{
    private readonly TempDirectory _tmp = new();
    private int _files;

    public void Dispose() => _tmp.Dispose();

    /// <summary>Writes an 8-byte length (the header's, unless overridden), the header, and dataBytes bytes.</summary>
    private string Craft(string header, long dataBytes, ulong? declaredLength = null)
    {
        byte[] h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        for (long i = 0; i < dataBytes; i++) bytes[8 + h.Length + i] = (byte)(i * 7);
        string path = _tmp.File($"crafted{_files++}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void Rejects(string path, params string[] fragments)
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(path));
        Assert.IsAssignableFrom<IOException>(e);
        Assert.Contains(path, e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
    }

    private const string A4 = "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";

    [Fact]
    public void AcceptsTheCraftedBaseline()
    {
        var f = SafeTensorsFile.Read(Craft("{" + A4 + "}   ", 4));
        Assert.Equal(new[] { "a" }, f.Names);
        // Unknown fields in an entry are ignored, as the reference implementation does.
        Assert.Single(SafeTensorsFile.Read(Craft("{\"a\":{\"dtype\":\"F32\",\"extra\":{\"x\":[1]},\"shape\":[1],\"data_offsets\":[0,4]}}", 4)).Entries);
        // A file with no tensors at all.
        Assert.Empty(SafeTensorsFile.Read(Craft("{}      ", 0)).Entries);
    }

    [Fact]
    public void RejectsFileShorterThanTheLengthPrefix()
    {
        string path = _tmp.File("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Rejects(path, "3 bytes", "too short");
    }

    [Fact]
    public void RejectsHeaderOver100MB() =>
        Rejects(Craft("{" + A4 + "}", 4, declaredLength: 100_000_001), "header length 100000001", "100 MB");

    [Fact]
    public void RejectsHeaderLongerThanTheFile() =>
        Rejects(Craft("{" + A4 + "}", 4, declaredLength: 5000), "header length 5000", "past the end of the file");

    [Fact]
    public void RejectsInvalidJson()
    {
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",", 0), "not valid JSON");
        Rejects(Craft("{" + A4 + ",}", 4), "not valid JSON");
        Rejects(Craft("{" + A4 + "} x", 4), "not valid JSON");
        Rejects(Craft("{" + A4 + "}{}", 4), "not valid JSON");
    }

    [Fact]
    public void RejectsHeaderThatIsNotAnObject() => Rejects(Craft("[1, 2]  ", 0), "not a JSON object");

    [Fact]
    public void RejectsNonObjectEntries()
    {
        Rejects(Craft("{\"a\":5}", 0), "entry 'a'", "number", "must be an object");
        Rejects(Craft("{\"a\":[0,4]}", 0), "entry 'a'", "array");
        Rejects(Craft("{\"__metadata__\":\"x\"}", 0), "__metadata__", "must be an object");
    }

    [Theory]
    [InlineData("dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}")]
    [InlineData("shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}")]
    [InlineData("data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}")]
    public void RejectsMissingFields(string field, string header) =>
        Rejects(Craft(header, 4), "tensor 'a'", $"missing field '{field}'");

    [Fact]
    public void RejectsMistypedFields()
    {
        Rejects(Craft("{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a'", "'dtype'", "must be a string");
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", 4), "tensor 'a'", "'shape'", "array of integers");
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4), "tensor 'a'", "'shape' element 0", "string");
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4), "tensor 'a'", "1.5", "not an integer");
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4), "tensor 'a'", "exactly 2 elements");
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "tensor 'a'", "exactly 2 elements");
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4), "tensor 'a'", "negative");
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}", 4), "tensor 'a'", "99999999999999999999", "64-bit range");
    }

    [Fact]
    public void RejectsDuplicateNames()
    {
        Rejects(Craft("{" + A4 + "," + A4 + "}", 4), "duplicate entry 'a'");
        Rejects(Craft("{\"__metadata__\":{},\"__metadata__\":{}}", 0), "duplicate entry '__metadata__'");
    }

    [Fact]
    public void RejectsDuplicateFieldsAndMetadataKeys()
    {
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a'", "duplicate field 'dtype'");
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "duplicate field 'shape'");
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"data_offsets\":[0,4]}}", 4), "duplicate field 'data_offsets'");
        Rejects(Craft("{" + A4 + ",\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 4), "duplicate key 'k'");
    }

    [Fact]
    public void RejectsUnknownDtype() =>
        Rejects(Craft("{\"a\":{\"dtype\":\"F31\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a'", "unknown dtype \"F31\"");

    [Fact]
    public void RejectsNegativeAndOverflowingShapes()
    {
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "tensor 'a'", "negative dimension");
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296],\"data_offsets\":[0,4]}}", 4), "tensor 'a'", "over 2147483647");
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,4]}}", 4), "tensor 'a'", "overflows");
        Rejects(Craft("{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2],\"data_offsets\":[0,4]}}", 4), "tensor 'a'", "overflows");
    }

    [Fact]
    public void RejectsSizeThatDoesNotMatchDtypeTimesShape()
    {
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4), "tensor 'a'", "[0, 4]", "span 4 bytes", "needs 8 bytes");
        Rejects(Craft("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a'", "I64", "needs 8 bytes");
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8), "tensor 'a'", "[8, 4]", "end before they begin");
    }

    [Fact]
    public void RejectsGapsAndOverlaps()
    {
        const string b = "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}";
        Rejects(Craft("{" + A4 + "," + b + "}", 12), "gap", "'b' begins at data offset 8", "'a' ends at 4", "4 unused bytes");
        Rejects(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "gap", "'a' begins at data offset 4", "must begin at 0");
        const string c = "\"c\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        const string d = "\"d\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}";
        Rejects(Craft("{" + d + "," + c + "}", 8), "overlap", "'d'", "[4, 8]", "'c'", "ends at 8");
        // Two tensors at the same offsets (tied tensors must be stored once).
        Rejects(Craft("{" + A4 + ",\"a2\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "overlap", "'a2'", "'a'");
    }

    [Fact]
    public void RejectsTruncatedFilesAndTrailingBytes()
    {
        const string b = "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}";
        Rejects(Craft("{" + A4 + "," + b + "}", 6), "truncated", "'b' ends at data offset 8");
        Rejects(Craft("{" + A4 + "," + b + "}", 11), "3 trailing bytes");
        Rejects(Craft("{}", 1), "1 trailing bytes");
    }

    [Fact]
    public void RejectsNonStringMetadata()
    {
        Rejects(Craft("{" + A4 + ",\"__metadata__\":{\"step\":42}}", 4), "__metadata__", "'step'", "number", "must be strings");
        Rejects(Craft("{\"__metadata__\":{\"cfg\":{\"lr\":\"1\"}}}", 0), "'cfg'", "object", "must be strings");
        Rejects(Craft("{\"__metadata__\":{\"flag\":null}}", 0), "'flag'", "null");
    }

    [Fact]
    public void RejectsInvalidUtf8InHeader()
    {
        string path = Craft("{\"a\u00e9\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        byte[] bytes = File.ReadAllBytes(path);
        int at = Array.IndexOf(bytes, (byte)0xC3);
        bytes[at] = 0xFF; // not a UTF-8 lead byte
        File.WriteAllBytes(path, bytes);
        Rejects(path, "header");
    }
}
