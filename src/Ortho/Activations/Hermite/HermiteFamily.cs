namespace Ortho.Activations;

/// <summary>
/// The Hermite kind: f(x) = sum_{k=0..n} a_k He_k(x) / k! (probabilists' Hermite polynomials), parameter
/// <c>coefficients</c> a (n + 1), torchortho's constant buffers <c>coeffs</c> and <c>grid</c> (the monomial
/// coefficients and powers of He_k/k!). Init: a_0 = e^{-1/2} sqrt(1 - 1/n!), a_k = e^{-1/2}, which balances the
/// forward and backward second moments under x ~ N(0, 1). Fit: linear least squares; moments: exact quadrature.
/// Option <c>clamp</c> (torchortho's <c>clamp=True</c>; spec "hermite:8+clamp", peer spelling "hermiteclamp8"): x is
/// first mapped to s = (sigmoid(x) - 1/2) 2L, L the learnable scalar <c>clamp.lim_val</c> (init sqrt(3)).
/// </summary>
internal sealed class HermiteFamily : ActivationFamily
{
    private const string ClampOption = "clamp";
    private readonly bool _clamp;

    private HermiteFamily(bool clamp)
    {
        _clamp = clamp;
        Parameters = clamp
            ? [new(ActivationParameterNames.Hermite.Coefficients, n => n + 1), new(ActivationParameterNames.Hermite.ClampLimit, _ => 1, Scalar: true)]
            : [new(ActivationParameterNames.Hermite.Coefficients, n => n + 1)];
    }

    public static HermiteFamily Instance { get; } = new(clamp: false);

    /// <summary>Hermite with torchortho's learnable soft clamp in front.</summary>
    public static HermiteFamily Clamped { get; } = new(clamp: true);

    /// <summary>Initial L: sqrt(3), torchortho's.</summary>
    public static float InitialClampLimit { get; } = MathF.Sqrt(3);

    public bool Clamp => _clamp;
    public override string Name => "hermite";
    public override int MinDegree => HermiteKernels.MinDegree;
    public override int MaxDegree => HermiteKernels.MaxDegree;
    public override IReadOnlyList<string> SupportedOptions { get; } = [ClampOption];
    public override IReadOnlyList<string> Options => _clamp ? SupportedOptions : [];
    public override IReadOnlyDictionary<string, string[]> OptionAliases { get; } = new Dictionary<string, string[]> { ["hermiteclamp"] = [ClampOption] };
    public override IReadOnlyList<ActivationFamily> Variants => [Instance, Clamped];

    public override ActivationFamily WithOptions(IEnumerable<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var list = options.ToList();
        CheckOptions(list);
        return list.Count > 0 ? Clamped : Instance;
    }

    public override IReadOnlyList<ActivationParameterSpec> Parameters { get; }

    public override ActivationSubmodule CreateSubmodule(string name) => name == ClampOption ? new LearnableClamp() : base.CreateSubmodule(name);

    /// <summary>
    /// He_k(x)/k! = sum_j coeffs[k, j] x^grid[k, j], j = 0..n/2 (zero-padded), as torchortho stores it; and the optional
    /// (0!, ..., n!) that torchortho adds with <c>use_numba=True</c> (in its state-dict order, before the other two).
    /// </summary>
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
        return
        [
            ActivationBuffer.Factorials(ActivationParameterNames.Hermite.NormalizationTerm, 0, n, optional: true),
            new(ActivationParameterNames.Hermite.Coeffs, [n + 1, w], c),
            new(ActivationParameterNames.Hermite.Grid, [n + 1, w], g, "I64"),
        ];
    }

    protected override void Initialize(ActivationParameters p, Rng? rng)
    {
        double c = Math.Exp(-0.5);
        var a = p[ActivationParameterNames.Hermite.Coefficients];
        a[0] = (float)(c * Math.Sqrt(1 - 1 / Factorial(p.Degree)));
        for (int k = 1; k <= p.Degree; k++) a[k] = (float)c;
        if (_clamp) p[ActivationParameterNames.Hermite.ClampLimit][0] = InitialClampLimit;
    }

    public override void Forward(Span<float> y, ReadOnlySpan<float> x, IParameterSpans p, int degree)
    {
        if (_clamp) HermiteKernels.ForwardClamped(y, x, p[0], p[1][0], degree);
        else HermiteKernels.Forward(y, x, p[0], degree);
    }

    /// <inheritdoc/>
    public override bool BackwardInPlace => true; // the kernels allow dx to alias dy

    public override void Backward(Span<float> dx, IParameterSpans grads, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        IParameterSpans p, int degree, bool needDx, bool accumulateDx)
    {
        // With the clamp, s is recomputed from x (the forward saves only x) inside the same pass.
        if (_clamp) HermiteKernels.BackwardClamped(dx, grads[0], grads[1], x, dy, p[0], p[1][0], degree, needDx, accumulateDx);
        else HermiteKernels.Backward(dx, grads[0], x, dy, p[0], degree, needDx, accumulateDx);
    }

    public override double Evaluate(double x, IParameterSpans p, int degree, out double derivative)
    {
        if (!_clamp) return HermiteKernels.Evaluate(x, p[0], degree, out derivative);
        double s = HermiteClampKernels.Evaluate(x, p[1][0], out double ds);
        double f = HermiteKernels.Evaluate(s, p[0], degree, out double df);
        derivative = df * ds;
        return f;
    }

    /// <summary>Linear least squares in the coefficients; with the clamp, on the clamped basis at L = sqrt(3) (its init).</summary>
    public override ActivationParameters Fit(int degree, FitGrid grid, FitOptions options) =>
        HermiteFit.Fit(this, degree, grid, options.HermiteRidge);

    /// <summary>
    /// Exact: f^2 has degree 2n &lt;= 64, integrated by the 64-node Gauss-Hermite rule (exact to degree 127). With the
    /// clamp f is no polynomial: the default quadrature of <see cref="Evaluate"/>.
    /// </summary>
    protected override MomentsResult ComputeMoments(ActivationParameters p, double sigma)
    {
        if (_clamp) return base.ComputeMoments(p, sigma);
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

    public override LearnableActivation CreateModule(int degree, Rng? rng = null) => new HermiteActivation(degree, clamp: _clamp);

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
        /// <summary>Optional constant buffer (0!, ..., n!), in torchortho checkpoints written with <c>use_numba=True</c>.</summary>
        public const string NormalizationTerm = "normalization_term";
        /// <summary>With the clamp option: the scalar L (a 0-dim tensor) of submodule <c>clamp</c>.</summary>
        public const string ClampLimit = "clamp.lim_val";
    }
}
