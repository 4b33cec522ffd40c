namespace Ortho.Activations;

/// <summary>Classical activations and their derivatives in double precision (fitting targets and references).</summary>
public static class ClassicalActivations
{
    private static readonly double InvSqrt2 = 1 / Math.Sqrt(2.0);
    private static readonly double SqrtTwoOverPi = Math.Sqrt(2 / Math.PI);
    private const double GeluTanhCubic = 0.044715;

    /// <summary>GELU, erf form: x Phi(x) = x (1 + erf(x / sqrt 2)) / 2.</summary>
    public static double GeluErf(double x) => 0.5 * x * (1 + SpecialFunctions.Erf(x * InvSqrt2));

    /// <summary>d/dx GELU (erf form) = Phi(x) + x phi(x).</summary>
    public static double GeluErfDerivative(double x) => SpecialFunctions.NormalCdf(x) + x * SpecialFunctions.NormalPdf(x);

    /// <summary>GELU, tanh form: x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2.</summary>
    public static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(SqrtTwoOverPi * (x + GeluTanhCubic * x * x * x)));

    /// <summary>d/dx GELU (tanh form).</summary>
    public static double GeluTanhDerivative(double x)
    {
        double t = Math.Tanh(SqrtTwoOverPi * (x + GeluTanhCubic * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SqrtTwoOverPi * (1 + 3 * GeluTanhCubic * x * x);
    }

    /// <summary>max(0, x).</summary>
    public static double Relu(double x) => x > 0 ? x : 0;

    /// <summary>d/dx ReLU: 1 for x &gt; 0, else 0 (PyTorch's convention at 0).</summary>
    public static double ReluDerivative(double x) => x > 0 ? 1 : 0;

    /// <summary>1 / (1 + e^{-x}), computed without overflow.</summary>
    public static double Sigmoid(double x)
    {
        if (x >= 0) return 1 / (1 + Math.Exp(-x));
        double e = Math.Exp(x);
        return e / (1 + e);
    }

    /// <summary>d/dx sigmoid = s (1 - s).</summary>
    public static double SigmoidDerivative(double x)
    {
        double s = Sigmoid(x);
        return s * (1 - s);
    }

    /// <summary>SiLU (swish): x sigmoid(x).</summary>
    public static double Silu(double x) => x * Sigmoid(x);

    /// <summary>d/dx SiLU = s (1 + x (1 - s)).</summary>
    public static double SiluDerivative(double x)
    {
        double s = Sigmoid(x);
        return s * (1 + x * (1 - s));
    }

    /// <summary>tanh.</summary>
    public static double Tanh(double x) => Math.Tanh(x);

    /// <summary>d/dx tanh = 1 - tanh^2.</summary>
    public static double TanhDerivative(double x)
    {
        double t = Math.Tanh(x);
        return 1 - t * t;
    }
}
