using System.Buffers.Binary;
using System.Text.Json;
using Ortho.IO;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.IO;

/// <summary>Reads the peer-written safetensors fixtures and checks them against an independent parse.</summary>
public class SafeTensorsFixtureTests
{
    public static IEnumerable<object[]> SafeTensorsFixtures() =>
        Fixtures.Files("*.safetensors").Select(f => new object[] { Path.GetFileName(f) });

    /// <summary>Every tensor of every fixture file: names, dtypes, shapes and values match a plain JSON + byte read of the file.</summary>
    [Theory]
    [MemberData(nameof(SafeTensorsFixtures))]
    public void EveryFixtureMatchesAnIndependentParse(string fileName)
    {
        string path = Path.Combine(Fixtures.Directory, fileName);
        byte[] bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        long dataStart = 8 + n;

        var file = SafeTensorsFile.Read(path);
        var expectedNames = header.RootElement.EnumerateObject().Select(p => p.Name).Where(x => x != "__metadata__").ToArray();
        Assert.Equal(expectedNames, file.Names.ToArray());
        Assert.Equal(n, file.HeaderLength);

        foreach (var prop in header.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                var meta = prop.Value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
                Assert.Equal(meta.OrderBy(k => k.Key), file.Metadata.OrderBy(k => k.Key));
                continue;
            }
            var e = file[prop.Name];
            string dtype = prop.Value.GetProperty("dtype").GetString()!;
            var shape = prop.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var offs = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            Assert.Equal(dtype, e.Dtype);
            Assert.Equal(shape, e.Shape);
            Assert.Equal(offs[1] - offs[0], e.Data.Length);
            var raw = bytes.AsSpan((int)(dataStart + offs[0]), (int)(offs[1] - offs[0]));
            Assert.True(raw.SequenceEqual(e.Data.Span), $"{prop.Name}: data bytes differ");
            switch (dtype)
            {
                case "F32":
                {
                    var expected = new float[raw.Length / 4];
                    for (int i = 0; i < expected.Length; i++) expected[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                    Assert.Equal(expected, e.ToFloat32());
                    break;
                }
                case "I64":
                {
                    var expected = new long[raw.Length / 8];
                    for (int i = 0; i < expected.Length; i++) expected[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]);
                    Assert.Equal(expected, e.ToInt64());
                    Assert.Equal(expected.Select(v => (float)v).ToArray(), e.ToFloat32());
                    break;
                }
            }
        }
    }

    /// <summary>
    /// The GPT fixture file: from the fixture set in use, else from the repository's copy (an ORTHO_FIXTURES set may
    /// lack it); the repository always has it, so the tests below always run.
    /// </summary>
    private static string GptTinyHermite3(string extension)
    {
        string name = "gpt-tiny-hermite3." + extension;
        string path = Path.Combine(Fixtures.Directory, name);
        if (File.Exists(path)) return path;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            string repo = Path.Combine(d.FullName, "tests", "fixtures", name);
            if (File.Exists(repo)) return repo;
        }
        throw new FileNotFoundException($"{name} is neither in {Fixtures.Directory} nor in the repository's tests/fixtures.", path);
    }

    /// <summary>The GPT fixture as PyTorch wrote it: torchortho's I64 'grid' buffers, values checked against Python's struct module.</summary>
    [Fact]
    public void GptTinyHermite3HasTheExpectedLayout()
    {
        string path = GptTinyHermite3("safetensors");
        var file = SafeTensorsFile.Read(path);

        Assert.Equal(34, file.Count);
        Assert.False(file.Contains("lm_head.weight")); // tied to transformer.wte.weight, stored once
        var wte = file["transformer.wte.weight"];
        Assert.Equal("F32", wte.Dtype);
        Assert.Equal(new[] { 64, 32 }, wte.Shape);
        Assert.Equal(new[] { 16, 32 }, file["transformer.wpe.weight"].Shape);
        Assert.Equal(new[] { 128, 32 }, file["transformer.h.1.mlp.c_fc.weight"].Shape);
        Assert.Equal(new[] { 32 }, file["transformer.ln_f.bias"].Shape);

        // Values as printed by Python's struct.unpack on the same bytes.
        float[] w = wte.ToFloat32();
        Assert.Equal(0.022398551926016808f, w[0]);
        Assert.Equal(-0.017866384238004684f, w[1]);
        Assert.Equal(-0.0034378792624920607f, w[7]);

        var grid = file["transformer.h.0.mlp.act.grid"];
        Assert.Equal("I64", grid.Dtype);
        Assert.Equal(new[] { 4, 2 }, grid.Shape);
        Assert.Equal(new long[] { 0, 0, 1, 0, 2, 0, 3, 1 }, grid.ToInt64());

        var coeffs = file["transformer.h.0.mlp.act.coeffs"];
        Assert.Equal(new[] { 4, 2 }, coeffs.Shape);
        Assert.Equal(new[] { 1f, 0f, 1f, 0f, 0.5f, -0.5f, 0.1666666716337204f, -0.5f }, coeffs.ToFloat32());
        Assert.Equal(new[] { 0.6175933480262756f, 0.5605907440185547f, 0.6791181564331055f, 0.38564491271972656f },
            file["transformer.h.0.mlp.act.coefficients"].ToFloat32());

        Assert.Throws<InvalidOperationException>(() => coeffs.ToInt64());

        // Metadata agrees with the fixture's JSON config.
        using var json = Fixtures.Load(GptTinyHermite3("json"));
        var config = json.RootElement.GetProperty("config");
        foreach (var key in new[] { "vocab", "block", "n_layer", "n_head", "n_embd" })
            Assert.Equal(config.GetProperty(key).GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), file.Metadata[key]);
        Assert.Equal("hermite3", file.Metadata["activation"]);

        var missing = Assert.Throws<KeyNotFoundException>(() => file["nope"]);
        Assert.Contains("nope", missing.Message);
        Assert.Contains(path, missing.Message);
    }

    /// <summary>Copying every entry of the fixture through the writer reproduces the tensors byte for byte.</summary>
    [Fact]
    public void FixtureSurvivesARewrite()
    {
        string path = GptTinyHermite3("safetensors");
        var file = SafeTensorsFile.Read(path);
        var writer = new SafeTensorsWriter();
        foreach (var e in file.Entries) writer.Add(e);
        writer.SetMetadata(file.Metadata);
        var again = SafeTensorsFile.Parse(writer.ToArray(), "rewrite");
        Assert.Equal(file.Names.Order(StringComparer.Ordinal), again.Names.Order(StringComparer.Ordinal));
        foreach (var e in file.Entries)
        {
            Assert.Equal(e.Dtype, again[e.Name].Dtype);
            Assert.Equal(e.Shape, again[e.Name].Shape);
            Assert.True(e.Data.Span.SequenceEqual(again[e.Name].Data.Span), e.Name);
        }
        Assert.Equal(file.Metadata.OrderBy(k => k.Key), again.Metadata.OrderBy(k => k.Key));
        // The peer's data, regrouped: the I64 buffers first (8-byte aligned), then the F32 tensors in the peer's order.
        var order = file.Entries.OrderByDescending(e => SafeTensorDtypes.ElementSize(e.Dtype)).Select(e => e.Name);
        Assert.Equal(order, again.Names);
    }
}
