using Ortho.Activations;
using Ortho.IO;
using Ortho.Models;
using Ortho.NN;
using Ortho.Tests.Activations.Custom;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.IO;

/// <summary>
/// Constant buffers (torchortho's powers, grid, coeffs, normalization_term) are checked on load: a state dict whose
/// values differ from the definition is an error naming the key, the first bad index, expected and found; accepted
/// values are kept as loaded.
/// </summary>
public class ConstantBufferTests
{
    private static Dictionary<string, Tensor> Copy(Module m) =>
        m.StateDict().ToDictionary(kv => kv.Key, kv => Tensor.FromArray(kv.Value.Data, kv.Value.Shape));

    [Fact]
    public void APeerFileWithAlteredPowersIsAnErrorNotAnotherFunction()
    {
        // The tropical ConvNeXt fixture with one slope changed from 1 to 12 (a function off by 11 x on that piece).
        string path = Path.Combine(Fixtures.Directory, "convnext-tiny-tropical3.safetensors");
        Assert.True(File.Exists(path), $"fixture {path} is missing");
        var file = SafeTensorsFile.Read(path);
        var w = new SafeTensorsWriter();
        const string key = "stages.1.0.act.powers";
        foreach (var e in file.Entries)
            if (e.Name == key) w.AddInt64(e.Name, [0, 12, 2, 3], e.Shape);
            else w.Add(e);
        using var tmp = new TempDirectory();
        string altered = tmp.File("altered.safetensors");
        w.Save(altered);

        var model = new ConvNeXt(new ConvNeXtConfig(1, 10, [1, 1, 1], [8, 16, 32], 2, "tropical:3", 16), new Rng(0));
        var before = model.StateDict()["head.weight"].ToArray();
        var e2 = Assert.Throws<InvalidDataException>(() => StateDictFile.LoadInto(model, altered));
        Assert.Contains(altered, e2.Message);
        Assert.Contains($"{key}: at index 1 expected 1, found 12 (integers must match exactly)", e2.Message);
        var inner = Assert.IsType<StateDictException>(e2.InnerException);
        Assert.Single(inner.InvalidConstants);
        Assert.Equal(before, model.StateDict()["head.weight"].ToArray()); // nothing was copied
        StateDictFile.LoadInto(model, path); // the original loads
    }

    [Fact]
    public void HermiteCoeffsAndGridAreCheckedWithTheirTwoDimensionalIndex()
    {
        var m = new HermiteActivation(4);
        var sd = Copy(m);
        sd["coeffs"][4, 1] = -0.3f; // He_4/4! has -1/4 there
        var e = Assert.Throws<StateDictException>(() => m.LoadStateDict(sd));
        Assert.Contains("coeffs: at index [4, 1] expected -0.25, found -0.3", e.Message);
        sd = Copy(m);
        sd["grid"][2, 0] = 3;
        e = Assert.Throws<StateDictException>(() => m.LoadStateDict(sd));
        Assert.Contains("grid: at index [2, 0] expected 2, found 3", e.Message);
        sd = Copy(m);
        sd["coeffs"][1, 0] = float.NaN;
        Assert.Throws<StateDictException>(() => m.LoadStateDict(sd));
        // One float32 rounding step is another writer's rounding of the same constant: accepted and kept.
        sd = Copy(m);
        float next = MathF.BitIncrement(sd["coeffs"][4, 0]);
        sd["coeffs"][4, 0] = next;
        m.LoadStateDict(sd);
        Assert.Equal(next, m.StateDict()["coeffs"][4, 0]);
    }

    [Fact]
    public void TorchorthosFactorialsAreAcceptedAndKeptFreshModulesHoldExactOnes()
    {
        var m = new FourierActivation(6);
        Assert.Equal([1f, 2f, 6f, 24f, 120f, 720f], m.StateDict()["normalization_term"].ToArray());
        // torchortho's exp(lgamma(k + 1)) in float32: e.g. 120.00000762939453 for 5!, and up to ~3e-6 relative.
        float[] peer = [1f, 2f, 6f, 24f, 120.00000762939453f, 720f * (1 + 3e-6f)];
        var sd = Copy(m);
        peer.CopyTo(sd["normalization_term"].Data);
        m.LoadStateDict(sd);
        Assert.Equal(peer, m.StateDict()["normalization_term"].ToArray());
        using var tmp = new TempDirectory();
        StateDictFile.Save(m, tmp.File("f.safetensors"));
        Assert.Equal(peer, SafeTensorsFile.Read(tmp.File("f.safetensors"))["normalization_term"].ToFloat32()); // written back as loaded
        // Beyond the documented bound (relative 1e-5) it is another function.
        sd["normalization_term"][5] = 720f * (1 + 2e-5f);
        var e = Assert.Throws<StateDictException>(() => m.LoadStateDict(sd));
        Assert.Contains("normalization_term: at index 5 expected 720", e.Message);
        Assert.Contains("relative 1E-05", e.Message);
    }

    [Fact]
    public void HermitesOptionalNormalizationTermIsAcceptedKeptAndNeverMissing()
    {
        var m = new HermiteActivation(5);
        Assert.False(m.HasNormalizationTerm);
        Assert.DoesNotContain("normalization_term", m.StateDict().Keys);
        var withNorm = Copy(m);
        withNorm["normalization_term"] = Tensor.FromArray([1f, 1f, 2f, 6f, 24f, 120.00000762939453f], 6);
        m.LoadStateDict(withNorm); // strict: accepted
        Assert.True(m.HasNormalizationTerm);
        Assert.Equal(["coefficients", "normalization_term", "coeffs", "grid"], m.StateDict().Keys); // torchortho's order
        Assert.Equal(120.00000762939453f, m.StateDict()["normalization_term"][5]);
        using var tmp = new TempDirectory();
        StateDictFile.Save(m, tmp.File("h.safetensors"));
        var again = new HermiteActivation(5);
        StateDictFile.LoadInto(again, tmp.File("h.safetensors"));
        Assert.True(again.HasNormalizationTerm);

        // Without it (use_numba=False) a strict load is fine too, and the module follows the file.
        var plain = Copy(new HermiteActivation(5));
        m.LoadStateDict(plain);
        Assert.False(m.HasNormalizationTerm);
        // Checked like the others; a wrong length is a shape mismatch.
        withNorm["normalization_term"][3] = 7f;
        var e = Assert.Throws<StateDictException>(() => m.LoadStateDict(withNorm));
        Assert.Contains("normalization_term: at index 3 expected 6, found 7", e.Message);
        withNorm["normalization_term"] = Tensor.FromArray([1f, 1f, 2f], 3);
        e = Assert.Throws<StateDictException>(() => m.LoadStateDict(withNorm));
        Assert.Single(e.ShapeMismatches);
        // Put in on demand: the exact factorials.
        m.HasNormalizationTerm = true;
        Assert.Equal([1f, 1f, 2f, 6f, 24f, 120f], m.StateDict()["normalization_term"].ToArray());
    }

    [Fact]
    public void ACustomFamilysBufferIsCheckedTheSameWay()
    {
        var family = SmoothRationalFamily.Registered();
        var m = family.CreateModule(3);
        var sd = Copy(m);
        sd["powers"][2] = 5;
        var e = Assert.Throws<StateDictException>(() => m.LoadStateDict(sd));
        Assert.Contains("powers: at index 2 expected 2, found 5", e.Message);
    }

    private sealed class WithConstants : Module
    {
        public WithConstants()
        {
            RegisterConstant("table", [2, 2], [1f, 0.1f, -3f, 1e-3f], tolerance: new BufferTolerance(1e-3));
            RegisterConstant("index", [3], [0f, 1f, 2f], "I64");
        }
    }

    [Fact]
    public void AnyModuleCanDeclareConstantsWithATolerance()
    {
        var m = new WithConstants();
        var sd = Copy(m);
        sd["table"][1, 0] = -3.002f; // within relative 1e-3
        m.LoadStateDict(sd);
        Assert.Equal(-3.002f, m.StateDict()["table"][1, 0]);
        sd["table"][1, 0] = -3.01f;
        Assert.Contains("table: at index [1, 0] expected -3, found -3.01", Assert.Throws<StateDictException>(() => m.LoadStateDict(sd)).Message);
        sd = Copy(new WithConstants());
        sd["index"][0] = 0.5f;
        Assert.Contains("index: at index 0 expected 0, found 0.5", Assert.Throws<StateDictException>(() => m.LoadStateDict(sd)).Message);
        // Non-strict loads check what they load.
        var partial = new Dictionary<string, Tensor> { ["index"] = Tensor.FromArray([0f, 1f, 3f], 3) };
        Assert.Throws<StateDictException>(() => m.LoadStateDict(partial, strict: false));
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(-0.0416666679f)]
    [InlineData(3.14159f)]
    public void NarrowerFileDtypesRoundingIsAccepted(float value)
    {
        var t = BufferTolerance.DtypeRounding;
        Assert.True(t.Accepts(value, value));
        Assert.True(t.Accepts(MathF.BitDecrement(value), value));
        Assert.True(t.Accepts((float)(Half)value, value));
        Assert.True(t.Accepts(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(value) + 0x8000 & ~0xFFFF), value)); // bfloat16
        Assert.False(t.Accepts(value * 1.001f, value));
        Assert.False(t.Accepts(float.PositiveInfinity, value));
    }
}
