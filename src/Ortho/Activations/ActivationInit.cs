namespace Ortho.Activations;

/// <summary>
/// torchortho's initial parameter values (the paper's variance-preserving initialization), chosen so that under x ~ N(0, 1) the forward and
/// backward second moments are balanced (Hermite), or E[f'^2] = 1 (tropical).
/// </summary>
public static class ActivationInit
{
    /// <summary>1/sqrt(I0(2)) with I0(2) = sum_k 1/(k!)^2 = 2.2795853...: the Fourier coefficient init (0.6623264).</summary>
    public static double FourierAmplitude { get; } = 1.0 / Math.Sqrt(BesselI0At2());

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

    private static double Factorial(int n)
    {
        double f = 1;
        for (int k = 2; k <= n; k++) f *= k;
        return f;
    }

    /// <summary>Hermite <c>coefficients</c>: a_0 = e^{-1/2} sqrt(1 - 1/n!), a_k = e^{-1/2} (k = 1..n).</summary>
    public static float[] Hermite(int degree)
    {
        HermiteKernels.ValidateDegree(degree);
        double c = Math.Exp(-0.5);
        var a = new float[degree + 1];
        a[0] = (float)(c * Math.Sqrt(1 - 1 / Factorial(degree)));
        for (int k = 1; k <= degree; k++) a[k] = (float)c;
        return a;
    }

    /// <summary>Fourier <c>fundamental</c> f0 = c sqrt(1 - 1/(n!)^2) with c = 1/sqrt(I0(2)).</summary>
    public static float[] FourierFundamental(int degree)
    {
        FourierKernels.ValidateDegree(degree);
        double f = Factorial(degree);
        return [(float)(FourierAmplitude * Math.Sqrt(1 - 1 / (f * f)))];
    }

    /// <summary>Fourier <c>coefficients</c>: c_k = 1/sqrt(I0(2)).</summary>
    public static float[] FourierCoefficients(int degree)
    {
        FourierKernels.ValidateDegree(degree);
        return Enumerable.Repeat((float)FourierAmplitude, degree).ToArray();
    }

    /// <summary>Fourier <c>phases</c>: p_k = pi/4.</summary>
    public static float[] FourierPhases(int degree)
    {
        FourierKernels.ValidateDegree(degree);
        return Enumerable.Repeat((float)(Math.PI / 4), degree).ToArray();
    }

    /// <summary>Fourier <c>grid</c>: w_k = k.</summary>
    public static float[] FourierGrid(int degree)
    {
        FourierKernels.ValidateDegree(degree);
        return Enumerable.Range(1, degree).Select(k => (float)k).ToArray();
    }

    /// <summary>Tropical <c>coefficients</c>: a_k = 1.</summary>
    public static float[] Tropical(int degree)
    {
        TropicalKernels.ValidateDegree(degree);
        return Enumerable.Repeat(1f, degree + 1).ToArray();
    }

    /// <summary>Tropical <c>powers</c> buffer (int64 in torchortho checkpoints): 0..n.</summary>
    public static long[] TropicalPowers(int degree)
    {
        TropicalKernels.ValidateDegree(degree);
        return Enumerable.Range(0, degree + 1).Select(k => (long)k).ToArray();
    }

    /// <summary>
    /// Tropical rational parameters: each of powers_num, powers_denom, coefficients_num, coefficients_denom
    /// (n + 1 values, filled in that order) from N(0, 1) drawn from <paramref name="rng"/>.
    /// </summary>
    public static ActivationParameters TropicalRational(int degree, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var p = new ActivationParameters(ActivationKind.TropicalRational, degree);
        foreach (var name in p.Names) rng.FillNormal(p[name]);
        return p;
    }

    /// <summary>Initial parameters of any kind; <paramref name="rng"/> is required for <see cref="ActivationKind.TropicalRational"/>.</summary>
    /// <exception cref="ArgumentNullException">Tropical rational without an rng.</exception>
    public static ActivationParameters Create(ActivationKind kind, int degree, Rng? rng = null)
    {
        if (kind == ActivationKind.TropicalRational)
            return TropicalRational(degree, rng ?? throw new ArgumentNullException(nameof(rng), "tropical rational init draws from N(0,1): pass an Rng."));
        var p = new ActivationParameters(kind, degree);
        switch (kind)
        {
            case ActivationKind.Hermite:
                Hermite(degree).CopyTo(p[ActivationParameterNames.Hermite.Coefficients], 0);
                break;
            case ActivationKind.Fourier:
                FourierFundamental(degree).CopyTo(p[ActivationParameterNames.Fourier.Fundamental], 0);
                FourierCoefficients(degree).CopyTo(p[ActivationParameterNames.Fourier.Coefficients], 0);
                FourierPhases(degree).CopyTo(p[ActivationParameterNames.Fourier.Phases], 0);
                FourierGrid(degree).CopyTo(p[ActivationParameterNames.Fourier.Grid], 0);
                break;
            case ActivationKind.Tropical:
                Tropical(degree).CopyTo(p[ActivationParameterNames.Tropical.Coefficients], 0);
                break;
        }
        return p;
    }
}
