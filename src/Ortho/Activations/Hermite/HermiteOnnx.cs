using Ortho.Export.Onnx;

namespace Ortho.Activations;

/// <summary>
/// The Hermite activation in ONNX, from the one initializer <c>coefficients</c> (a_0..a_n). Up to degree
/// <see cref="HornerMaxDegree"/>: the monomial coefficients b = a M (M: the monomial coefficients of He_k/k!, the
/// same numbers as torchortho's <c>coeffs</c> buffer; runtimes fold the product at load) and Horner's rule, 2n
/// elementwise nodes. Above it, where the monomial form cancels badly in float32, the kernel's recurrence phi_0 = 1,
/// phi_1 = x, phi_k = (x phi_{k-1} - phi_{k-2}) * (1/k), f = sum_k a_k phi_k (5 nodes per degree). With torchortho's soft
/// clamp (<c>hermite:n+clamp</c>) the basis is taken at (Sigmoid(x) - 1/2) 2L, L the initializer <c>clamp.lim_val</c>.
/// </summary>
internal static class HermiteOnnx
{
    /// <summary>The highest degree written with Horner's rule (the tests hold the monomial form to the kernel for |x| up to 12 at degrees up to 16).</summary>
    public const int HornerMaxDegree = 8;

    public static string Emit(OnnxGraphBuilder g, string x, LearnableActivation module)
    {
        // The coefficients, and with torchortho's soft clamp its limit L: x <- (Sigmoid(x) - 1/2) 2L first.
        var other = module.NamedParameters().Select(p => p.Name)
            .Where(name => name is not (ActivationParameterNames.Hermite.Coefficients or ActivationParameterNames.Hermite.ClampLimit)).ToList();
        if (other.Count > 0)
            throw new NotSupportedException($"hermite activations with {string.Join(", ", other)} have no ONNX form.");
        if (module is HermiteActivation { IsClamped: true })
        {
            string limit = g.Parameter(module, ActivationParameterNames.Hermite.ClampLimit);
            x = g.Mul(g.Sub(g.Node("Sigmoid", [x]), g.Scalar(0.5f)), g.Mul(limit, g.Scalar(2f)));
        }
        int n = module.Degree;
        string a = g.Parameter(module, ActivationParameterNames.Hermite.Coefficients);
        return n <= HornerMaxDegree ? Horner(g, x, a, n) : Recurrence(g, x, a, n);
    }

    private static string[] Scalars(OnnxGraphBuilder g, string vector, int count) =>
        g.Node("Split", [vector, g.Int64s(Enumerable.Repeat(1L, count).ToArray())], count, OnnxAttribute.Int("axis", 0));

    private static string Horner(OnnxGraphBuilder g, string x, string a, int n)
    {
        // M[k, j] = coefficient of x^j in He_k(x)/k! = (-1)^i / (i! (k-2i)! 2^i) for j = k - 2i.
        var m = new float[(n + 1) * (n + 1)];
        for (int k = 0; k <= n; k++)
            for (int i = 0; 2 * i <= k; i++)
                m[k * (n + 1) + k - 2 * i] = (float)((i % 2 == 0 ? 1 : -1) / (Factorial(i) * Factorial(k - 2 * i) * Math.Pow(2, i)));
        var b = Scalars(g, g.MatMul(a, g.Constant("hermite_monomials", m, n + 1, n + 1)), n + 1);
        string f = g.Add(g.Mul(x, b[n]), b[n - 1]);
        for (int j = n - 2; j >= 0; j--) f = g.Add(g.Mul(f, x), b[j]);
        return f;
    }

    private static string Recurrence(OnnxGraphBuilder g, string x, string coefficients, int n)
    {
        var a = Scalars(g, coefficients, n + 1);
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

    private static double Factorial(int n)
    {
        double f = 1;
        for (int k = 2; k <= n; k++) f *= k;
        return f;
    }
}
