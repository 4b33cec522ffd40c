using Ortho.Export.Onnx;

namespace Ortho.Activations;

/// <summary>
/// The Fourier activation in ONNX: f(x) = f0 + cos(x w - p) . (c / (1!, ..., n!)), the n harmonics along a new last
/// axis and summed by a MatMul with the amplitude vector. The parameters keep their names (<c>fundamental</c>,
/// <c>coefficients</c>, <c>phases</c>, <c>grid</c>); the factorials are a constant.
/// </summary>
internal static class FourierOnnx
{
    public static string Emit(OnnxGraphBuilder g, string x, LearnableActivation module)
    {
        int n = module.Degree;
        var factorials = new float[n];
        double f = 1;
        for (int k = 1; k <= n; k++) factorials[k - 1] = (float)(f *= k);
        string amplitude = g.Div(g.Parameter(module, ActivationParameterNames.Fourier.Coefficients), g.Constant("factorials", factorials, n));
        string angle = g.Sub(g.Mul(g.Unsqueeze(x, -1), g.Parameter(module, ActivationParameterNames.Fourier.Grid)),
            g.Parameter(module, ActivationParameterNames.Fourier.Phases));
        return g.Add(g.MatMul(g.Node("Cos", [angle]), amplitude), g.Parameter(module, ActivationParameterNames.Fourier.Fundamental));
    }
}
