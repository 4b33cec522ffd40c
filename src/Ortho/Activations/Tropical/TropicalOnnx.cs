using Ortho.Export.Onnx;

namespace Ortho.Activations;

/// <summary>
/// The tropical activation in ONNX: f(x) = (sqrt(2)/n) ReduceMax_k (k x + a_k), the n + 1 lines along a new last
/// axis; float(k x) + a_k exactly as the kernel computes it, so the maximum (and ties) agree.
/// </summary>
internal static class TropicalOnnx
{
    public static string Emit(OnnxGraphBuilder g, string x, LearnableActivation module)
    {
        int n = module.Degree;
        var slopes = Enumerable.Range(0, n + 1).Select(k => (float)k).ToArray();
        string max = MaxAffine(g, x, g.Constant("slopes", slopes, n + 1), g.Parameter(module, ActivationParameterNames.Tropical.Coefficients));
        return g.Mul(max, g.Scalar(TropicalKernels.Scale(n)));
    }

    /// <summary>max_k (s_k x + a_k) for slope and intercept vectors of one length.</summary>
    public static string MaxAffine(OnnxGraphBuilder g, string x, string slopes, string intercepts) =>
        g.ReduceMax(g.Add(g.Mul(g.Unsqueeze(x, -1), slopes), intercepts), [-1]);
}
