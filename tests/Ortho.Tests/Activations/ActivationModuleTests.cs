using System.Text.Json;
using Ortho;
using Ortho.Activations;
using Ortho.NN;
using Ortho.Optim;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Activations;

/// <summary>The activation modules through autograd: every fixture case, specs, freezing, degree ranges, names.</summary>
public class ActivationModuleTests
{
    public static TheoryData<string, string> Cases()
    {
        var d = new TheoryData<string, string>();
        foreach (var f in Fixtures.Files("*.json"))
        {
            using var doc = Fixtures.Load(f);
            if (!doc.RootElement.TryGetProperty("cases", out var cases)) continue;
            foreach (var c in cases.EnumerateArray()) d.Add(Path.GetFileName(f), c.GetProperty("name").GetString()!);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ModuleMatchesTorchorthoThroughAutograd(string file, string name)
    {
        using var doc = Fixtures.Load(Path.Combine(Fixtures.Directory, file));
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().First(e => e.GetProperty("name").GetString() == name);
        var spec = new ActivationSpec(c.GetProperty("kind").GetString()!, c.GetProperty("degree").GetInt32());
        var module = (LearnableActivation)spec.Create(new Rng(0));
        var parameters = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var p in c.GetProperty("params").EnumerateObject()) Fixtures.Floats(p.Value).CopyTo(parameters[p.Name].Data);
        Assert.Equal(c.GetProperty("params").EnumerateObject().Select(p => p.Name).OrderBy(n => n), parameters.Keys.OrderBy(n => n));

        var xs = Fixtures.Floats(c.GetProperty("x"));
        var x = Tensor.FromArray(xs, 4, xs.Length / 4); // any shape: the activation is elementwise
        x.RequiresGrad = true;
        var y = module.Forward(x);
        Close.All(y.Data, Fixtures.Floats(c.GetProperty("y")), name + ".y");
        y.Backward(Tensor.FromArray(Fixtures.Floats(c.GetProperty("dy")), x.Shape));
        Close.All(x.Grad!.Data, Fixtures.Floats(c.GetProperty("dx")), name + ".dx");
        foreach (var g in c.GetProperty("dparams").EnumerateObject())
            Close.All(parameters[g.Name].Grad!.Data, Fixtures.Floats(g.Value), $"{name}.d{g.Name}");
    }

    [Theory]
    [InlineData("gelu", "gelu", 0)]
    [InlineData("Hermite:3", "hermite", 3)]
    [InlineData("hermite3", "hermite", 3)]
    [InlineData("fourier:5", "fourier", 5)]
    [InlineData("tropical:5", "tropical", 5)]
    [InlineData("tropical_rational:3", "tropical_rational", 3)]
    public void SpecsParse(string text, string kind, int degree)
    {
        var s = ActivationSpec.Parse(text);
        Assert.Equal(kind, s.Kind);
        Assert.Equal(degree, s.Degree);
        Assert.Equal(s, ActivationSpec.Parse(s.ToString()));
        Assert.NotNull(s.Create());
    }

    [Theory]
    [InlineData("swish")]
    [InlineData("hermite")]
    [InlineData("hermite:x")]
    [InlineData("hermite:0")]
    [InlineData("hermite:1000")]
    [InlineData("fourier:-1")]
    public void BadSpecsAreRejectedWithTheAcceptedForms(string text)
    {
        var e = Record.Exception(() => ActivationSpec.Parse(text));
        Assert.True(e is FormatException or ArgumentOutOfRangeException, e?.GetType().Name);
        Assert.True(e!.Message.Contains("hermite", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("degree", StringComparison.OrdinalIgnoreCase), e.Message);
    }

    [Fact]
    public void DegreeRangesAreStatedInTheError()
    {
        foreach (var create in new Func<int, Module>[] { d => new HermiteActivation(d), d => new FourierActivation(d), d => new TropicalActivation(d), d => new TropicalRationalActivation(d) })
        {
            Assert.NotNull(create(1));
            Assert.NotNull(create(16));
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => create(0));
            Assert.Contains("1", e.Message);
        }
    }

    [Theory]
    [InlineData("hermite:2", 0.73576, 0.73576)]
    [InlineData("hermite:3", 0.91970, 0.91970)]
    [InlineData("hermite:5", 0.99634, 0.99634)]
    [InlineData("fourier:3", 1.2854, 0.9223)]
    [InlineData("tropical:3", 1.75415, 1.0)]
    [InlineData("tropical:5", 1.39915, 1.0)]
    public void ModuleMomentsAtInitMatchTheDesign(string spec, double ef2, double edf2)
    {
        var m = ((LearnableActivation)ActivationSpec.Parse(spec).Create()).Moments();
        Assert.InRange(m.SecondMoment, ef2 - 2e-4, ef2 + 2e-4);
        Assert.InRange(m.DerivativeSecondMoment, edf2 - 2e-4, edf2 + 2e-4);
        Assert.Equal(1 / m.SecondMoment, m.ForwardGain, 12);
    }

    [Fact]
    public void HermiteInitEqualsTheDesignMonomials()
    {
        // 0.2504189 + 0.3032653 x + 0.3032653 x^2 + 0.1010884 x^3 (the degree-3 init expanded in powers of x)
        var h = new HermiteActivation(3);
        foreach (var x in new[] { -2.0, -0.5, 0.0, 0.7, 1.9 })
        {
            double f = h.Evaluate(x, out double d);
            Assert.InRange(f - (0.2504189 + 0.3032653 * x + 0.3032653 * x * x + 0.1010884 * x * x * x), -2e-6, 2e-6);
            Assert.InRange(d - (0.3032653 + 2 * 0.3032653 * x + 3 * 0.1010884 * x * x), -2e-6, 2e-6);
        }
        Assert.Equal(new[] { "coefficients", "coeffs", "grid" }, h.StateDict().Keys.ToArray());
        Assert.Equal("I64", h.StateDictDtype("grid"));
    }

    [Fact]
    public void FrozenParametersGetNoGradientAndFrozenFrequenciesStayPut()
    {
        var f = new FourierActivation(4, frozenFrequencies: true);
        var x = Tensor.RandN(new Rng(1), [64]);
        x.RequiresGrad = true;
        f.Forward(x).Sum().Backward();
        Assert.Null(f.Grid.Grad);
        Assert.NotNull(f.Coefficients.Grad);
        Assert.NotNull(x.Grad);
        var opt = new AdamW(f.Parameters().Where(p => p.RequiresGrad), lr: 0.1f, weightDecay: 0f);
        var before = f.Grid.ToArray();
        opt.Step();
        Assert.Equal(before, f.Grid.ToArray());

        var h = new HermiteActivation(3, frozen: true);
        var x2 = Tensor.RandN(new Rng(2), [8]);
        x2.RequiresGrad = true;
        h.Forward(x2).Sum().Backward();
        Assert.Null(h.Coefficients.Grad);
        Assert.NotNull(x2.Grad);
    }

    [Theory]
    [InlineData("hermite:5")]
    [InlineData("fourier:3")]
    [InlineData("tropical:4")]
    [InlineData("tropical_rational:3")]
    public void FiniteDifferencesThroughTheModule(string spec)
    {
        var m = (LearnableActivation)ActivationSpec.Parse(spec).Create(new Rng(3));
        var ps = m.Parameters().ToArray();
        var x = Tensor.Uniform(new Rng(4), [3, 7], -2f, 2f);
        Tensor.PoisonFreshGradients = true; // an input gradient element the backward forgets to write shows up as NaN
        try { GradCheck.Check(t => m.Forward(t[0]), [x], h: 1e-3); }
        finally { Tensor.PoisonFreshGradients = false; }
        GradCheck.Check(t => m.Forward(t[0]) + t[0], [x], h: 1e-3); // x read twice: written by one backward, added by the other
        // An intermediate input: dx is computed over dy in the upstream gradient's own buffer; then also read by another op.
        GradCheck.Check(t => m.Forward(t[0] * 1.5f) * t[0], [x], h: 1e-3);
        GradCheck.Check(t => { var u = t[0] * 1.5f; return m.Forward(u) * u.Tanh() + m.Forward(u); }, [x], h: 1e-3);
        foreach (var p in ps) GradCheck.Check(_ => m.Forward(x), [p], h: 1e-3); // each parameter perturbed in place
    }
}
