namespace Ortho.Activations;

/// <summary>
/// Kind-generic entry points over <see cref="ActivationParameters"/>: each forwards to the parameters' family
/// (whose kernels are <see cref="HermiteKernels"/>, <see cref="FourierKernels"/>, ...).
/// </summary>
public static class ActivationKernels
{
    /// <summary>y = f(x) elementwise.</summary>
    public static void Forward(ActivationParameters p, Span<float> y, ReadOnlySpan<float> x)
    {
        ArgumentNullException.ThrowIfNull(p);
        p.Family.Forward(y, x, p, p.Degree);
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
    /// <param name="frequencyGradient">False skips the gradients marked <see cref="ActivationParameterSpec.SkippableGradient"/> (Fourier: <c>grid</c>, frozen frequencies).</param>
    public static void Backward(ActivationParameters p, ActivationParameters grads, Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        bool needDx = true, bool accumulateDx = false, bool frequencyGradient = true)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(grads);
        if (!grads.Family.Equals(p.Family) || grads.Degree != p.Degree)
            throw new ArgumentException($"gradients are {grads.Kind}{grads.Degree}, parameters {p.Kind}{p.Degree}.", nameof(grads));
        p.Family.Backward(dx, frequencyGradient ? grads : new WithoutSkippable(grads), x, dy, p, p.Degree, needDx, accumulateDx);
    }

    /// <summary>f(x) and f'(x) in double precision from the (float) parameters.</summary>
    public static double Evaluate(ActivationParameters p, double x, out double derivative)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.Family.Evaluate(x, p, p.Degree, out derivative);
    }

    // The gradients with an empty span for every skippable one.
    private sealed class WithoutSkippable(ActivationParameters grads) : IParameterSpans
    {
        public Span<float> this[int index] =>
            grads.Family.Parameters[index].SkippableGradient ? Span<float>.Empty : ((IParameterSpans)grads)[index];
    }
}
