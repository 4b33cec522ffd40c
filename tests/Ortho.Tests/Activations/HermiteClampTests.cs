using Ortho.Activations;
using Ortho.IO;
using Ortho.Models;
using Ortho.NN;
using Ortho.Tests.Infrastructure;
using Ortho.Tests.IO;
using Xunit;
using static Ortho.Tests.Activations.ActivationTestKit;

namespace Ortho.Tests.Activations;

/// <summary>
/// torchortho's Hermite with <c>clamp=True</c>: f(x) = sum_k a_k He_k(s)/k!, s = (sigmoid(x) - 1/2) 2L. Kernels against
/// values computed here in double from the formula (forward, dx, d coefficients, dL), the formula's derivatives against
/// finite differences in double, specs, the module's keys and checkpoints (thread determinism: ActivationDeterminismTests).
/// </summary>
[Collection("EngineSettings.Threads")]
public class HermiteClampTests
{
    private static readonly ActivationFamily Clamped = ActivationSpec.Parse("hermite:4+clamp").Family;

    // s(x) straight from torchortho's definition, in double.
    private static double S(double x, double limit) => (1 / (1 + Math.Exp(-x)) - 0.5) * 2 * limit;

    // f = sum_k a_k He_k(s)/k! in double (the test kit's independent Hermite reference).
    private static double F(double x, double[] a, double limit) =>
        Reference(ActivationKind.Hermite, a.Length - 1, new Dictionary<string, double[]> { ["coefficients"] = a }, S(x, limit));

    private static (ActivationParameters P, double[] A, double L) Params(int degree, ulong seed)
    {
        var p = ActivationParameters.Initial(ActivationSpec.Parse($"hermite:{degree}+clamp").Family, degree);
        var rng = new Rng(seed);
        var a = p["coefficients"];
        for (int k = 0; k < a.Length; k++) a[k] += (float)(0.4 * (rng.NextDouble() - 0.5));
        p["clamp.lim_val"][0] = 1.3f;
        return (p, a.Select(v => (double)v).ToArray(), 1.3f);
    }

    [Theory]
    [InlineData(1, 37)]
    [InlineData(4, 1001)]
    [InlineData(8, 70_001)] // three reduction blocks
    public void KernelsMatchTheFormulaInDouble(int degree, int length)
    {
        var (p, a, limit) = Params(degree, 5);
        float[] x = Normal(length, 6, 3f), dy = Normal(length, 7, 1f);
        x[0] = 0; x[1 % length] = 40; x[2 % length] = -40; // saturated tails
        var r = Run(p, x, dy);
        double h = 1e-6, dl = 0, dlAbs = 0;
        var da = new double[degree + 1];
        var daAbs = new double[degree + 1];
        for (int i = 0; i < length; i++)
        {
            double xi = x[i];
            Assert.Equal(F(xi, a, limit), r.Y[i], 2e-5 * (1 + Math.Abs(F(xi, a, limit))));
            double dfdx = (F(xi + h, a, limit) - F(xi - h, a, limit)) / (2 * h);
            Assert.Equal(dy[i] * dfdx, r.Dx[i], 1e-4 * (1 + Math.Abs(dy[i] * dfdx)));
            double dfdl = (F(xi, a, limit + h) - F(xi, a, limit - h)) / (2 * h);
            dl += dy[i] * dfdl;
            dlAbs += Math.Abs(dy[i] * dfdl);
            for (int k = 0; k <= degree; k++)
            {
                var e = new double[degree + 1];
                e[k] = 1;
                double phi = F(xi, e, limit); // df/da_k = He_k(s)/k!
                da[k] += dy[i] * phi;
                daAbs[k] += Math.Abs(dy[i] * phi);
            }
        }
        Assert.Equal(dl, r.Grads["clamp.lim_val"][0], 1e-5 * dlAbs + 1e-6);
        for (int k = 0; k <= degree; k++) Assert.Equal(da[k], r.Grads["coefficients"][k], 1e-5 * daAbs[k] + 1e-6);
    }

    [Theory]
    [InlineData(-30.0)]
    [InlineData(-2.5)]
    [InlineData(-1e-3)]
    [InlineData(0.0)]
    [InlineData(0.7)]
    [InlineData(25.0)]
    public void DoubleEvaluationMatchesFiniteDifferences(double x)
    {
        var (p, a, limit) = Params(6, 9);
        double f = ActivationKernels.Evaluate(p, x, out double d);
        Assert.Equal(F(x, a, limit), f, 1e-12 * (1 + Math.Abs(f)));
        double h = 1e-5;
        Assert.Equal((F(x + h, a, limit) - F(x - h, a, limit)) / (2 * h), d, 1e-7 * (1 + Math.Abs(d)));
        double s = HermiteClampKernels.Evaluate(x, limit, out double ds);
        Assert.Equal(S(x, limit), s, 1e-15);
        Assert.Equal((S(x + h, limit) - S(x - h, limit)) / (2 * h), ds, 1e-9);
    }

    /// <summary>The clamped kernels accumulate every gradient (dx on request) and leave dx alone without needDx
    /// (every width against the scalar path: ActivationKernelTests.ClampedHermiteVectorPathsMatchScalarPath).</summary>
    [Fact]
    public void ClampedKernelsAccumulateGradientsAndCheckTheLimitGradient()
    {
        const int n = 3001, degree = 5;
        var (p, _, _) = Params(degree, 13);
        float limit = p["clamp.lim_val"][0];
        float[] x = Normal(n, 11, 2f), dy = Normal(n, 12, 1f), a = p["coefficients"];
        var once = Run(p, x, dy);
        float[] dx = Enumerable.Repeat(1f, n).ToArray(), da = Enumerable.Repeat(0.5f, degree + 1).ToArray(), dl = [0.25f];
        HermiteKernels.BackwardClamped(dx, da, dl, x, dy, a, limit, degree, needDx: true, accumulateDx: true);
        Close.All(dx, once.Dx.Select(v => v + 1f).ToArray(), "dx accumulated", 1e-6, 1e-5);
        Close.All(da, once.Grads["coefficients"].Select(v => v + 0.5f).ToArray(), "dcoefficients accumulated", 1e-5, 1e-5);
        Close.All(dl, [once.Grads["clamp.lim_val"][0] + 0.25f], "dL accumulated", 1e-5, 1e-5);
        float[] untouched = [7f];
        HermiteKernels.BackwardClamped(untouched, da, dl, x, dy, a, limit, degree, needDx: false);
        Assert.Equal(7f, untouched[0]);
        Close.All(dl, [2 * once.Grads["clamp.lim_val"][0] + 0.25f], "dL accumulated twice", 1e-5, 1e-5);
        var e = Assert.Throws<ArgumentException>(() => HermiteKernels.BackwardClamped(new float[n], da, new float[2], x, dy, a, limit, degree));
        Assert.Contains("clamp.lim_val", e.Message);
    }

    [Theory]
    [InlineData("hermite:8+clamp", "hermite:8+clamp")]
    [InlineData("hermiteclamp8", "hermite:8+clamp")]
    [InlineData("hermiteclamp:8", "hermite:8+clamp")]
    [InlineData(" HERMITE8+Clamp ", "hermite:8+clamp")]
    [InlineData("hermite:8+clamp+clamp", "hermite:8+clamp")]
    [InlineData("hermite:8", "hermite:8")]
    public void SpecsParseToTheCanonicalForm(string text, string canonical)
    {
        var spec = ActivationSpec.Parse(text);
        Assert.Equal(canonical, spec.ToString());
        Assert.Equal(spec, ActivationSpec.Parse(spec.ToString()));
        Assert.Equal(canonical.EndsWith("+clamp") ? "hermiteclamp8" : "hermite8", spec.ToPeerName());
        var m = Assert.IsType<HermiteActivation>(spec.Create());
        Assert.Equal(canonical.EndsWith("+clamp"), m.IsClamped);
        Assert.Equal(spec, m.Spec);
    }

    [Theory]
    [InlineData("hermite:8+foo", "option")]
    [InlineData("fourier:3+clamp", "takes no options")]
    [InlineData("hermite:8+", "Unknown activation")]
    [InlineData("hermiteclamp", "Unknown activation")]
    public void BadOptionsAreRejectedWithTheReason(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => ActivationSpec.Parse(text));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TheModuleHasTorchorthosKeysAndAZeroDimLimit()
    {
        var m = new HermiteActivation(8, clamp: true);
        Assert.Equal(["coefficients", "coeffs", "grid", "clamp.lim_val"], m.StateDict().Keys);
        Assert.NotNull(m.Clamp);
        Assert.Same(m.ClampLimit, m.Clamp!.LimVal);
        Assert.Empty(m.ClampLimit!.Shape);
        Assert.Equal(MathF.Sqrt(3), m.ClampLimit.Item());
        Assert.Contains("(clamp): LearnableClamp", m.ToString());
        Assert.Contains("clamp=True", m.ToString());
        var plain = new HermiteActivation(8);
        Assert.False(plain.IsClamped);
        Assert.Null(plain.ClampLimit);
        Assert.Equal(["coefficients", "coeffs", "grid"], plain.StateDict().Keys);
        // Autograd reaches the limit; frozen freezes it too.
        using (Tensor.Scope())
        {
            var x = Tensor.FromArray([0.5f, -1f, 2f], 3);
            m.Forward(x).Sum().Backward();
            Assert.NotEqual(0f, m.ClampLimit.Grad!.Item());
        }
        Assert.False(new HermiteActivation(3, frozen: true, clamp: true).ClampLimit!.RequiresGrad);
    }

    [Fact]
    public void AClampedGptRoundTripsThroughSafetensorsAndItsSpecThroughTheConfig()
    {
        var config = new GptConfig(32, 8, 1, 2, 16, "hermiteclamp4");
        var gpt = new Gpt(config, new Rng(3));
        var act = (HermiteActivation)gpt.Transformer.H[0].Mlp.Act;
        act.ClampLimit!.Data[0] = 1.1f;
        using var tmp = new TempDirectory();
        string path = tmp.File("m.safetensors");
        StateDictFile.Save(gpt, path, [new("config", System.Text.Json.JsonSerializer.Serialize(config))]);
        var entry = SafeTensorsFile.Read(path)["transformer.h.0.mlp.act.clamp.lim_val"];
        Assert.Empty(entry.Shape);
        Assert.Equal([1.1f], entry.ToFloat32());
        var again = new Gpt(new GptConfig(32, 8, 1, 2, 16, "hermite:4+clamp"), new Rng(4));
        StateDictFile.LoadInto(again, path);
        int[] idx = [1, 2, 3, 4], targets = [2, 3, 4, 5];
        Assert.Equal(gpt.Loss(idx, targets, 1, 4).Item(), again.Loss(idx, targets, 1, 4).Item());
        // The trainer's config (LM recipe) keeps the canonical spec, and rebuilds a clamped model from it.
        var recipe = new Ortho.Training.LmRecipe { Activation = ActivationSpec.Parse("hermiteclamp4").ToString(), Block = 8, Layers = 1, Heads = 2, Embd = 16 };
        var json = recipe.ToConfigJson();
        Assert.Contains("\"hermite:4\\u002Bclamp\"", json);
        var rebuilt = Assert.IsType<Gpt>(Ortho.Training.ModelConfig.Create(json));
        Assert.True(((HermiteActivation)rebuilt.Transformer.H[0].Mlp.Act).IsClamped);
    }

    [Fact]
    public void ATrainingCheckpointWithTheClampResumesItsLimitAndOptimizerState()
    {
        var recipe = new Ortho.Training.LmRecipe { Activation = "hermiteclamp3", Block = 8, Layers = 1, Heads = 2, Embd = 16 };
        var model = (Gpt)Ortho.Training.ModelConfig.Create(recipe.ToConfigJson());
        var opt = Ortho.Optim.AdamW.ForModel(model, 1e-2f, 0.1f);
        int[] idx = [1, 2, 3, 4, 5, 6, 7, 8], targets = [2, 3, 4, 5, 6, 7, 8, 9];
        void Step(Gpt m, Ortho.Optim.Optimizer o)
        {
            using var scope = Tensor.Scope();
            var loss = m.Loss(idx, targets, 1, 8);
            o.ZeroGrad();
            loss.Backward();
            o.Step();
        }
        Step(model, opt);
        using var tmp = new TempDirectory();
        Ortho.Training.Checkpoint.Save(tmp.File("ck.safetensors"), model, opt, 1, "0", recipe.ToConfigJson());
        var resumed = (Gpt)Ortho.Training.ModelConfig.Create(Ortho.Training.Checkpoint.ReadConfig(tmp.File("ck.safetensors")));
        var opt2 = Ortho.Optim.AdamW.ForModel(resumed, 1e-2f, 0.1f);
        Ortho.Training.Checkpoint.Load(tmp.File("ck.safetensors"), resumed, opt2);
        var limit = ((HermiteActivation)resumed.Transformer.H[0].Mlp.Act).ClampLimit!;
        Assert.NotEqual(MathF.Sqrt(3), limit.Item()); // moved by the step, and restored
        Step(model, opt);
        Step(resumed, opt2);
        Assert.Equal(((HermiteActivation)model.Transformer.H[0].Mlp.Act).ClampLimit!.Item(), limit.Item());
        Assert.Equal(model.Loss(idx, targets, 1, 8).Item(), resumed.Loss(idx, targets, 1, 8).Item());
    }

    [Fact]
    public void FitsGeluOnTheClampedBasisAndItsMomentsIntegrateTheClampedFunction()
    {
        var m = new HermiteActivation(8, clamp: true);
        var fit = m.FitTo(FitTarget.GeluErf);
        Assert.Equal(MathF.Sqrt(3), m.ClampLimit!.Item());
        Assert.True(fit.Report.MaxError < 0.05, fit.Report.ToString());
        // Moments: the clamped function integrated independently (Gauss-Hermite, 128 nodes) from the double formula.
        var a = m.Coefficients.ToArray().Select(v => (double)v).ToArray();
        double L = m.ClampLimit.Item();
        var expected = ActivationMoments.Compute(x => F(x, a, L), x => (F(x + 1e-6, a, L) - F(x - 1e-6, a, L)) / 2e-6, 1.0);
        var actual = m.Moments();
        Assert.Equal(expected.Mean, actual.Mean, 1e-9);
        Assert.Equal(expected.SecondMoment, actual.SecondMoment, 1e-9);
        Assert.Equal(expected.DerivativeSecondMoment, actual.DerivativeSecondMoment, 1e-6);
    }
}
