using System.Diagnostics;
using System.Globalization;
using Ortho.Data;
using Ortho.Training;

namespace Ortho.Cli.Bench;

/// <summary>
/// Training-step time of the default recipes on synthetic data of the recipes' shapes: the task's batch and the
/// trainer's guarded <see cref="TrainStep"/> (loss and gradient checks, clip or norm, AdamW), no checkpoints or metrics.
/// </summary>
internal static class TrainBench
{
    public static void Run(string task, string[] activations, int[] threads, int steps, bool json, TextWriter output)
    {
        if (steps < 1) throw new ArgumentException($"--steps must be at least 1, got {steps}.");
        if (!json) output.WriteLine($"{"task",-6} {"activation",-20} {"threads",7} {"ms/step",10}");
        foreach (var act in activations)
            foreach (var th in threads)
            {
                EngineSettings.Threads = th;
                double ms = task == "lm" ? Lm(act, steps) : Image(act, steps);
                if (json)
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"task\":\"{task}\",\"activation\":\"{act}\",\"threads\":{th},\"ms_per_step\":{ms:F2}}}"));
                else
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{task,-6} {act,-20} {th,7} {ms,10:F1}"));
            }
    }

    /// <summary>Median of timed steps after a warm-up of at least 3 steps and 1 s.</summary>
    private static double Time(Action step, int steps)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 3 || sw.Elapsed.TotalSeconds < 1; i++) step();
        var t = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            sw.Restart();
            step();
            t[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(t);
        return t[steps / 2];
    }

    /// <summary>The default LM recipe's task on random bytes: the trainer's model, optimizer and guarded step.</summary>
    private static double Lm(string act, int steps)
    {
        var recipe = new LmRecipe { Activation = act };
        var rng = new Rng(1);
        var bytes = new byte[64 * 1024];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)rng.NextInt(256);
        return Time(new LmTask(recipe, bytes, bytes), steps);
    }

    /// <summary>The default image recipe's task on one batch of random 28x28 images: the trainer's model, optimizer and guarded step.</summary>
    private static double Image(string act, int steps)
    {
        var d = new ImageRecipe();
        var recipe = d with { Model = d.Model with { Activation = act } };
        int b = recipe.Train.Batch, size = recipe.Model.ImageSize;
        var rng = new Rng(1);
        var images = new float[b * size * size];
        rng.FillNormal(images);
        var labels = new byte[b];
        for (int i = 0; i < b; i++) labels[i] = (byte)rng.NextInt(FashionMnist.Classes);
        var data = new ImageDataset(images, labels, 1, size, size);
        return Time(new ImageTask(recipe, data, data), steps);
    }

    /// <summary>Times the task's batch plus the trainer's <see cref="TrainStep"/> at the recipe's peak learning rate.</summary>
    private static double Time(ITrainingTask task, int steps)
    {
        var step = TrainStep.ForTask(task);
        Func<Tensor> loss = task.Loss;
        int n = 0;
        return Time(() =>
        {
            task.NextBatch();
            step.Run(n++, task.Train.Lr, loss);
        }, steps);
    }
}
