using System.Diagnostics;
using System.Globalization;
using Ortho.Models;
using Ortho.Optim;

namespace Ortho.Cli.Bench;

/// <summary>Training-step time of the default recipes' models on synthetic batches of the recipes' shapes.</summary>
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

    private static double Lm(string act, int steps)
    {
        const int B = 16, T = 128;
        var model = new Gpt(GptConfig.DefaultLm(act), new Rng(0));
        var opt = AdamW.ForModel(model, 1e-3f, 0.1f, beta2: 0.95f);
        var rng = new Rng(1);
        var x = new int[B * T];
        var y = new int[B * T];
        for (int i = 0; i < x.Length; i++) { x[i] = rng.NextInt(256); y[i] = rng.NextInt(256); }
        return Time(() =>
        {
            using (Tensor.Scope())
            {
                var loss = model.Loss(x, y, B, T);
                opt.ZeroGrad();
                loss.Backward();
            }
            GradClip.ClipGradNorm(model.Parameters(), 1f);
            opt.Step();
        }, steps);
    }

    private static double Image(string act, int steps)
    {
        const int B = 128;
        var model = new ConvNeXt(ConvNeXtConfig.FashionMnist(act), new Rng(0));
        var opt = AdamW.ForModel(model, 2e-3f, 0.05f, beta2: 0.999f);
        var rng = new Rng(1);
        var images = Tensor.RandN(rng, [B, 1, 28, 28]).Keep();
        var labels = new int[B];
        for (int i = 0; i < B; i++) labels[i] = rng.NextInt(10);
        return Time(() =>
        {
            using (Tensor.Scope())
            {
                var loss = Functional.CrossEntropy(model.Forward(images), labels);
                opt.ZeroGrad();
                loss.Backward();
            }
            opt.Step();
        }, steps);
    }
}
