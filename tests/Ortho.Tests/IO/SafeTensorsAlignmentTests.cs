using System.Buffers.Binary;
using System.Text.Json;
using Ortho.Activations;
using Ortho.IO;
using Ortho.Models;
using Xunit;

namespace Ortho.Tests.IO;

/// <summary>
/// Files Ortho writes keep every tensor aligned to its element size (8 bytes for the I64 buffers) with no gaps, as the
/// reference implementation lays them out, and model files carry <c>"format": "pt"</c>.
/// </summary>
public class SafeTensorsAlignmentTests
{
    /// <summary>Absolute file offset and element size of every tensor, from the raw header.</summary>
    private static List<(string Name, long Offset, int Size)> Layout(byte[] bytes)
    {
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var list = new List<(string, long, int)>();
        foreach (var p in doc.RootElement.EnumerateObject())
            if (p.Name != "__metadata__")
                list.Add((p.Name, 8 + n + p.Value.GetProperty("data_offsets")[0].GetInt64(), SafeTensorDtypes.ElementSize(p.Value.GetProperty("dtype").GetString()!)));
        return list;
    }

    [Theory]
    [InlineData("hermite:4")]       // 5 coefficients and 15 coeffs (odd F32 lengths) next to I64 grids
    [InlineData("hermite:5+clamp")] // 0-dim lim_val
    [InlineData("tropical:4")]
    [InlineData("fourier:3")]
    public void EveryTensorOfAModelFileIsAlignedToItsElementSize(string activation)
    {
        var gpt = new Gpt(new GptConfig(33, 8, 2, 2, 8, activation), new Rng(1));
        using var tmp = new TempDirectory();
        string path = tmp.File("m.safetensors");
        StateDictFile.Save(gpt, path);
        var bytes = File.ReadAllBytes(path);
        var layout = Layout(bytes);
        Assert.Equal(gpt.StateDict().Count, layout.Count);
        foreach (var (name, offset, size) in layout)
            Assert.True(offset % size == 0, $"{name} starts at file offset {offset}, not a multiple of its element size {size}");
        Assert.Contains(layout, t => t.Size == 8 || !activation.StartsWith("hermite", StringComparison.Ordinal));
        Assert.All(layout.Where(t => t.Size == 8), t => Assert.Equal(0, t.Offset % 8));
        var file = SafeTensorsFile.Read(path); // no gaps: Ortho's strict reader (and the reference's) accepts it
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void AnI64TensorAddedAfterAnOddLengthF32TensorIsStillAligned()
    {
        var bytes = new SafeTensorsWriter()
            .Add("a", new float[3], [3])
            .AddInt64("b", [1, 2, 3], [3])
            .Add("c", new float[1], [])
            .AddRaw("d", "F16", [3], new byte[6])
            .AddRaw("e", "U8", [1], new byte[1])
            .AddRaw("f", "F64", [1], new byte[8])
            .ToArray();
        var layout = Layout(bytes);
        Assert.Equal(["b", "f", "a", "c", "d", "e"], layout.Select(t => t.Name)); // by element size, then as added
        foreach (var (name, offset, size) in layout) Assert.True(offset % size == 0, name);
        Assert.Equal(6, SafeTensorsFile.Parse(bytes).Count);
    }

    [Fact]
    public void CallersMetadataCanSetAnotherFormat()
    {
        using var tmp = new TempDirectory();
        var act = new HermiteActivation(3);
        StateDictFile.Save(act, tmp.File("a.safetensors"));
        Assert.Equal("pt", SafeTensorsFile.Read(tmp.File("a.safetensors")).Metadata["format"]);
        StateDictFile.Save(act, tmp.File("b.safetensors"), [new("format", "other")]);
        Assert.Equal("other", SafeTensorsFile.Read(tmp.File("b.safetensors")).Metadata["format"]);
    }
}
