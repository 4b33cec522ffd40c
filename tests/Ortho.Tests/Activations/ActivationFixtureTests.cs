using System.Text.Json;
using Ortho.Activations;
using Ortho.Kernels.Simd;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Activations;

/// <summary>
/// Parity with the peer (torchortho 0.1.2 on PyTorch): every case of every *.json fixture file that has a top-level
/// "cases" array whose entries have a "kind" among hermite / fourier / tropical / tropical_rational.
/// </summary>
public class ActivationFixtureTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (var file in Fixtures.Files("*.json"))
        {
            using var doc = Fixtures.Load(file);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("cases", out var cases)
                || cases.ValueKind != JsonValueKind.Array) continue;
            foreach (var c in cases.EnumerateArray())
                if (c.ValueKind == JsonValueKind.Object && c.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String
                    && ActivationRegistry.TryGet(k.GetString()!, out _))
                    yield return [Path.GetFileName(file), c.GetProperty("name").GetString()!];
        }
    }

    [Fact]
    public void FixturesHoldActivationCasesOfEveryKind()
    {
        var kinds = Cases().Select(c => Load((string)c[0], (string)c[1]).Kind).Distinct().ToList();
        Assert.Equal(4, kinds.Count);
    }

    internal static ActivationParameters Load(string file, string name, out float[] x, out float[] dy, out JsonElement c)
    {
        using var doc = Fixtures.Load(Path.Combine(Fixtures.Directory, file));
        c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name).Clone();
        Assert.True(ActivationRegistry.TryGet(c.GetProperty("kind").GetString()!, out var family));
        var p = new ActivationParameters(family, c.GetProperty("degree").GetInt32());
        foreach (var pname in p.Names)
        {
            var v = Fixtures.Floats(c.GetProperty("params").GetProperty(pname));
            Assert.Equal(p[pname].Length, v.Length);
            v.CopyTo(p[pname], 0);
        }
        x = Fixtures.Floats(c.GetProperty("x"));
        dy = Fixtures.Floats(c.GetProperty("dy"));
        return p;
    }

    private static ActivationParameters Load(string file, string name) => Load(file, name, out _, out _, out _);

    public static IEnumerable<object[]> CasesByWidth() =>
        from c in Cases() from w in new[] { (int)SimdDispatch.Best, (int)SimdWidth.Scalar } select new object[] { c[0], c[1], w };

    [Theory]
    [MemberData(nameof(CasesByWidth))]
    public void MatchesPeer(string file, string name, int simdWidth)
    {
        using var width = SimdDispatch.Force((SimdWidth)simdWidth);
        var p = Load(file, name, out var x, out var dy, out var c);
        var y = new float[x.Length];
        ActivationKernels.Forward(p, y, x);
        Close.All(y, Fixtures.Floats(c.GetProperty("y")), name + " y");

        var g = new ActivationParameters(p.Family, p.Degree);
        var dx = new float[x.Length];
        ActivationKernels.Backward(p, g, dx, x, dy, needDx: true, accumulateDx: false, frequencyGradient: true);
        Close.All(dx, Fixtures.Floats(c.GetProperty("dx")), name + " dx");
        // Parameter gradients are sums over the 96 elements; the default tolerance holds for them as well.
        var dparams = c.GetProperty("dparams");
        foreach (var pname in p.Names)
            Close.All(g[pname], Fixtures.Floats(dparams.GetProperty(pname)), name + " d" + pname);
        Assert.Equal(p.Names.Count, dparams.EnumerateObject().Count());
    }
}
