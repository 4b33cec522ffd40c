using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Ortho.Export.Onnx;
using Ortho.Models;
using Ortho.NN;

namespace Ortho.Cli.Commands;

/// <summary>
/// Runs an exported model in ONNX Runtime (CPU, all graph optimizations) on random inputs and compares the logits
/// with Ortho's forward on the same inputs: <c>ortho export onnx --verify</c>, and the session helpers of
/// <c>ortho bench onnx</c>.
/// </summary>
internal static class OnnxVerify
{
    /// <summary>The tolerance a verified export meets: |ort - ortho| &lt;= atol + rtol |ortho|.</summary>
    public const double Atol = 1e-4, Rtol = 1e-3;

    /// <summary>The ONNX Runtime version string, e.g. 1.31.1.</summary>
    public static string RuntimeVersion => OrtEnv.Instance().GetVersionString();

    /// <summary>A CPU session with all graph optimizations and <paramref name="threads"/> intra-op threads.</summary>
    public static InferenceSession Session(byte[] model, int threads)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        return new InferenceSession(model, options);
    }

    /// <summary>Runs the session's single input through it and returns its first output's values.</summary>
    public static float[] Run<T>(InferenceSession session, T[] data, long[] shape) where T : unmanaged
    {
        using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, session.InputNames, [value], session.OutputNames);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>One comparison: the inputs' shape, the largest |ort - ortho|, the largest |ortho|, and the worst tolerance ratio.</summary>
    public sealed record Check(string Shape, double MaxDifference, double MaxMagnitude, double WorstRatio);

    /// <summary>
    /// Compares ONNX Runtime on <paramref name="onnx"/> with <paramref name="model"/>'s forward on random inputs of
    /// every shape the export allows (batch 1 and 3 when the batch is symbolic; the block and a shorter sequence when
    /// the sequence is).
    /// </summary>
    public static List<Check> Compare(Module model, byte[] onnx, OnnxExportOptions options, ulong seed = 7)
    {
        var rng = new Rng(seed);
        int[] batches = options.DynamicBatch ? [1, 3] : [options.BatchSize];
        var checks = new List<Check>();
        using var session = Session(onnx, Math.Max(1, Environment.ProcessorCount));
        foreach (int b in batches)
        {
            switch (model)
            {
                case Gpt gpt:
                    int block = gpt.Config.Block;
                    int[] lengths = options.SequenceLength is int s ? [s] : block > 1 ? [block, Math.Max(1, block / 2 - 1)] : [block];
                    foreach (int t in lengths)
                    {
                        var ids = new int[b * t];
                        for (int i = 0; i < ids.Length; i++) ids[i] = rng.NextInt(gpt.Config.Vocab);
                        float[] ortho;
                        using (Tensor.NoGrad()) ortho = gpt.Forward(ids, b, t).ToArray();
                        var ort = Run(session, ids.Select(i => (long)i).ToArray(), [b, t]);
                        checks.Add(Measure($"[{b}, {t}]", ort, ortho));
                    }
                    break;
                case ConvNeXt net:
                    int size = options.ImageSize ?? net.Config.ImageSize, c = net.Config.InChans;
                    var images = new float[b * c * size * size];
                    rng.FillNormal(images);
                    float[] expected;
                    using (Tensor.NoGrad()) expected = net.Forward(Tensor.FromArray(images, b, c, size, size)).ToArray();
                    checks.Add(Measure($"[{b}, {c}, {size}, {size}]", Run(session, images, [b, c, size, size]), expected));
                    break;
                default:
                    throw new InvalidOperationException($"verify: {model.GetType().Name} is not a GPT or ConvNeXt.");
            }
        }
        return checks;
    }

    private static Check Measure(string shape, float[] ort, float[] ortho)
    {
        if (ort.Length != ortho.Length) throw new InvalidOperationException($"verify: at input {shape} ONNX Runtime gave {ort.Length} values, Ortho {ortho.Length}.");
        double maxDiff = 0, maxMag = 0, worst = 0;
        for (int i = 0; i < ort.Length; i++)
        {
            double d = Math.Abs((double)ort[i] - ortho[i]), m = Math.Abs((double)ortho[i]);
            maxDiff = Math.Max(maxDiff, double.IsNaN(d) ? double.PositiveInfinity : d);
            maxMag = Math.Max(maxMag, m);
            worst = Math.Max(worst, double.IsNaN(d) ? double.PositiveInfinity : d / (Atol + Rtol * m));
        }
        return new Check(shape, maxDiff, maxMag, worst);
    }

    /// <summary>Prints the checks and throws unless every one is within the tolerance.</summary>
    public static void Report(IReadOnlyList<Check> checks, TextWriter output)
    {
        output.WriteLine($"verify: ONNX Runtime {RuntimeVersion} (CPU, all graph optimizations) against Ortho's forward on random inputs:");
        foreach (var c in checks)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  input {c.Shape,-18} max |difference| {c.MaxDifference:0.00E+0}   largest |logit| {c.MaxMagnitude:G4}   {(c.WorstRatio <= 1 ? "ok" : "FAILED")}"));
        if (checks.Any(c => !(c.WorstRatio <= 1)))
            throw new InvalidOperationException($"verify: ONNX Runtime's logits differ from Ortho's beyond atol {Atol} + rtol {Rtol} (see above).");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"verify: ok, within atol {Atol} + rtol {Rtol}."));
    }
}
