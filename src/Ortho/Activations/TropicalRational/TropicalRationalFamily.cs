namespace Ortho.Activations;

/// <summary>
/// The tropical rational kind: f(x) = max_k (p_k x + a_k) - max_k (q_k x + b_k), k = 0..n, all four sets learnable:
/// <c>powers_num</c> p, <c>powers_denom</c> q, <c>coefficients_num</c> a, <c>coefficients_denom</c> b, drawn from
/// N(0, 1) in that order as torchortho does. Fit: piecewise-linear least squares plus Adam; moments exact.
/// </summary>
internal sealed class TropicalRationalFamily : ActivationFamily
{
    private TropicalRationalFamily() { }
    public static TropicalRationalFamily Instance { get; } = new();
    public override string Name => "tropical_rational";
    public override int MinDegree => TropicalRationalKernels.MinDegree;
    public override int MaxDegree => TropicalRationalKernels.MaxDegree;

    public override IReadOnlyList<ActivationParameterSpec> Parameters { get; } =
    [
        new(ActivationParameterNames.TropicalRational.PowersNum, n => n + 1),
        new(ActivationParameterNames.TropicalRational.PowersDenom, n => n + 1),
        new(ActivationParameterNames.TropicalRational.CoefficientsNum, n => n + 1),
        new(ActivationParameterNames.TropicalRational.CoefficientsDenom, n => n + 1),
    ];

    /// <summary>Each parameter in order from N(0, 1) drawn from <paramref name="rng"/> (required).</summary>
    protected override void Initialize(ActivationParameters p, Rng? rng)
    {
        if (rng is null) throw new ArgumentNullException(nameof(rng), "tropical rational init draws from N(0,1): pass an Rng.");
        foreach (var name in p.Names) rng.FillNormal(p[name]);
    }

    public override void Forward(Span<float> y, ReadOnlySpan<float> x, IParameterSpans p, int degree) =>
        TropicalRationalKernels.Forward(y, x, p[0], p[1], p[2], p[3], degree);

    /// <inheritdoc/>
    public override bool BackwardInPlace => true; // the kernels allow dx to alias dy

    public override void Backward(Span<float> dx, IParameterSpans grads, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        IParameterSpans p, int degree, bool needDx, bool accumulateDx) =>
        TropicalRationalKernels.Backward(dx, grads[0], grads[1], grads[2], grads[3], x, dy, p[0], p[1], p[2], p[3], degree, needDx, accumulateDx);

    public override double Evaluate(double x, IParameterSpans p, int degree, out double derivative) =>
        TropicalRationalKernels.Evaluate(x, p[0], p[1], p[2], p[3], degree, out derivative);

    public override ActivationParameters Fit(int degree, FitGrid grid, FitOptions options) => TropicalRationalFit.Fit(degree, grid, options.Iterations);

    /// <summary>Exact: piecewise linear between the breakpoints of both maxima.</summary>
    protected override MomentsResult ComputeMoments(ActivationParameters p, double sigma)
    {
        var breaks = ActivationMoments.HullBreaks(p[ActivationParameterNames.TropicalRational.PowersNum], p[ActivationParameterNames.TropicalRational.CoefficientsNum]);
        breaks.AddRange(ActivationMoments.HullBreaks(p[ActivationParameterNames.TropicalRational.PowersDenom], p[ActivationParameterNames.TropicalRational.CoefficientsDenom]));
        breaks.Sort();
        return ActivationMoments.PiecewiseLinear(breaks, x => Evaluate(x, p, p.Degree, out _), x =>
        {
            Evaluate(x, p, p.Degree, out double d);
            return d;
        }, sigma);
    }

    public override LearnableActivation CreateModule(int degree, Rng? rng = null) => new TropicalRationalActivation(degree, rng);

    public override string EmitOnnx(Export.Onnx.OnnxGraphBuilder graph, string input, LearnableActivation module) => TropicalRationalOnnx.Emit(graph, input, module);
}

public static partial class ActivationParameterNames
{
    /// <summary>Tropical rational activation names (in torchortho's order).</summary>
    public static class TropicalRational
    {
        /// <summary>Numerator slopes p (n + 1).</summary>
        public const string PowersNum = "powers_num";
        /// <summary>Denominator slopes q (n + 1).</summary>
        public const string PowersDenom = "powers_denom";
        /// <summary>Numerator intercepts a (n + 1).</summary>
        public const string CoefficientsNum = "coefficients_num";
        /// <summary>Denominator intercepts b (n + 1).</summary>
        public const string CoefficientsDenom = "coefficients_denom";
    }
}
