namespace Ortho.Activations;

/// <summary>
/// The tropical (max-plus) polynomial kind: f(x) = (sqrt(2)/n) max_{k=0..n} (k x + a_k), fixed slopes 0..n (the int64
/// buffer <c>powers</c>, as torchortho stores it) and learnable <c>coefficients</c> a (init 1, so f = sqrt(2)/n +
/// sqrt(2) ReLU(x) and E[f'^2] = 1). Fit: tangent lines plus Lloyd iterations; moments exact (piecewise linear).
/// </summary>
internal sealed class TropicalFamily : ActivationFamily
{
    private TropicalFamily() { }
    public static TropicalFamily Instance { get; } = new();
    public override string Name => "tropical";
    public override int MinDegree => TropicalKernels.MinDegree;
    public override int MaxDegree => TropicalKernels.MaxDegree;

    public override IReadOnlyList<ActivationParameterSpec> Parameters { get; } =
        [new(ActivationParameterNames.Tropical.Coefficients, n => n + 1)];

    /// <summary>The slopes 0..n (int64 in torchortho checkpoints).</summary>
    public override IReadOnlyList<ActivationBuffer> Buffers(int degree) =>
        [new(ActivationParameterNames.Tropical.Powers, [degree + 1], Slopes(degree), "I64")];

    private static float[] Slopes(int degree) => Enumerable.Range(0, degree + 1).Select(k => (float)k).ToArray();

    protected override void Initialize(ActivationParameters p, Rng? rng) =>
        Array.Fill(p[ActivationParameterNames.Tropical.Coefficients], 1f);

    public override void Forward(Span<float> y, ReadOnlySpan<float> x, IParameterSpans p, int degree) =>
        TropicalKernels.Forward(y, x, p[0], degree);

    /// <inheritdoc/>
    public override bool BackwardInPlace => true; // the kernels allow dx to alias dy

    public override void Backward(Span<float> dx, IParameterSpans grads, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        IParameterSpans p, int degree, bool needDx, bool accumulateDx) =>
        TropicalKernels.Backward(dx, grads[0], x, dy, p[0], degree, needDx, accumulateDx);

    public override double Evaluate(double x, IParameterSpans p, int degree, out double derivative) =>
        TropicalKernels.Evaluate(x, p[0], degree, out derivative);

    public override ActivationParameters Fit(int degree, FitGrid grid, FitOptions options) => TropicalFit.Fit(degree, grid, options.Iterations);

    /// <summary>Exact: f is piecewise linear, integrated segment by segment with the normal distribution function.</summary>
    protected override MomentsResult ComputeMoments(ActivationParameters p, double sigma)
    {
        var a = p[ActivationParameterNames.Tropical.Coefficients];
        var breaks = ActivationMoments.HullBreaks(Slopes(p.Degree), a);
        return ActivationMoments.PiecewiseLinear(breaks, x => TropicalKernels.Evaluate(x, a, p.Degree, out _), x =>
        {
            TropicalKernels.Evaluate(x, a, p.Degree, out double d);
            return d;
        }, sigma);
    }

    public override LearnableActivation CreateModule(int degree, Rng? rng = null) => new TropicalActivation(degree);

    public override string EmitOnnx(Export.Onnx.OnnxGraphBuilder graph, string input, LearnableActivation module) => TropicalOnnx.Emit(graph, input, module);
}

public static partial class ActivationParameterNames
{
    /// <summary>Tropical polynomial activation names.</summary>
    public static class Tropical
    {
        /// <summary>a_0..a_n (n + 1).</summary>
        public const string Coefficients = "coefficients";
        /// <summary>The fixed slopes 0..n: an int64 buffer in torchortho checkpoints, not a parameter.</summary>
        public const string Powers = "powers";
    }
}
