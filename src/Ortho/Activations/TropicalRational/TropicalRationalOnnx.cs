using Ortho.Export.Onnx;

namespace Ortho.Activations;

/// <summary>The tropical rational activation in ONNX: max_k (p_k x + a_k) - max_k (q_k x + b_k), two ReduceMax.</summary>
internal static class TropicalRationalOnnx
{
    public static string Emit(OnnxGraphBuilder g, string x, LearnableActivation module)
    {
        string P(string name) => g.Parameter(module, name);
        string num = TropicalOnnx.MaxAffine(g, x, P(ActivationParameterNames.TropicalRational.PowersNum), P(ActivationParameterNames.TropicalRational.CoefficientsNum));
        string den = TropicalOnnx.MaxAffine(g, x, P(ActivationParameterNames.TropicalRational.PowersDenom), P(ActivationParameterNames.TropicalRational.CoefficientsDenom));
        return g.Sub(num, den);
    }
}
