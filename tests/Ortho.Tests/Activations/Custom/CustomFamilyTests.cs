using Ortho.Activations;
using Ortho.IO;
using Ortho.Models;
using Ortho.NN;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Activations.Custom;

/// <summary>
/// A fifth kind added from outside the library (<see cref="SmoothRationalFamily"/>, one registration): parsed, created,
/// trained inside models, checked by finite differences, saved and loaded, its moments and its fit.
/// </summary>
public class CustomFamilyTests
{
    // Registered by every test (idempotent): the registry is process-wide and tests run in any order.
    private readonly SmoothRationalFamily Family = SmoothRationalFamily.Registered();

    // f at double-precision parameters, for finite differences in the parameters.
    private static double Reference(double x, double[] p, double[] q)
    {
        double P = 0, Q = 0;
        for (int k = 0; k < p.Length; k++) P += p[k] * Math.Pow(x, k);
        for (int k = 1; k <= q.Length; k++) Q += q[k - 1] * Math.Pow(x, k);
        return P / (1 + Q * Q);
    }

    [Theory]
    [InlineData("smooth_rational:2", 2)]
    [InlineData("Smooth_Rational:3", 3)]
    [InlineData("smooth_rational4", 4)]
    [InlineData("srat:2", 2)]
    public void SpecsParseToTheCanonicalName(string text, int degree)
    {
        var s = ActivationSpec.Parse(text);
        Assert.Equal(("smooth_rational", degree), (s.Kind, s.Degree));
        Assert.Equal($"smooth_rational:{degree}", s.ToString());
        Assert.Contains("smooth_rational", ActivationSpec.Learnable);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ActivationSpec.Parse("smooth_rational:7"));
        Assert.Contains("[1, 6]", e.Message);
    }

    [Fact]
    public void RegistrationIsIdempotentAndNamesStayUnique()
    {
        SmoothRationalFamily.Registered();
        Assert.Single(ActivationRegistry.Families, f => f.Name == "smooth_rational");
        Assert.Same(Family, ActivationRegistry.Get("SRAT"));
        Assert.Contains("already", Assert.Throws<ArgumentException>(() => ActivationRegistry.Register(new SmoothRationalFamily())).Message);
    }

    [Fact]
    public void TheModuleCarriesTheFamilysParametersBuffersAndInit()
    {
        var m = Assert.IsType<LearnableActivation>(ActivationSpec.Parse("smooth_rational:3").Create());
        Assert.Same(Family, m.Family);
        Assert.Equal("smooth_rational:3", m.Spec.ToString());
        Assert.Equal(["numerator", "denominator", "powers"], m.StateDict().Keys);
        Assert.Equal("I64", m.StateDictDtype("powers"));
        Assert.Equal([0f, 1, 2, 3], m.StateDict()["powers"].ToArray());
        Assert.Equal([1f, 1f, 0.5f, (float)(1.0 / 6)], m.Snapshot()["numerator"]);
        Assert.Equal([0.1f, 0.05f, (float)(0.1 / 6)], m.Snapshot()["denominator"]);
        Assert.Equal(7, m.ParameterCount());
    }

    [Fact]
    public void ForwardAndBackwardThroughTheModuleMatchFiniteDifferencesInDouble()
    {
        var m = Family.CreateModule(3);
        var rng = new Rng(21);
        foreach (var p in m.Parameters()) for (int i = 0; i < p.Length; i++) p.Data[i] += (float)(0.3 * (rng.NextDouble() - 0.5));
        var snap = m.Snapshot();
        double[] pd = snap["numerator"].Select(v => (double)v).ToArray(), qd = snap["denominator"].Select(v => (double)v).ToArray();

        var x = Tensor.Uniform(new Rng(22), [3, 5], -2f, 2f);
        x.RequiresGrad = true;
        var dy = Tensor.RandN(new Rng(23), [3, 5]);
        var y = m.Forward(x);
        y.Backward(dy);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(Reference(x.Data[i], pd, qd), y.Data[i], 2e-6 * (1 + Math.Abs(y.Data[i])));

        const double h = 1e-6;
        double Loss(double[] p, double[] q, int shiftAt = -1, double shift = 0)
        {
            double s = 0;
            for (int i = 0; i < x.Length; i++) s += dy.Data[i] * Reference(x.Data[i] + (i == shiftAt ? shift : 0), p, q);
            return s;
        }
        for (int i = 0; i < x.Length; i++)
        {
            double fd = (Loss(pd, qd, i, h) - Loss(pd, qd, i, -h)) / (2 * h);
            Assert.Equal(fd, x.Grad!.Data[i], 1e-5 * (1 + Math.Abs(fd)));
        }
        foreach (var (name, values, grad) in new[] { ("numerator", pd, m.Parameters().First().Grad!), ("denominator", qd, m.Parameters().Last().Grad!) })
            for (int k = 0; k < values.Length; k++)
            {
                double keep = values[k];
                values[k] = keep + h; double plus = Loss(pd, qd);
                values[k] = keep - h; double minus = Loss(pd, qd);
                values[k] = keep;
                double fd = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(fd - grad.Data[k]) <= 1e-5 * (1 + Math.Abs(fd)), $"d{name}[{k}]: {grad.Data[k]} vs {fd}");
            }

        // Frozen: the parameter gradients stay as they were, dx is the same.
        var before = m.Parameters().Select(p => p.Grad!.ToArray()).ToArray();
        m.Freeze();
        var x2 = Tensor.FromArray(x.Data, x.Shape);
        x2.RequiresGrad = true;
        m.Forward(x2).Backward(dy);
        Assert.Equal(x.Grad!.ToArray(), x2.Grad!.ToArray());
        Assert.Equal(before, m.Parameters().Select(p => p.Grad!.ToArray()).ToArray());
    }

    [Fact]
    public void TheKindGenericKernelsAccumulateAndWriteOrAddDx()
    {
        var p = Family.Initial(2);
        float[] x = [-1.5f, -0.2f, 0.4f, 1.9f], dy = [0.3f, -1f, 2f, 0.7f];
        var g = new ActivationParameters(Family, 2);
        var dx = new float[4];
        ActivationKernels.Backward(p, g, dx, x, dy);
        var once = g.Clone();
        var dxOnce = (float[])dx.Clone();
        ActivationKernels.Backward(p, g, dx, x, dy, accumulateDx: true, frequencyGradient: false);
        for (int i = 0; i < 4; i++) Assert.Equal(2 * dxOnce[i], dx[i], 1e-6);
        foreach (var name in g.Names)
            for (int k = 0; k < g[name].Length; k++) Assert.Equal(2 * once[name][k], g[name][k], 1e-6);
        var y = new float[4];
        ActivationKernels.Forward(p, y, x);
        for (int i = 0; i < 4; i++) Assert.Equal(ActivationKernels.Evaluate(p, x[i], out double d), y[i], 1e-6);
    }

    [Fact]
    public void ATinySequentialTrains()
    {
        var rng = new Rng(5);
        var net = new Sequential(new Linear(2, 6, rng: rng), ActivationSpec.Parse("smooth_rational:2").Create(rng), new Linear(6, 1, rng: rng));
        var x = Tensor.RandN(new Rng(6), [16, 2]);
        var target = Tensor.RandN(new Rng(7), [16, 1]);
        Tensor.PoisonFreshGradients = true; // the family writes dx when its buffer is fresh: every element, or NaN shows
        try { GradCheck.Check(t => net.Forward(t[0]), [Tensor.RandN(new Rng(8), [3, 2])], h: 1e-3); }
        finally { Tensor.PoisonFreshGradients = false; }
        var opt = new Ortho.Optim.AdamW(net.Parameters(), lr: 0.01f, weightDecay: 0f);
        float first = 0, last = 0;
        for (int step = 0; step < 30; step++)
        {
            opt.ZeroGrad();
            var d = net.Forward(x) - target;
            var loss = (d * d).Mean();
            loss.Backward();
            opt.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(last < first, $"loss {first} -> {last}");
    }

    [Fact]
    public void ATinyGptUsesTheKindAndItsCheckpointRoundTrips()
    {
        var config = new GptConfig(Vocab: 16, Block: 8, Layers: 1, Heads: 2, Embd: 8, Activation: "srat:2");
        var gpt = new Gpt(config, new Rng(1));
        var act = Assert.IsType<LearnableActivation>(gpt.NamedModules().Single(m => m.Module is LearnableActivation).Module);
        Assert.Same(Family, act.Family);
        int[] idx = [1, 2, 3, 4, 5, 6, 7, 8], targets = [2, 3, 4, 5, 6, 7, 8, 9];
        gpt.Loss(idx, targets, 1, 8).Backward();
        Assert.All(act.Parameters(), p => Assert.Contains(p.Grad!.ToArray(), v => v != 0));
        act.Parameters().First().Data[1] = 0.75f;

        var path = Path.Combine(Path.GetTempPath(), $"ortho-custom-{Guid.NewGuid():N}.safetensors");
        try
        {
            StateDictFile.Save(gpt, path);
            var keys = StateDictFile.Load(path).Keys.Where(k => k.Contains(".act.")).Order().ToArray();
            Assert.Equal(["transformer.h.0.mlp.act.denominator", "transformer.h.0.mlp.act.numerator", "transformer.h.0.mlp.act.powers"], keys);
            var again = new Gpt(config, new Rng(2));
            StateDictFile.LoadInto(again, path);
            foreach (var (name, t) in gpt.StateDict()) Assert.Equal(t.ToArray(), again.StateDict()[name].ToArray());
            Assert.Equal(gpt.Loss(idx, targets, 1, 8).Item(), again.Loss(idx, targets, 1, 8).Item());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MomentsUseTheDefaultQuadrature()
    {
        var m = Family.CreateModule(3);
        var p = m.Snapshot();
        double[] pd = p["numerator"].Select(v => (double)v).ToArray(), qd = p["denominator"].Select(v => (double)v).ToArray();
        var expected = ActivationMoments.Compute(x => Reference(x, pd, qd), x => (Reference(x + 1e-6, pd, qd) - Reference(x - 1e-6, pd, qd)) / 2e-6, 0.8);
        var actual = m.Moments(0.8);
        Assert.Equal(expected.Mean, actual.Mean, 1e-12);
        Assert.Equal(expected.SecondMoment, actual.SecondMoment, 1e-12);
        Assert.Equal(expected.DerivativeSecondMoment, actual.DerivativeSecondMoment, 1e-7);
        Assert.Equal(actual, ActivationMoments.Of(p, 0.8));
        Assert.Throws<ArgumentException>(() => Family.Moments(ActivationParameters.Initial(ActivationKind.Hermite, 3)));
    }

    [Fact]
    public void TheKindsFitIsCachedAndLoadsIntoTheModule()
    {
        var options = new FitOptions { Lo = -2, Hi = 2, GridSize = 401, ReportGridSize = 401 };
        var fit = ActivationFitter.Fit(Family, 4, FitTarget.GeluErf, options);
        Assert.True(fit.Report.MaxError < 0.05, fit.Report.ToString());
        Assert.All(fit.Parameters["denominator"], v => Assert.Equal(0f, v));
        // Least squares: moving any coefficient makes the objective worse.
        var grid = new FitGrid(FitTarget.GeluErf, options);
        double best = grid.Objective(fit.Parameters);
        Assert.Equal(best, fit.Report.Objective, 1e-15);
        for (int k = 0; k < 5; k++)
        {
            var moved = fit.Parameters.Clone();
            moved["numerator"][k] += 1e-3f;
            Assert.True(grid.Objective(moved) > best);
        }
        Assert.True(ActivationFitter.Fit(Family, 4, FitTarget.GeluErf, options).FromCache);

        var module = Family.CreateModule(4);
        var loaded = module.FitTo(FitTarget.GeluErf, options);
        Assert.True(loaded.FromCache);
        Assert.Equal(fit.Parameters["numerator"], module.Snapshot()["numerator"]);
    }
}
