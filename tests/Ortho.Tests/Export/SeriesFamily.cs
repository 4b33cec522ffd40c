using Ortho.Activations;
using Ortho.Export.Onnx;

namespace Ortho.Tests.Export;

/// <summary>
/// A kind defined in the tests only, with its own ONNX form: the truncated exponential series
/// f(x) = sum_{k=0..n} a_k x^k / k! (parameter <c>coefficients</c>, init a_k = 1), written to ONNX by Horner's rule.
/// It shows that a kind outside the library exports through <see cref="ActivationFamily.EmitOnnx"/> alone.
/// </summary>
public sealed class SeriesFamily : ActivationFamily
{
    public static SeriesFamily Instance { get; } = new();

    /// <summary>Registers <see cref="Instance"/> (idempotent) and returns it.</summary>
    public static SeriesFamily Registered()
    {
        ActivationRegistry.Register(Instance);
        return Instance;
    }

    public override string Name => "onnx_series";
    public override int MinDegree => 1;
    public override int MaxDegree => 8;
    public override IReadOnlyList<ActivationParameterSpec> Parameters { get; } = [new("coefficients", n => n + 1)];

    protected override void Initialize(ActivationParameters p, Rng? rng) => Array.Fill(p["coefficients"], 1f);

    // b_k = a_k / k!, f = b_0 + x (b_1 + x (b_2 + ...)), f' = sum_k k b_k x^(k-1).
    public override double Evaluate(double x, IParameterSpans p, int degree, out double derivative)
    {
        ReadOnlySpan<float> a = p[0];
        double f = 0, d = 0;
        for (int k = degree; k >= 0; k--)
        {
            double b = a[k] / Factorial(k);
            d = d * x + f;
            f = f * x + b;
        }
        derivative = d;
        return f;
    }

    public override void Forward(Span<float> y, ReadOnlySpan<float> x, IParameterSpans p, int degree)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)Evaluate(x[i], p, degree, out _);
    }

    public override void Backward(Span<float> dx, IParameterSpans grads, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        IParameterSpans p, int degree, bool needDx, bool accumulateDx)
    {
        Span<float> ga = grads[0];
        for (int i = 0; i < x.Length; i++)
        {
            Evaluate(x[i], p, degree, out double d);
            if (needDx) dx[i] = (float)((accumulateDx ? dx[i] : 0) + dy[i] * d);
            double xk = 1;
            for (int k = 0; k <= degree; k++, xk *= x[i]) ga[k] += (float)(dy[i] * xk / Factorial(k));
        }
    }

    public override string EmitOnnx(OnnxGraphBuilder graph, string input, LearnableActivation module)
    {
        int n = module.Degree;
        var factorials = Enumerable.Range(0, n + 1).Select(k => (float)Factorial(k)).ToArray();
        string b = graph.Div(graph.Parameter(module, "coefficients"), graph.Constant("factorials", factorials, n + 1));
        var parts = graph.Node("Split", [b, graph.Int64s(Enumerable.Repeat(1L, n + 1).ToArray())], n + 1, OnnxAttribute.Int("axis", 0));
        string f = parts[n];
        for (int k = n - 1; k >= 0; k--) f = graph.Add(graph.Mul(f, input), parts[k]);
        return f; // degree >= 1: x appears at least once, so f has x's shape
    }

    private static double Factorial(int k)
    {
        double f = 1;
        for (int i = 2; i <= k; i++) f *= i;
        return f;
    }
}
