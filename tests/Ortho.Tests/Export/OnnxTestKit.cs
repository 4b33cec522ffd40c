using Microsoft.ML.OnnxRuntime;
using Ortho.Activations;
using Ortho.Models;
using Ortho.NN;
using Xunit;

namespace Ortho.Tests.Export;

/// <summary>Runs exported models in ONNX Runtime (CPU) and compares with Ortho's forward.</summary>
internal static class OnnxTestKit
{
    public const double Atol = 1e-4, Rtol = 1e-3;

    /// <summary>A session over the model bytes with every graph optimization ONNX Runtime has.</summary>
    public static InferenceSession Session(byte[] model, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = level, IntraOpNumThreads = 1 };
        return new InferenceSession(model, options);
    }

    /// <summary>Runs one input through the session; returns the single output's values and shape.</summary>
    public static (float[] Values, long[] Shape) Run<T>(InferenceSession session, string input, T[] data, long[] shape) where T : unmanaged
    {
        using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [input], [value], session.OutputNames);
        var o = outputs[0];
        return (o.GetTensorDataAsSpan<float>().ToArray(), o.GetTensorTypeAndShape().Shape);
    }

    /// <summary>|ort - ortho| &lt;= atol + rtol |ortho| everywhere; returns the largest absolute difference.</summary>
    public static double AssertClose(ReadOnlySpan<float> ort, ReadOnlySpan<float> ortho, string what, double atol = Atol, double rtol = Rtol)
    {
        Assert.True(ort.Length == ortho.Length, $"{what}: ONNX Runtime gave {ort.Length} values, Ortho {ortho.Length}");
        double max = 0;
        for (int i = 0; i < ort.Length; i++)
        {
            double a = ort[i], b = ortho[i], d = Math.Abs(a - b);
            if (!(d <= atol + rtol * Math.Abs(b)))
                throw new Xunit.Sdk.XunitException($"{what}[{i}]: ONNX Runtime {a:R}, Ortho {b:R} (atol {atol}, rtol {rtol})");
            max = Math.Max(max, d);
        }
        return max;
    }

    /// <summary>Ortho's logits for token ids [batch, tokens].</summary>
    public static float[] OrthoLogits(Gpt model, int[] ids, int batch, int tokens)
    {
        using (Tensor.NoGrad()) return model.Forward(ids, batch, tokens).ToArray();
    }

    /// <summary>Ortho's logits for images [batch, C, H, W].</summary>
    public static float[] OrthoLogits(ConvNeXt model, float[] images, int batch, int size)
    {
        using (Tensor.NoGrad()) return model.Forward(Tensor.FromArray(images, batch, model.Config.InChans, size, size)).ToArray();
    }

    /// <summary>
    /// Moves every parameter away from its initialization (layer scale 1e-6 and std-0.02 weights would hide a wrong
    /// block), learnable activations' parameters by a smaller relative amount so that they stay well conditioned.
    /// </summary>
    public static void Perturb(Module model, ulong seed)
    {
        var rng = new Rng(seed);
        var activationParams = new HashSet<Tensor>(model.NamedModules().Where(m => m.Module is LearnableActivation)
            .SelectMany(m => m.Module.Parameters()), ReferenceEqualityComparer.Instance);
        foreach (var p in model.Parameters())
        {
            var d = p.Data;
            for (int i = 0; i < d.Length; i++)
                d[i] = activationParams.Contains(p) ? d[i] * (1 + 0.2f * (float)(rng.NextDouble() - 0.5)) + 0.05f * (float)(rng.NextDouble() - 0.5)
                    : d[i] + 0.25f * (float)(rng.NextDouble() - 0.5);
        }
    }

    /// <summary>The activation specs every model test runs: the classic ones and each built-in learnable kind.</summary>
    public static TheoryData<string> Activations() =>
        ["gelu", "gelu_tanh", "relu", "silu", "tanh", "sigmoid", "hermite:3", "hermite:6", "fourier:3", "tropical:3", "tropical_rational:2"];
}
