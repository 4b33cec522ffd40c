using Ortho.Models;

namespace Ortho.Analysis;

/// <summary>
/// The worked example of the polynomial view: learn y = x0 x1 - x2^2 + 0.5 from noisy samples with a
/// one-hidden-layer Hermite-2 MLP, then read the coefficients back from the network's expansion. A Hermite-2 neuron
/// is a quadratic of its pre-activation, so the network is a quadratic in the inputs and can represent y exactly
/// (x0 x1 - x2^2 is a symmetric form of rank 3, needing at least 3 neurons; 8 leave room). Seeded and full-batch,
/// so every run gives the same model.
/// </summary>
public static class QuadraticExample
{
    /// <summary>The target function.</summary>
    public const string Formula = "y = x0*x1 - x2^2 + 0.5";

    /// <summary>The target's exact value.</summary>
    public static double Target(double x0, double x1, double x2) => x0 * x1 - x2 * x2 + 0.5;

    /// <summary>3 inputs, 8 hidden Hermite-2 neurons, 1 output.</summary>
    public static MlpConfig Config { get; } = new(3, [8], 1, ["hermite:2"]);

    /// <summary>Full-batch AdamW, 1500 steps, lr 0.02 with cosine decay.</summary>
    public static MlpTrainOptions Options { get; } = new() { Steps = 1500, Lr = 0.02f, MinLrFraction = 0.01f, Clip = 0 };

    /// <summary><paramref name="n"/> samples with x uniform in [-1, 1]^3 and Gaussian noise of std <paramref name="noise"/> on y.</summary>
    public static (float[] X, float[] Y) Data(int n = 512, double noise = 0.05, ulong seed = 1)
    {
        var rng = new Rng(seed);
        var x = new float[3 * n];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < 3; j++) x[3 * i + j] = (float)(2 * rng.NextDouble() - 1);
            // Box-Muller noise.
            double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            y[i] = (float)(Target(x[3 * i], x[3 * i + 1], x[3 * i + 2]) + noise * g);
        }
        return (x, y);
    }

    /// <summary>Trains the example's model on <see cref="Data"/> (all defaults) from seed <paramref name="seed"/>.</summary>
    public static (Mlp Model, MlpTrainResult Result) Train(ulong seed = 0)
    {
        var (x, y) = Data();
        var model = new Mlp(Config, new Rng(seed));
        var result = MlpTrainer.FitRegression(model, x, y, Options);
        return (model, result);
    }
}
