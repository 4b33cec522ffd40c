namespace Ortho.Activations;

/// <summary>
/// Kind-generic entry points over <see cref="ActivationParameters"/>: they dispatch to
/// <see cref="HermiteKernels"/>, <see cref="FourierKernels"/>, <see cref="TropicalKernels"/> and
/// <see cref="TropicalRationalKernels"/> (a module's forward/backward is one call each).
/// </summary>
public static class ActivationKernels
{
    /// <summary>y = f(x) elementwise.</summary>
    public static void Forward(ActivationParameters p, Span<float> y, ReadOnlySpan<float> x)
    {
        ArgumentNullException.ThrowIfNull(p);
        int n = p.Degree;
        switch (p.Kind)
        {
            case ActivationKind.Hermite:
                HermiteKernels.Forward(y, x, p[ActivationParameterNames.Hermite.Coefficients], n);
                break;
            case ActivationKind.Fourier:
                FourierKernels.Forward(y, x, p[ActivationParameterNames.Fourier.Fundamental], p[ActivationParameterNames.Fourier.Coefficients],
                    p[ActivationParameterNames.Fourier.Phases], p[ActivationParameterNames.Fourier.Grid], n);
                break;
            case ActivationKind.Tropical:
                TropicalKernels.Forward(y, x, p[ActivationParameterNames.Tropical.Coefficients], n);
                break;
            case ActivationKind.TropicalRational:
                TropicalRationalKernels.Forward(y, x, p[ActivationParameterNames.TropicalRational.PowersNum], p[ActivationParameterNames.TropicalRational.PowersDenom],
                    p[ActivationParameterNames.TropicalRational.CoefficientsNum], p[ActivationParameterNames.TropicalRational.CoefficientsDenom], n);
                break;
        }
    }

    /// <summary>
    /// Backward for the loss sum(y * dy): dx written (or added when <paramref name="accumulateDx"/>), parameter gradients
    /// ACCUMULATED into <paramref name="grads"/> (same kind and degree as <paramref name="p"/>).
    /// </summary>
    /// <param name="p">Parameters.</param>
    /// <param name="grads">Gradient buffers, accumulated.</param>
    /// <param name="dx">Input gradient; may be empty when <paramref name="needDx"/> is false.</param>
    /// <param name="x">The forward input.</param>
    /// <param name="dy">Upstream gradient.</param>
    /// <param name="needDx">False skips dx.</param>
    /// <param name="accumulateDx">True adds into dx.</param>
    /// <param name="frequencyGradient">Fourier only: false skips the <c>grid</c> gradient (frozen frequencies).</param>
    public static void Backward(ActivationParameters p, ActivationParameters grads, Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        bool needDx = true, bool accumulateDx = false, bool frequencyGradient = true)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(grads);
        if (grads.Kind != p.Kind || grads.Degree != p.Degree)
            throw new ArgumentException($"gradients are {ActivationInfo.Name(grads.Kind)}{grads.Degree}, parameters {ActivationInfo.Name(p.Kind)}{p.Degree}.", nameof(grads));
        int n = p.Degree;
        switch (p.Kind)
        {
            case ActivationKind.Hermite:
            {
                const string c = ActivationParameterNames.Hermite.Coefficients;
                HermiteKernels.Backward(dx, grads[c], x, dy, p[c], n, needDx, accumulateDx);
                break;
            }
            case ActivationKind.Fourier:
            {
                const string f0 = ActivationParameterNames.Fourier.Fundamental, c = ActivationParameterNames.Fourier.Coefficients,
                    ph = ActivationParameterNames.Fourier.Phases, w = ActivationParameterNames.Fourier.Grid;
                FourierKernels.Backward(dx, grads[f0], grads[c], grads[ph], frequencyGradient ? grads[w] : Span<float>.Empty, x, dy, p[f0], p[c], p[ph], p[w], n,
                    needDx, accumulateDx);
                break;
            }
            case ActivationKind.Tropical:
            {
                const string c = ActivationParameterNames.Tropical.Coefficients;
                TropicalKernels.Backward(dx, grads[c], x, dy, p[c], n, needDx, accumulateDx);
                break;
            }
            case ActivationKind.TropicalRational:
            {
                const string pn = ActivationParameterNames.TropicalRational.PowersNum, pd = ActivationParameterNames.TropicalRational.PowersDenom,
                    cn = ActivationParameterNames.TropicalRational.CoefficientsNum, cd = ActivationParameterNames.TropicalRational.CoefficientsDenom;
                TropicalRationalKernels.Backward(dx, grads[pn], grads[pd], grads[cn], grads[cd], x, dy, p[pn], p[pd], p[cn], p[cd], n, needDx, accumulateDx);
                break;
            }
        }
    }

    /// <summary>f(x) and f'(x) in double precision from the (float) parameters.</summary>
    public static double Evaluate(ActivationParameters p, double x, out double derivative)
    {
        ArgumentNullException.ThrowIfNull(p);
        int n = p.Degree;
        return p.Kind switch
        {
            ActivationKind.Hermite => HermiteKernels.Evaluate(x, p[ActivationParameterNames.Hermite.Coefficients], n, out derivative),
            ActivationKind.Fourier => FourierKernels.Evaluate(x, p[ActivationParameterNames.Fourier.Fundamental], p[ActivationParameterNames.Fourier.Coefficients],
                p[ActivationParameterNames.Fourier.Phases], p[ActivationParameterNames.Fourier.Grid], n, out derivative),
            ActivationKind.Tropical => TropicalKernels.Evaluate(x, p[ActivationParameterNames.Tropical.Coefficients], n, out derivative),
            _ => TropicalRationalKernels.Evaluate(x, p[ActivationParameterNames.TropicalRational.PowersNum], p[ActivationParameterNames.TropicalRational.PowersDenom],
                p[ActivationParameterNames.TropicalRational.CoefficientsNum], p[ActivationParameterNames.TropicalRational.CoefficientsDenom], n, out derivative),
        };
    }
}
