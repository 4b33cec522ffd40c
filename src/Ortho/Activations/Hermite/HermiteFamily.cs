namespace Ortho.Activations;

/// <summary>
/// The Hermite kind: f(x) = sum_{k=0..n} a_k He_k(x) / k! (probabilists' Hermite polynomials), parameter
/// <c>coefficients</c> a (n + 1), torchortho's constant buffers <c>coeffs</c> and <c>grid</c> (the monomial
/// coefficients and powers of He_k/k!). Init: a_0 = e^{-1/2} sqrt(1 - 1/n!), a_k = e^{-1/2}, which balances the
/// forward and backward second moments under x ~ N(0, 1). Fit: linear least squares; moments: exact quadrature.
/// </summary>
internal sealed class HermiteFamily : ActivationFamily
{
    private HermiteFamily() { }
    public static HermiteFamily Instance { get; } = new();
    public override string Name => "hermite";
    public override int MinDegree => HermiteKernels.MinDegree;
    public override int MaxDegree => HermiteKernels.MaxDegree;

    public override IReadOnlyList<ActivationParameterSpec> Parameters { get; } =
        [new(ActivationParameterNames.Hermite.Coefficients, n => n + 1)];

    /// <summary>He_k(x)/k! = sum_j coeffs[k, j] x^grid[k, j], j = 0..n/2 (zero-padded), as torchortho stores it.</summary>
    public override IReadOnlyList<ActivationBuffer> Buffers(int degree)
    {
        int n = degree, w = n / 2 + 1;
        var c = new float[(n + 1) * w];
        var g = new float[(n + 1) * w];
        for (int k = 0; k <= n; k++)
            for (int j = 0; j <= k / 2; j++)
            {
                // He_k = sum_j (-1)^j k! / (j! (k-2j)! 2^j) x^(k-2j); divided by k!.
                c[k * w + j] = (float)((j % 2 == 0 ? 1 : -1) / (Factorial(j) * Factorial(k - 2 * j) * Math.Pow(2, j)));
                g[k * w + j] = k - 2 * j;
            }
        return [new(ActivationParameterNames.Hermite.Coeffs, [n + 1, w], c), new(ActivationParameterNames.Hermite.Grid, [n + 1, w], g, "I64")];
    }

    protected override void Initialize(ActivationParameters p, Rng? rng)
    {
        double c = Math.Exp(-0.5);
        var a = p[ActivationParameterNames.Hermite.Coefficients];
        a[0] = (float)(c * Math.Sqrt(1 - 1 / Factorial(p.Degree)));
        for (int k = 1; k <= p.Degree; k++) a[k] = (float)c;
    }

    public override void Forward(Span<float> y, ReadOnlySpan<float> x, IParameterSpans p, int degree) =>
        HermiteKernels.Forward(y, x, p[0], degree);

    public override void Backward(Span<float> dx, IParameterSpans grads, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        IParameterSpans p, int degree, bool needDx, bool accumulateDx) =>
        HermiteKernels.Backward(dx, grads[0], x, dy, p[0], degree, needDx, accumulateDx);

    public override double Evaluate(double x, IParameterSpans p, int degree, out double derivative) =>
        HermiteKernels.Evaluate(x, p[0], degree, out derivative);

    public override ActivationParameters Fit(int degree, FitGrid grid, FitOptions options) => HermiteFit.Fit(degree, grid, options.HermiteRidge);

    /// <summary>Exact: f^2 has degree 2n &lt;= 64, integrated by the 64-node Gauss-Hermite rule (exact to degree 127).</summary>
    protected override MomentsResult ComputeMoments(ActivationParameters p, double sigma)
    {
        var coefficients = p[ActivationParameterNames.Hermite.Coefficients];
        var (z, w) = GaussHermite.Rule(64);
        double m1 = 0, m2 = 0, d2 = 0;
        for (int i = 0; i < z.Length; i++)
        {
            double v = HermiteKernels.Evaluate(sigma * z[i], coefficients, p.Degree, out double d);
            m1 += w[i] * v;
            m2 += w[i] * v * v;
            d2 += w[i] * d * d;
        }
        return new MomentsResult(m1, m2, d2, sigma * sigma);
    }

    public override LearnableActivation CreateModule(int degree, Rng? rng = null) => new HermiteActivation(degree);

    public override string EmitOnnx(Export.Onnx.OnnxGraphBuilder graph, string input, LearnableActivation module) => HermiteOnnx.Emit(graph, input, module);

    private static double Factorial(int n)
    {
        double f = 1;
        for (int k = 2; k <= n; k++) f *= k;
        return f;
    }
}

public static partial class ActivationParameterNames
{
    /// <summary>Hermite activation names.</summary>
    public static class Hermite
    {
        /// <summary>a_0..a_n (n + 1).</summary>
        public const string Coefficients = "coefficients";
        /// <summary>Constant buffer: monomial coefficients of He_k/k!, shape [n + 1, n/2 + 1].</summary>
        public const string Coeffs = "coeffs";
        /// <summary>Constant int64 buffer: the matching powers, shape [n + 1, n/2 + 1].</summary>
        public const string Grid = "grid";
    }
}
