using Ortho.Optim;

namespace Ortho.Models;

/// <summary>The loss <see cref="MlpTrainer"/> minimizes.</summary>
public enum MlpLoss
{
    /// <summary>Mean squared error over all outputs (regression).</summary>
    MeanSquaredError,
    /// <summary>Softmax cross-entropy of the outputs as logits against class labels (classification).</summary>
    CrossEntropy,
}

/// <summary>Settings of <see cref="MlpTrainer"/>.</summary>
public sealed record MlpTrainOptions
{
    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>Peak learning rate (AdamW); decays by a cosine to <see cref="MinLrFraction"/> of it.</summary>
    public float Lr { get; init; } = 1e-2f;

    /// <summary>The final learning rate as a fraction of <see cref="Lr"/>.</summary>
    public float MinLrFraction { get; init; } = 0.01f;

    /// <summary>Weight decay on the Linear weights (activation parameters and biases get none).</summary>
    public float WeightDecay { get; init; }

    /// <summary>Rows per step; 0 (the default) trains on the full batch every step.</summary>
    public int BatchSize { get; init; }

    /// <summary>Seed of the minibatch order.</summary>
    public ulong Seed { get; init; }

    /// <summary>Gradient-norm clip (0: off).</summary>
    public float Clip { get; init; } = 1f;
}

/// <summary>The losses of a <see cref="MlpTrainer"/> run.</summary>
/// <param name="Losses">The training loss of every step (of that step's batch, before its update).</param>
/// <param name="FinalLoss">The loss over the whole training set after the last step.</param>
public sealed record MlpTrainResult(IReadOnlyList<float> Losses, double FinalLoss);

/// <summary>
/// Trains an <see cref="Mlp"/> on in-memory arrays with AdamW (weight decay on Linear weights only) and a cosine
/// learning-rate decay, full-batch or on seeded minibatches: deterministic for a given model init and options.
/// </summary>
public static class MlpTrainer
{
    /// <summary>Minimizes the mean squared error of outputs y (row-major [n, outputs]) for inputs x ([n, inputs]).</summary>
    public static MlpTrainResult FitRegression(Mlp model, float[] x, float[] y, MlpTrainOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = Rows(model, x);
        if (y.Length != n * model.Config.Outputs) throw new ArgumentException($"MlpTrainer: {y.Length} targets are not {n} rows of {model.Config.Outputs} outputs.");
        return Fit(model, x, n, options ?? new(), (rows, count) =>
        {
            var pred = model.Forward(Gather(x, rows, count, model.Config.Inputs));
            var diff = pred - Gather(y, rows, count, model.Config.Outputs);
            return (diff * diff).Mean();
        });
    }

    /// <summary>Minimizes the cross-entropy of the outputs (logits) against <paramref name="labels"/> (0..outputs-1).</summary>
    public static MlpTrainResult FitClassification(Mlp model, float[] x, int[] labels, MlpTrainOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = Rows(model, x);
        if (labels.Length != n) throw new ArgumentException($"MlpTrainer: {labels.Length} labels for {n} rows.");
        int bad = Array.FindIndex(labels, l => l < 0 || l >= model.Config.Outputs);
        if (bad >= 0) throw new ArgumentException($"MlpTrainer: label {labels[bad]} at row {bad} is outside 0..{model.Config.Outputs - 1}.");
        return Fit(model, x, n, options ?? new(), (rows, count) =>
        {
            var logits = model.Forward(Gather(x, rows, count, model.Config.Inputs));
            var t = new int[count];
            for (int i = 0; i < count; i++) t[i] = labels[rows?[i] ?? i];
            return Functional.CrossEntropy(logits, t);
        });
    }

    /// <summary>The fraction of rows whose largest output is the label.</summary>
    public static double Accuracy(Mlp model, float[] x, int[] labels)
    {
        int n = Rows(model, x), k = model.Config.Outputs;
        var logits = model.Predict(x, n);
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + best]) best = j;
            if (best == labels[i]) correct++;
        }
        return n == 0 ? 0 : (double)correct / n;
    }

    private static int Rows(Mlp model, float[] x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Length == 0 || x.Length % model.Config.Inputs != 0)
            throw new ArgumentException($"MlpTrainer: {x.Length} input values are not whole rows of {model.Config.Inputs}.");
        return x.Length / model.Config.Inputs;
    }

    /// <summary>Rows <paramref name="rows"/> (or the first <paramref name="count"/> when null) of a row-major array.</summary>
    private static Tensor Gather(float[] data, int[]? rows, int count, int width)
    {
        if (rows is null) return Tensor.FromArray(data.AsSpan(0, count * width), count, width);
        var t = Tensor.Empty([count, width]);
        var d = t.Data;
        for (int i = 0; i < count; i++) data.AsSpan(rows[i] * width, width).CopyTo(d.Slice(i * width, width));
        return t;
    }

    private static MlpTrainResult Fit(Mlp model, float[] x, int n, MlpTrainOptions o, Func<int[]?, int, Tensor> loss)
    {
        if (o.Steps <= 0) throw new ArgumentOutOfRangeException(nameof(o), $"MlpTrainer: steps must be positive, got {o.Steps}.");
        if (o.BatchSize < 0) throw new ArgumentOutOfRangeException(nameof(o), $"MlpTrainer: batch size must be >= 0, got {o.BatchSize}.");
        int batch = o.BatchSize == 0 || o.BatchSize >= n ? n : o.BatchSize;
        var opt = AdamW.ForModel(model, o.Lr, o.WeightDecay);
        var schedule = new WarmupCosineSchedule(o.Lr, o.Lr * o.MinLrFraction, 0, o.Steps);
        var rng = new Rng(o.Seed);
        var order = Enumerable.Range(0, n).ToArray();
        int pos = n;
        var losses = new List<float>(o.Steps);
        model.Train();
        for (int step = 0; step < o.Steps; step++)
        {
            int[]? rows = null;
            if (batch < n)
            {
                rows = new int[batch];
                for (int i = 0; i < batch; i++)
                {
                    if (pos == n) { Shuffle(order, rng); pos = 0; }
                    rows[i] = order[pos++];
                }
            }
            opt.Lr = schedule.At(step);
            using (Tensor.Scope())
            {
                var l = loss(rows, batch);
                float v = l.Item();
                if (!float.IsFinite(v)) throw new InvalidOperationException($"MlpTrainer: the loss became {v} at step {step}; lower the learning rate.");
                losses.Add(v);
                opt.ZeroGrad();
                l.Backward();
            }
            if (o.Clip > 0) GradClip.ClipGradNorm(model.Parameters(), o.Clip);
            opt.Step();
        }
        model.Eval();
        double final;
        using (Tensor.NoGrad())
        using (Tensor.Scope()) final = loss(null, n).Item();
        return new MlpTrainResult(losses, final);
    }

    private static void Shuffle(int[] a, Rng rng)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }
}
