using Ortho.Export.Onnx;

namespace Ortho.Activations;

/// <summary>
/// The Hermite activation in ONNX: f(x) = sum_k a_k phi_k(x) with the kernel's recurrence phi_0 = 1, phi_1 = x,
/// phi_k = (x phi_{k-1} - phi_{k-2}) * (1/k), accumulated in the kernel's order (a_0 + a_1 x first). The
/// coefficients stay one initializer, <c>coefficients</c>, split into scalars inside the graph.
/// </summary>
internal static class HermiteOnnx
{
    public static string Emit(OnnxGraphBuilder g, string x, LearnableActivation module)
    {
        int n = module.Degree;
        var a = g.Node("Split", [g.Parameter(module, ActivationParameterNames.Hermite.Coefficients), g.Int64s(Enumerable.Repeat(1L, n + 1).ToArray())],
            n + 1, OnnxAttribute.Int("axis", 0));
        string f = g.Add(g.Mul(x, a[1]), a[0]);
        string? p0 = null; // phi_0 = 1
        string p1 = x;
        for (int k = 2; k <= n; k++)
        {
            string xp = g.Mul(x, p1);
            string p2 = g.Mul(p0 is null ? g.Sub(xp, g.Scalar(1f)) : g.Sub(xp, p0), g.Scalar(1f / k));
            f = g.Add(g.Mul(p2, a[k]), f);
            (p0, p1) = (p1, p2);
        }
        return f;
    }
}
