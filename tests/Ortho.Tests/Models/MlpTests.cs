using Ortho.Activations;
using Ortho.IO;
using Ortho.Models;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Models;

/// <summary>The MLP model: keys, config, save/load from the file alone, double forward, trainer.</summary>
public class MlpTests
{
    [Fact]
    public void StateDictKeysAreSequentials()
    {
        var model = new Mlp(new MlpConfig(3, [4, 5], 2, ["hermite:2", "tropical_rational:2"]), new Rng(0));
        var keys = model.StateDict().Keys.ToList();
        Assert.Equal(
        [
            "layers.0.weight", "layers.0.bias", "layers.1.coefficients", "layers.1.coeffs", "layers.1.grid",
            "layers.2.weight", "layers.2.bias",
            "layers.3.powers_num", "layers.3.powers_denom", "layers.3.coefficients_num", "layers.3.coefficients_denom",
            "layers.4.weight", "layers.4.bias",
        ], keys);
        Assert.Equal([4, 3], model.Linears[0].Weight.Shape);
        Assert.Equal([2, 5], model.Linears[2].Weight.Shape);
        Assert.IsType<HermiteActivation>(model.Activations[0]);
    }

    [Fact]
    public void SavedModelLoadsFromItsFileAlone()
    {
        using var dir = new TempDirectory();
        var model = new Mlp(MlpConfig.Uniform(2, [3, 3], 1, "tropical:3"), new Rng(4));
        new Rng(5).FillUniform(((TropicalActivation)model.Activations[1]).Coefficients.Data, -1, 1);
        var path = dir.File("m.safetensors");
        model.Save(path);
        var back = Mlp.Load(path);
        Assert.Equal(model.Config.ToJson(), back.Config.ToJson());
        foreach (var (k, t) in model.StateDict()) Assert.Equal(t.ToArray(), back.StateDict()[k].ToArray());
        float[] x = [0.3f, -1.2f, 2f, 0.5f];
        Assert.Equal(model.Predict(x, 2), back.Predict(x, 2));
    }

    [Fact]
    public void LoadRejectsFilesThatAreNotMlps()
    {
        using var dir = new TempDirectory();
        var path = dir.File("act.safetensors");
        StateDictFile.Save(new HermiteActivation(3), path, [new("activation", "hermite:3")]);
        var e = Assert.Throws<InvalidDataException>(() => Mlp.Load(path));
        Assert.Contains("no 'config' metadata", e.Message);
        StateDictFile.Save(new HermiteActivation(3), path, [new("config", "{\"Layers\":4}")]);
        e = Assert.Throws<InvalidDataException>(() => Mlp.Load(path));
        Assert.Contains("does not describe an MLP", e.Message);
        StateDictFile.Save(new HermiteActivation(3), path, [new("config", new MlpConfig(2, [3], 1, ["relu"]).ToJson())]);
        e = Assert.Throws<InvalidDataException>(() => Mlp.Load(path));
        Assert.Contains("missing keys", e.Message);
        Assert.Throws<FileNotFoundException>(() => Mlp.Load(dir.File("none.safetensors")));
    }

    [Theory]
    [InlineData(0, new[] { 3 }, 1, new[] { "relu" }, "inputs (0)")]
    [InlineData(2, new[] { 0 }, 1, new[] { "relu" }, "hidden layer 0 has width 0")]
    [InlineData(2, new[] { 3, 3 }, 1, new[] { "relu" }, "1 activations for 2 hidden layers")]
    [InlineData(2, new[] { 3 }, 1, new[] { "hermite" }, "Unknown activation 'hermite'")]
    public void ConfigErrorsNameTheField(int inputs, int[] hidden, int outputs, string[] acts, string message)
    {
        var e = Assert.ThrowsAny<Exception>(() => new Mlp(new MlpConfig(inputs, hidden, outputs, acts)));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("hermite:3")]
    [InlineData("tropical:4")]
    [InlineData("tropical_rational:2")]
    [InlineData("fourier:3")]
    [InlineData("tanh")]
    [InlineData("gelu")]
    public void DoubleForwardMatchesTheFloatModule(string act)
    {
        var model = new Mlp(MlpConfig.Uniform(3, [6, 5], 2, act), new Rng(2));
        var rng = new Rng(3);
        var x = new float[3 * 16];
        rng.FillUniform(x, -2, 2);
        var y = model.Predict(x, 16);
        for (int i = 0; i < 16; i++)
        {
            var d = model.ForwardDouble(x.AsSpan(3 * i, 3).ToArray().Select(v => (double)v).ToArray());
            for (int o = 0; o < 2; o++) Assert.Equal(d[o], y[2 * i + o], 1e-4 * (1 + Math.Abs(d[o])));
        }
    }

    [Fact]
    public void TrainerIsDeterministicAndLearnsAClassification()
    {
        // Two Gaussian blobs on either side of the line x0 + x1 = 0.
        var rng = new Rng(6);
        int n = 256;
        var x = new float[2 * n];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            float c = labels[i] == 0 ? -1f : 1f;
            x[2 * i] = c + (float)(rng.NextDouble() - 0.5);
            x[2 * i + 1] = c + (float)(rng.NextDouble() - 0.5);
        }
        MlpTrainResult Run(out Mlp m)
        {
            m = new Mlp(MlpConfig.Uniform(2, [8], 2, "tropical:3"), new Rng(1));
            return MlpTrainer.FitClassification(m, x, labels, new MlpTrainOptions { Steps = 60, Lr = 0.02f, BatchSize = 64, Seed = 3 });
        }
        var a = Run(out var ma);
        var b = Run(out _);
        Assert.Equal(a.Losses, b.Losses);
        Assert.True(a.FinalLoss < a.Losses[0] / 4, $"loss {a.Losses[0]} -> {a.FinalLoss}");
        Assert.True(MlpTrainer.Accuracy(ma, x, labels) > 0.97);
    }

    [Fact]
    public void TrainerRejectsBadData()
    {
        var m = new Mlp(MlpConfig.Uniform(2, [3], 2, "relu"), new Rng(0));
        Assert.Contains("whole rows", Assert.Throws<ArgumentException>(() => MlpTrainer.FitRegression(m, new float[5], new float[2])).Message);
        Assert.Contains("label 2 at row 1", Assert.Throws<ArgumentException>(() => MlpTrainer.FitClassification(m, new float[4], [0, 2])).Message);
        Assert.Contains("rows of 2 outputs", Assert.Throws<ArgumentException>(() => MlpTrainer.FitRegression(m, new float[4], new float[3])).Message);
    }
}
