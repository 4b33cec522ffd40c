namespace Ortho.Activations;

/// <summary>
/// The Fourier kind: f(x) = f0 + sum_{k=1..n} c_k cos(w_k x - p_k) / k!. Parameters (torchortho's names):
/// <c>fundamental</c> f0 [1], <c>coefficients</c> c [n], <c>phases</c> p [n], <c>grid</c> w [n] (the frequencies, whose
/// gradient the kernel can skip); constant buffer <c>normalization_term</c> (1!, ..., n!). Init: c_k = 1/sqrt(I0(2)),
/// p_k = pi/4, w_k = k, f0 = c sqrt(1 - 1/(n!)^2). Fit: harmonic least squares (optionally Levenberg-Marquardt);
/// moments in closed form.
/// </summary>
internal sealed class FourierFamily : ActivationFamily
{
    private FourierFamily() { }
    public static FourierFamily Instance { get; } = new();

    /// <summary>1/sqrt(I0(2)) with I0(2) = sum_k 1/(k!)^2 = 2.2795853...: the coefficient init (0.6623264).</summary>
    public static double Amplitude { get; } = 1.0 / Math.Sqrt(BesselI0At2());

    public override string Name => "fourier";
    public override int MinDegree => FourierKernels.MinDegree;
    public override int MaxDegree => FourierKernels.MaxDegree;

    public override IReadOnlyList<ActivationParameterSpec> Parameters { get; } =
    [
        new(ActivationParameterNames.Fourier.Fundamental, _ => 1),
        new(ActivationParameterNames.Fourier.Coefficients, n => n),
        new(ActivationParameterNames.Fourier.Phases, n => n),
        new(ActivationParameterNames.Fourier.Grid, n => n, SkippableGradient: true),
    ];

    /// <summary>torchortho keeps (1!, ..., n!) as a float32 buffer in every checkpoint; carried for strict keys both ways.</summary>
    public override IReadOnlyList<ActivationBuffer> Buffers(int degree) =>
        [ActivationBuffer.Factorials(ActivationParameterNames.Fourier.NormalizationTerm, 1, degree)];

    protected override void Initialize(ActivationParameters p, Rng? rng)
    {
        int n = p.Degree;
        double f = 1;
        for (int k = 2; k <= n; k++) f *= k;
        p[ActivationParameterNames.Fourier.Fundamental][0] = (float)(Amplitude * Math.Sqrt(1 - 1 / (f * f)));
        for (int k = 0; k < n; k++)
        {
            p[ActivationParameterNames.Fourier.Coefficients][k] = (float)Amplitude;
            p[ActivationParameterNames.Fourier.Phases][k] = (float)(Math.PI / 4);
            p[ActivationParameterNames.Fourier.Grid][k] = k + 1;
        }
    }

    private static double BesselI0At2()
    {
        double sum = 0, term = 1;
        for (int k = 0; k < 40; k++)
        {
            if (k > 0) term /= (double)k * k;
            sum += term;
        }
        return sum;
    }

    public override void Forward(Span<float> y, ReadOnlySpan<float> x, IParameterSpans p, int degree) =>
        FourierKernels.Forward(y, x, p[0], p[1], p[2], p[3], degree);

    /// <inheritdoc/>
    public override bool BackwardInPlace => true; // the kernels allow dx to alias dy

    public override void Backward(Span<float> dx, IParameterSpans grads, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        IParameterSpans p, int degree, bool needDx, bool accumulateDx) =>
        FourierKernels.Backward(dx, grads[0], grads[1], grads[2], grads[3], x, dy, p[0], p[1], p[2], p[3], degree, needDx, accumulateDx);

    public override double Evaluate(double x, IParameterSpans p, int degree, out double derivative) =>
        FourierKernels.Evaluate(x, p[0], p[1], p[2], p[3], degree, out derivative);

    public override ActivationParameters Fit(int degree, FitGrid grid, FitOptions options) => FourierFit.Fit(degree, grid, options);

    /// <summary>
    /// Closed form: E[cos(w x - p)] = cos(p) e^{-w^2 sigma^2 / 2}, and products of two terms by
    /// cos a cos b = (cos(a-b) + cos(a+b))/2, sin a sin b = (cos(a-b) - cos(a+b))/2.
    /// </summary>
    protected override MomentsResult ComputeMoments(ActivationParameters p, double sigma)
    {
        int degree = p.Degree;
        float[] coefficients = p[ActivationParameterNames.Fourier.Coefficients], phases = p[ActivationParameterNames.Fourier.Phases],
            grid = p[ActivationParameterNames.Fourier.Grid];
        double s2 = sigma * sigma, f0 = p[ActivationParameterNames.Fourier.Fundamental][0];
        Span<double> amp = stackalloc double[degree];
        double invFact = 1;
        for (int k = 0; k < degree; k++) { invFact /= k + 1; amp[k] = coefficients[k] * invFact; }
        double Ecos(double w, double ph) => Math.Cos(ph) * Math.Exp(-0.5 * w * w * s2);

        double mean = f0, m2 = f0 * f0, d2 = 0;
        for (int j = 0; j < degree; j++)
        {
            double ej = amp[j] * Ecos(grid[j], phases[j]);
            mean += ej;
            m2 += 2 * f0 * ej;
            for (int k = 0; k < degree; k++)
            {
                double diff = Ecos((double)grid[j] - grid[k], (double)phases[j] - phases[k]);
                double sum = Ecos((double)grid[j] + grid[k], (double)phases[j] + phases[k]);
                double a = amp[j] * amp[k];
                m2 += a * 0.5 * (diff + sum);
                d2 += a * grid[j] * grid[k] * 0.5 * (diff - sum);
            }
        }
        return new MomentsResult(mean, m2, d2, s2);
    }

    public override LearnableActivation CreateModule(int degree, Rng? rng = null) => new FourierActivation(degree);

    public override string EmitOnnx(Export.Onnx.OnnxGraphBuilder graph, string input, LearnableActivation module) => FourierOnnx.Emit(graph, input, module);
}

public static partial class ActivationParameterNames
{
    /// <summary>Fourier activation names.</summary>
    public static class Fourier
    {
        /// <summary>f0 (1).</summary>
        public const string Fundamental = "fundamental";
        /// <summary>c_1..c_n.</summary>
        public const string Coefficients = "coefficients";
        /// <summary>p_1..p_n.</summary>
        public const string Phases = "phases";
        /// <summary>w_1..w_n (frequencies).</summary>
        public const string Grid = "grid";
        /// <summary>The constants (1!, ..., n!): a float32 buffer in torchortho checkpoints, not a parameter.</summary>
        public const string NormalizationTerm = "normalization_term";
    }
}
