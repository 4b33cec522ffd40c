using System.CommandLine;
using System.Globalization;
using Ortho.Analysis;
using Ortho.Data;
using Ortho.Models;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho mlp train --task quadratic|fashion ...</c>: trains a small MLP to analyse with <c>ortho polynomial</c> and
/// <c>ortho regions</c>. Tasks: <c>quadratic</c> (y = x0 x1 - x2^2 + 0.5 from 512 noisy samples, MSE) and
/// <c>fashion</c> (Fashion-MNIST images of <c>--classes</c> projected to <c>--pca</c> principal components,
/// standardized, cross-entropy).
/// </summary>
internal static class MlpCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = "quadratic or fashion.", DefaultValueFactory = _ => "quadratic" };
        var hidden = new Option<string>("--hidden") { Description = "Hidden widths, comma-separated (e.g. 16,16).", DefaultValueFactory = _ => "8" };
        var act = new Option<string>("--activation") { Description = "One activation for all hidden layers, or one per layer (comma-separated).", DefaultValueFactory = _ => "hermite:2" };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => 1500 };
        var lr = new Option<float>("--lr") { Description = "Peak learning rate (AdamW, cosine decay).", DefaultValueFactory = _ => 0.02f };
        var batch = new Option<int>("--batch") { Description = "Rows per step (0: full batch).", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initialization and the batch order.", DefaultValueFactory = _ => 0UL };
        var pca = new Option<int>("--pca") { Description = "fashion: number of principal components (the model's inputs).", DefaultValueFactory = _ => 2 };
        var classes = new Option<string>("--classes") { Description = "fashion: class indices to keep, comma-separated (0 T-shirt ... 9 ankle boot).", DefaultValueFactory = _ => "1,8" };
        var data = new Option<string?>("--data") { Description = "fashion: data directory (default: ORTHO_DATA or ./data, then fashion-mnist)." };
        var output = new Option<string>("--out") { Description = "Where to write the model (safetensors with its config).", Required = true };
        var threads = CommonOptions.Threads();
        var train = new Command("train", "Train a small MLP on a built-in task and save it.") { task, hidden, act, steps, lr, batch, seed, pca, classes, data, output, threads };
        train.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            var widths = ParseInts(p.GetValue(hidden)!, "--hidden");
            var acts = p.GetValue(act)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (acts.Length == 1 && widths.Length > 1) acts = Enumerable.Repeat(acts[0], widths.Length).ToArray();
            var options = new MlpTrainOptions { Steps = p.GetValue(steps), Lr = p.GetValue(lr), BatchSize = p.GetValue(batch), Seed = p.GetValue(seed), Clip = 0 };
            var path = p.GetValue(output)!;
            switch (p.GetValue(task))
            {
                case "quadratic":
                {
                    var (x, y) = QuadraticExample.Data();
                    var model = new Mlp(new MlpConfig(3, widths, 1, acts), new Rng(p.GetValue(seed)));
                    var r = MlpTrainer.FitRegression(model, x, y, options);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{model.Config}: {QuadraticExample.Formula} + N(0, 0.05^2) noise, 512 samples; MSE {r.Losses[0]:G4} -> {r.FinalLoss:G4}"));
                    model.Save(path);
                    break;
                }
                case "fashion":
                {
                    var set = FashionPca.Load(p.GetValue(data), ParseInts(p.GetValue(classes)!, "--classes"), p.GetValue(pca));
                    var model = new Mlp(new MlpConfig(set.Components, widths, set.Classes.Length, acts), new Rng(p.GetValue(seed)));
                    var r = MlpTrainer.FitClassification(model, set.TrainX, set.TrainY, options);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{model.Config}: Fashion-MNIST classes {string.Join(",", set.Classes)} on {set.Components} principal components; loss {r.Losses[0]:G4} -> {r.FinalLoss:G4}; accuracy train {MlpTrainer.Accuracy(model, set.TrainX, set.TrainY):P1}, test {MlpTrainer.Accuracy(model, set.TestX, set.TestY):P1}"));
                    model.Save(path);
                    break;
                }
                case var other:
                    throw new ArgumentException($"--task must be quadratic or fashion, got '{other}'.");
            }
            Console.WriteLine($"Saved to {path}.");
            return 0;
        });
        return new Command("mlp", "Small MLPs for the polynomial and region analyses.") { train };
    }

    /// <summary>Comma-separated integers; the message names the option.</summary>
    public static int[] ParseInts(string s, string option)
    {
        var parts = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException($"{option}: expected comma-separated integers, got '{s}'.");
        return parts.Select(x => int.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
            : throw new ArgumentException($"{option}: '{x}' is not an integer.")).ToArray();
    }

    /// <summary>Comma-separated numbers; the message names the option.</summary>
    public static double[] ParseDoubles(string s, string option)
    {
        var parts = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException($"{option}: expected comma-separated numbers, got '{s}'.");
        return parts.Select(x => double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v
            : throw new ArgumentException($"{option}: '{x}' is not a finite number.")).ToArray();
    }
}

/// <summary>
/// Fashion-MNIST restricted to some classes and projected onto the leading principal components of their training
/// images (fitted on the training split), each coordinate scaled to unit variance. Labels are renumbered 0..k-1.
/// </summary>
internal sealed record FashionPca(int Components, int[] Classes, float[] TrainX, int[] TrainY, float[] TestX, int[] TestY)
{
    public static FashionPca Load(string? dir, int[] classes, int components)
    {
        if (classes.Length < 2 || classes.Distinct().Count() != classes.Length || classes.Any(c => c < 0 || c >= FashionMnist.Classes))
            throw new ArgumentException($"--classes: give at least two different classes in 0..{FashionMnist.Classes - 1}.");
        if (components < 1 || components > 784) throw new ArgumentException($"--pca must be in 1..784, got {components}.");
        var fm = FashionMnist.Load(dir is null ? FashionMnist.DefaultDirectory : Path.Combine(dir, "fashion-mnist"));
        var (trainRows, trainY) = Select(fm.Train, classes);
        var (testRows, testY) = Select(fm.Test, classes);
        int dim = fm.Train.Height * fm.Train.Width;
        var pca = Pca.Fit(trainRows, trainY.Length, dim, components, iterations: 30, seed: 0);
        var trainX = pca.Project(trainRows, trainY.Length);
        var testX = pca.Project(testRows, testY.Length);
        // Unit variance per component (training statistics; the projection is already centred).
        for (int c = 0; c < components; c++)
        {
            double sq = 0;
            for (int i = 0; i < trainY.Length; i++) sq += trainX[i * components + c] * (double)trainX[i * components + c];
            float inv = (float)(1 / Math.Sqrt(sq / trainY.Length));
            for (int i = 0; i < trainY.Length; i++) trainX[i * components + c] *= inv;
            for (int i = 0; i < testY.Length; i++) testX[i * components + c] *= inv;
        }
        return new FashionPca(components, classes, trainX, trainY, testX, testY);
    }

    private static (float[] Rows, int[] Labels) Select(ImageDataset set, int[] classes)
    {
        int dim = set.Channels * set.Height * set.Width;
        var idx = Enumerable.Range(0, set.Count).Where(i => classes.Contains(set.Labels[i])).ToArray();
        var rows = new float[idx.Length * dim];
        var labels = new int[idx.Length];
        for (int r = 0; r < idx.Length; r++)
        {
            set.Images.AsSpan(idx[r] * dim, dim).CopyTo(rows.AsSpan(r * dim, dim));
            labels[r] = Array.IndexOf(classes, set.Labels[idx[r]]);
        }
        return (rows, labels);
    }
}
