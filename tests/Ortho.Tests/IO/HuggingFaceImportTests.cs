using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Ortho.IO;
using Ortho.IO.HuggingFace;
using Ortho.Models;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.IO;

/// <summary>
/// hf-gpt2-tiny.*: a GPT-2 (vocab 96, block 32, 2 layers, 4 heads, 32 dims, gelu_new) written in Hugging Face's layout
/// (Conv1D weights [in, out], no prefix, tied head left out) with its config.json, and PyTorch's logits for a batch
/// (scripts/peer/make_hf_gpt2_fixture.py). Variants of the file (prefix, old buffers, F16, BF16, broken keys) are
/// made here from it.
/// </summary>
public class HuggingFaceImportTests
{
    private const double Atol = 1e-4, Rtol = 1e-3; // whole-model float32 tolerance

    private static string FixturePath(string name) => Path.Combine(Fixtures.Directory, name);

    private static SafeTensorsFile Weights() => SafeTensorsFile.Read(FixturePath("hf-gpt2-tiny.safetensors"));

    private sealed record Expected(int[] Idx, int[] Targets, int Batch, int Tokens, float[] Logits, float[] LogitsF16Row0, float Loss);

    private static Expected Reference()
    {
        using var doc = Fixtures.Load(FixturePath("hf-gpt2-tiny.json"));
        var r = doc.RootElement;
        int[] Ints(JsonElement e) => e.EnumerateArray().SelectMany(row => row.EnumerateArray()).Select(v => v.GetInt32()).ToArray();
        int batch = r.GetProperty("idx").GetArrayLength();
        var idx = Ints(r.GetProperty("idx"));
        return new Expected(idx, Ints(r.GetProperty("targets")), batch, idx.Length / batch, Fixtures.Floats(r.GetProperty("logits")),
            Fixtures.Floats(r.GetProperty("logits_f16_row0")), (float)r.GetProperty("loss").GetDouble());
    }

    /// <summary>Writes a model folder: the entries (renamed, re-typed or extended by <paramref name="edit"/>) and, optionally, the config.json.</summary>
    private static string Folder(TempDirectory tmp, bool withConfig = true, Action<SafeTensorsFile, SafeTensorsWriter>? edit = null)
    {
        var w = new SafeTensorsWriter();
        var file = Weights();
        if (edit == null) foreach (var e in file.Entries) w.Add(e);
        else edit(file, w);
        string path = tmp.File("model.safetensors");
        w.Save(path);
        if (withConfig) File.Copy(FixturePath("hf-gpt2-tiny.config.json"), tmp.File("config.json"));
        return path;
    }

    private static float[] Logits(Gpt model, Expected x) => model.Forward(x.Idx, x.Batch, x.Tokens).ToArray();

    [Fact]
    public void ReproducesPyTorchLogitsAndLoss()
    {
        using var tmp = new TempDirectory();
        var x = Reference();
        var r = Gpt2Import.Read(Folder(tmp));
        Assert.Equal(new GptConfig(96, 32, 2, 4, 32, "gelu_tanh"), r.Model.Config);
        Assert.Contains("n_head of", r.Layout.HeadsSource);
        Assert.Equal("", r.Layout.KeyPrefix);
        Assert.Empty(r.Layout.IgnoredKeys);
        Assert.Equal(["F32"], r.Dtypes);
        Assert.False(r.Model.Training);
        var logits = r.Model.Forward(x.Idx, x.Batch, x.Tokens);
        Close.All(logits.Data, x.Logits, "logits", Atol, Rtol);
        var loss = Functional.CrossEntropy(logits.Reshape(x.Batch * x.Tokens, 96), x.Targets);
        Close.All([loss.Item()], [x.Loss], "loss", Atol, Rtol);
    }

    [Fact]
    public void ProjectionWeightsAreTransposedAndBiasesKept()
    {
        using var tmp = new TempDirectory();
        var model = Gpt2Import.Load(Folder(tmp));
        var file = Weights();
        var cAttn = file["h.1.attn.c_attn.weight"].ToFloat32(); // [in 32, out 96]
        var mine = model.Transformer.H[1].Attn.CAttn.Weight;    // [out 96, in 32]
        Assert.Equal([96, 32], mine.Shape);
        for (int o = 0; o < 96; o += 7)
            for (int i = 0; i < 32; i += 5)
                Assert.Equal(cAttn[i * 96 + o], mine.Data[o * 32 + i]);
        Assert.Equal(file["h.0.mlp.c_proj.bias"].ToFloat32(), model.Transformer.H[0].Mlp.CProj.Bias!.ToArray());
        Assert.Equal(file["ln_f.bias"].ToFloat32(), model.Transformer.LnF.Bias!.ToArray());
    }

    /// <summary>GPT2LMHeadModel's keys, with the old causal-mask buffers and the tied head stored: same model.</summary>
    [Fact]
    public void ReadsTransformerPrefixMaskBuffersAndTiedHead()
    {
        using var plain = new TempDirectory();
        using var tmp = new TempDirectory();
        var x = Reference();
        var expected = Logits(Gpt2Import.Load(Folder(plain)), x);
        var path = Folder(tmp, edit: (f, w) =>
        {
            foreach (var e in f.Entries) w.Add(e, "transformer." + e.Name);
            w.Add(f["wte.weight"], "lm_head.weight");
            var mask = new byte[32 * 32];
            for (int i = 0; i < 32; i++) for (int j = 0; j <= i; j++) mask[i * 32 + j] = 1;
            for (int l = 0; l < 2; l++)
            {
                w.AddRaw($"transformer.h.{l}.attn.bias", SafeTensorDtypes.U8, [1, 1, 32, 32], mask);
                w.Add($"transformer.h.{l}.attn.masked_bias", [-1e4f], []);
            }
        });
        var r = Gpt2Import.Read(path);
        Assert.Equal("transformer.", r.Layout.KeyPrefix);
        Assert.Equal(5, r.Layout.IgnoredKeys.Count);
        Assert.Contains("lm_head.weight", r.Layout.IgnoredKeys);
        Assert.Equal(["F32"], r.Dtypes); // the U8 mask is not a weight
        Assert.Equal(expected, Logits(r.Model, x)); // bit for bit
        Close.All(expected, x.Logits, "logits", Atol, Rtol);
    }

    [Fact]
    public void HalfPrecisionWeightsMatchPyTorchOnHalfRoundedWeights()
    {
        using var tmp = new TempDirectory();
        var x = Reference();
        var path = Folder(tmp, edit: (f, w) =>
        {
            foreach (var e in f.Entries)
            {
                var half = e.ToFloat32().Select(v => (Half)v).ToArray(); // round to nearest even, as torch's .half()
                w.AddRaw(e.Name, SafeTensorDtypes.F16, e.Shape, MemoryMarshal.AsBytes(half.AsSpan()));
            }
        });
        var r = Gpt2Import.Read(path);
        Assert.Equal(["F16"], r.Dtypes);
        var logits = Logits(r.Model, x);
        Close.All(logits.AsSpan(0, x.Tokens * 96), x.LogitsF16Row0, "logits[0] with F16 weights", Atol, Rtol);
        // The rounding is visible: the F32 logits are not within tolerance everywhere.
        Assert.True(logits.Zip(x.Logits).Max(p => Math.Abs(p.First - p.Second)) > 1e-3);
    }

    [Fact]
    public void BFloat16WeightsAreWidenedExactly()
    {
        using var tmp = new TempDirectory();
        var path = Folder(tmp, edit: (f, w) =>
        {
            foreach (var e in f.Entries)
            {
                var bf = e.ToFloat32().Select(v => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray(); // truncation
                w.AddRaw(e.Name, SafeTensorDtypes.BF16, e.Shape, MemoryMarshal.AsBytes(bf.AsSpan()));
            }
        });
        var r = Gpt2Import.Read(path);
        Assert.Equal(["BF16"], r.Dtypes);
        var src = Weights()["h.0.mlp.c_fc.weight"].ToFloat32(); // [32, 128]
        var dst = r.Model.Transformer.H[0].Mlp.CFc.Weight;      // [128, 32]
        for (int o = 0; o < 128; o++)
            for (int i = 0; i < 32; i++)
                Assert.Equal(BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(src[i * 128 + o]) & 0xFFFF0000u), dst.Data[o * 32 + i]);
    }

    [Fact]
    public void HeadsComeFromTheArgumentConfigJsonOrStandardSizes()
    {
        using var tmp = new TempDirectory();
        var path = Folder(tmp, withConfig: false);
        var e = Assert.Throws<InvalidDataException>(() => Gpt2Import.Load(path));
        Assert.Contains("number of heads cannot be inferred", e.Message);
        Assert.Contains("n_embd 32 is not a standard GPT-2 size", e.Message);
        Assert.Contains("--n-head", e.Message);
        Assert.StartsWith(path, e.Message);

        var r = Gpt2Import.Read(path, heads: 4);
        Assert.Equal(4, r.Model.Config.Heads);
        Assert.Equal("given", r.Layout.HeadsSource);
        Assert.Equal("gelu_tanh", r.Model.Config.Activation); // GPT-2's default without a config.json
        var x = Reference();
        Close.All(Logits(r.Model, x), x.Logits, "logits", Atol, Rtol);

        // A wrong count runs but computes something else: the heads matter.
        Assert.True(Logits(Gpt2Import.Load(path, heads: 2), x).Zip(x.Logits).Max(p => Math.Abs(p.First - p.Second)) > 1e-2);
        Assert.Contains("not divisible by 5 heads", Assert.Throws<InvalidDataException>(() => Gpt2Import.Load(path, heads: 5)).Message);

        File.Copy(FixturePath("hf-gpt2-tiny.config.json"), tmp.File("config.json"));
        Assert.Contains("8 heads were asked for, but", Assert.Throws<InvalidDataException>(() => Gpt2Import.Load(path, heads: 8)).Message);
        Assert.Equal(4, Gpt2Import.Load(tmp.Path).Config.Heads); // a folder works too
    }

    /// <summary>Shapes of GPT-2 124M/355M/774M/1.5B (no data needed to infer the configuration).</summary>
    [Theory]
    [InlineData(768, 12, 12), InlineData(1024, 24, 16), InlineData(1280, 36, 20), InlineData(1600, 48, 25)]
    public void StandardSizesGiveTheirHeads(int embd, int layers, int heads)
    {
        var layout = Gpt2Import.InferConfig(Gpt2Shapes(50257, 1024, layers, embd));
        Assert.Equal(new GptConfig(50257, 1024, layers, heads, embd, "gelu_tanh"), layout.Config);
        Assert.Contains($"{heads} heads for n_embd {embd}", layout.HeadsSource);
        Assert.Equal("transformer.h.0.attn.c_attn.weight", layout.Keys.Keys.First(k => k.Contains("c_attn.weight")));
    }

    private static Dictionary<string, int[]> Gpt2Shapes(int vocab, int block, int layers, int c)
    {
        var d = new Dictionary<string, int[]> { ["wte.weight"] = [vocab, c], ["wpe.weight"] = [block, c], ["ln_f.weight"] = [c], ["ln_f.bias"] = [c] };
        for (int i = 0; i < layers; i++)
            foreach (var (k, s) in new (string, int[])[] { ("ln_1.weight", [c]), ("ln_1.bias", [c]), ("attn.c_attn.weight", [c, 3 * c]), ("attn.c_attn.bias", [3 * c]),
                ("attn.c_proj.weight", [c, c]), ("attn.c_proj.bias", [c]), ("ln_2.weight", [c]), ("ln_2.bias", [c]), ("mlp.c_fc.weight", [c, 4 * c]),
                ("mlp.c_fc.bias", [4 * c]), ("mlp.c_proj.weight", [4 * c, c]), ("mlp.c_proj.bias", [c]) })
                d[$"h.{i}.{k}"] = s;
        return d;
    }

    public static TheoryData<string, string[]> BadKeys() => new()
    {
        { "drop h.1.mlp.c_fc.bias", ["missing 1: h.1.mlp.c_fc.bias"] },
        { "drop h.1", ["missing 1: h.1.* (the whole block)", "3 layers"] }, // h.2 exists, so h.1 is a hole
        { "drop ln_f.weight", ["missing 1: ln_f.weight"] },
        { "add h.0.attn.c_attn.scale", ["unexpected 1: h.0.attn.c_attn.scale"] },
        { "add foo", ["unexpected 1: foo"] },
        { "add h.2000000000.ln_1.weight", ["a key names block h.2000000000, but the file has only 29 tensors"] },
        { "add transformer.wpe.weight", ["unexpected 1: wpe.weight (duplicates transformer.wpe.weight)"] },
        { "shape h.0.attn.c_attn.weight", ["wrong shape 1: h.0.attn.c_attn.weight is [96, 32], expected [32, 96] (Conv1D layout [in, out])"] },
        { "shape h.1.mlp.c_fc.weight", ["h.1.mlp.c_fc.weight is [32, 64], expected [32, 128]", "MLP of 4 x n_embd"] },
        { "shape lm_head.weight", ["lm_head.weight is [95, 32], expected [96, 32]"] },
        { "drop wte.weight", ["no wte.weight (the token embedding [vocab, n_embd])", "keys: h.0.attn.c_attn.bias"] },
        { "shape wpe.weight", ["wpe.weight is [32, 16] but wte.weight is [96, 32]"] },
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public void WrongKeysAreNamedInOneError(string change, string[] fragments)
    {
        using var tmp = new TempDirectory();
        string[] words = change.Split(' ');
        var path = Folder(tmp, edit: (f, w) =>
        {
            foreach (var e in f.Entries)
            {
                if (words[0] == "drop" && (e.Name == words[1] || e.Name.StartsWith(words[1] + ".", StringComparison.Ordinal))) continue;
                if (words[0] == "shape" && e.Name == words[1])
                    w.Add(e.Name, new float[e.ElementCount / (words[1] == "h.1.mlp.c_fc.weight" || words[1] == "wpe.weight" ? 2 : 1)],
                        words[1] switch { "h.1.mlp.c_fc.weight" => [32, 64], "wpe.weight" => [32, 16], _ => [e.Shape[1], e.Shape[0]] });
                else w.Add(e);
            }
            if (change == "drop h.1") // a third block, so that h.1 is missing between h.0 and h.2
                foreach (var e in f.Entries.Where(e => e.Name.StartsWith("h.0.", StringComparison.Ordinal))) w.Add(e, "h.2." + e.Name[4..]);
            if (words[0] == "add") w.Add(words[1] == "transformer.wpe.weight" ? f["wpe.weight"] with { Name = words[1] } : f["ln_f.bias"] with { Name = words[1] });
            if (change == "shape lm_head.weight") w.Add("lm_head.weight", new float[95 * 32], [95, 32]);
        });
        var e = Assert.Throws<InvalidDataException>(() => Gpt2Import.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        foreach (var frag in fragments) Assert.Contains(frag, e.Message);
    }

    [Fact]
    public void UntiedHeadNonFloatWeightsAndNonFiniteValuesAreRejected()
    {
        using var tmp = new TempDirectory();
        var path = Folder(tmp, edit: (f, w) =>
        {
            foreach (var e in f.Entries) w.Add(e);
            var head = f["wte.weight"].ToFloat32();
            head[5] += 1;
            w.Add("lm_head.weight", head, [96, 32]);
        });
        Assert.Contains("lm_head.weight differs from wte.weight", Assert.Throws<InvalidDataException>(() => Gpt2Import.Load(path)).Message);

        path = Folder(tmp, withConfig: false, edit: (f, w) =>
        {
            foreach (var e in f.Entries)
                if (e.Name == "h.0.ln_1.bias") w.AddInt64(e.Name, new long[32], [32]);
                else w.Add(e);
        });
        Assert.Contains("h.0.ln_1.bias has dtype I64; weights must be F32, F16, BF16 or F64", Assert.Throws<InvalidDataException>(() => Gpt2Import.Load(path)).Message);

        path = Folder(tmp, withConfig: false, edit: (f, w) =>
        {
            foreach (var e in f.Entries)
            {
                var v = e.ToFloat32();
                if (e.Name == "h.1.attn.c_proj.weight") v[3] = float.NaN;
                w.Add(e.Name, v, e.Shape);
            }
        });
        Assert.Contains("transformer.h.1.attn.c_proj.weight holds NaN or infinity", Assert.Throws<InvalidDataException>(() => Gpt2Import.Load(path)).Message);
    }

    [Theory]
    [InlineData("\"layer_norm_epsilon\": 1e-05", "\"layer_norm_epsilon\": 1e-06", "layer_norm_epsilon is 1E-06, but Ortho's GPT uses 1e-5")]
    [InlineData("\"n_layer\": 2", "\"n_layer\": 3", "n_layer is 3, but the weights have 2 (the h.N keys)")]
    [InlineData("\"vocab_size\": 96", "\"vocab_size\": 50257", "vocab_size is 50257, but the weights have 96 (wte.weight)")]
    [InlineData("\"activation_function\": \"gelu_new\"", "\"activation_function\": \"quick_gelu\"", "activation_function 'quick_gelu' has no Ortho equivalent")]
    [InlineData("\"scale_attn_by_inverse_layer_idx\": false", "\"scale_attn_by_inverse_layer_idx\": true", "scale_attn_by_inverse_layer_idx is true")]
    [InlineData("\"n_head\": 4", "\"n_head\": \"4\"", "'n_head' must be an integer")]
    [InlineData("{", "[1]", "is not a JSON object")]
    public void ConfigJsonIsCheckedAgainstTheShapes(string from, string to, string fragment)
    {
        using var tmp = new TempDirectory();
        var path = Folder(tmp);
        string text = File.ReadAllText(tmp.File("config.json"));
        Assert.Contains(from, text);
        File.WriteAllText(tmp.File("config.json"), from == "{" ? to : text.Replace(from, to));
        var e = Assert.Throws<InvalidDataException>(() => Gpt2Import.Load(path));
        Assert.Contains(tmp.File("config.json"), e.Message);
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void ConfigJsonActivationIsUsed()
    {
        using var tmp = new TempDirectory();
        var path = Folder(tmp);
        File.WriteAllText(tmp.File("config.json"), File.ReadAllText(tmp.File("config.json")).Replace("\"gelu_new\"", "\"gelu\""));
        var r = Gpt2Import.Read(path);
        Assert.Equal("gelu", r.Model.Config.Activation);
        Assert.Contains("'gelu'", r.Layout.ActivationSource);
    }

    [Fact]
    public void ModelFileRoundTripsConfigAndWeights()
    {
        using var tmp = new TempDirectory();
        var x = Reference();
        var model = Gpt2Import.Load(Folder(tmp));
        string outPath = tmp.File("ortho.safetensors");
        GptModelFile.Save(model, outPath, [new("imported_from", "test")]);
        var file = SafeTensorsFile.Read(outPath);
        Assert.Equal("{\"gpt\":{\"Vocab\":96,\"Block\":32,\"Layers\":2,\"Heads\":4,\"Embd\":32,\"Activation\":\"gelu_tanh\"}}", file.Metadata["config"]);
        Assert.Equal("test", file.Metadata["imported_from"]);
        Assert.Equal(model.StateDict().Keys.Order(), file.Names.Order()); // Ortho's keys, head stored once
        var back = GptModelFile.Load(outPath);
        Assert.Equal(model.Config, back.Config);
        Assert.Equal(Logits(model, x), Logits(back, x));

        Assert.Throws<ArgumentException>(() => GptModelFile.Save(model, outPath, [new("config", "x")]));
        Assert.Contains("no GPT configuration", Assert.Throws<InvalidDataException>(() => GptModelFile.Load(FixturePath("hf-gpt2-tiny.safetensors"))).Message);
        Assert.False(GptModelFile.TryParseConfig("{\"Layers\":4}", out _));
        Assert.Contains("not divisible", Assert.Throws<InvalidDataException>(() => GptModelFile.TryParseConfig(GptModelFile.ConfigJson(new GptConfig() with { Heads = 3 }), out _)).Message);
    }

    /// <summary>The command line, run as the built <c>ortho</c>: success writes a loadable file, bad input gives one 'ortho: ' line.</summary>
    [Fact]
    public void CommandLineImportsAndReportsErrors()
    {
        using var tmp = new TempDirectory();
        var x = Reference();
        var path = Folder(tmp);
        string outPath = tmp.File("out.safetensors");
        var (code, stdout, stderr) = Ortho("import", "gpt2", path, "--out", outPath);
        Assert.True(code == 0, stderr);
        Assert.Contains("GPT-2 with 2 layers, 4 heads (n_head of", stdout);
        Assert.Contains("Wrote " + outPath + " (29,568 parameters)", stdout);
        Close.All(Logits(GptModelFile.Load(outPath), x), x.Logits, "logits", Atol, Rtol);

        File.Delete(tmp.File("config.json"));
        (code, _, stderr) = Ortho("import", "gpt2", path, "--out", outPath);
        Assert.Equal(2, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("ortho: " + path + ": the number of heads cannot be inferred", line);
        (code, _, _) = Ortho("import", "gpt2", path, "--out", outPath, "--n-head", "4");
        Assert.Equal(0, code);
    }

    private static (int Code, string Out, string Err) Ortho(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Ortho.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }
}
