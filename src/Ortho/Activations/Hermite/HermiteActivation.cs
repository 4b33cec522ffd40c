using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// f(x) = sum_{k=0..n} a_k He_k(x) / k! (probabilists' Hermite polynomials), evaluated by the three-term recurrence.
/// Parameter <c>coefficients</c> (n+1), initialized variance-preserving: a_0 = e^-1/2 sqrt(1 - 1/n!), a_k = e^-1/2.
/// Also carries torchortho's constant buffers <c>coeffs</c> and <c>grid</c> (monomial coefficients and powers of
/// He_k/k!) so checkpoints load into the PyTorch peer with strict keys.
/// </summary>
public sealed class HermiteActivation : LearnableActivation
{
    /// <summary>Smallest supported degree.</summary>
    public const int MinDegree = HermiteKernels.MinDegree;

    /// <summary>Largest supported degree (float recurrence stays accurate to this degree).</summary>
    public const int MaxDegree = HermiteKernels.MaxDegree;

    /// <summary>Creates the activation with torchortho's initialization.</summary>
    public HermiteActivation(int degree, bool frozen = false) : base(ActivationKind.Hermite, degree, null)
    {
        Coefficients = Param(ActivationParameterNames.Hermite.Coefficients);
        var (coeffs, grid) = MonomialTables(degree);
        RegisterBuffer("coeffs", coeffs);
        RegisterBuffer("grid", grid, dtype: "I64");
        if (frozen) Freeze();
    }

    /// <summary>The coefficients a_0..a_n.</summary>
    public Parameter Coefficients { get; }

    /// <summary>Throws unless <see cref="MinDegree"/> &lt;= degree &lt;= <see cref="MaxDegree"/>.</summary>
    public static void ValidateDegree(int degree) => HermiteKernels.ValidateDegree(degree);

    private static double Factorial(int n)
    {
        double f = 1;
        for (int i = 2; i <= n; i++) f *= i;
        return f;
    }

    /// <summary>He_k(x)/k! = sum_j coeffs[k, j] x^grid[k, j], j = 0..n/2 (zero-padded), as torchortho stores it.</summary>
    private static (Tensor Coeffs, Tensor Grid) MonomialTables(int n)
    {
        int w = n / 2 + 1;
        var c = Tensor.Unscoped([n + 1, w]);
        var g = Tensor.Unscoped([n + 1, w]);
        for (int k = 0; k <= n; k++)
            for (int j = 0; j <= k / 2; j++)
            {
                // He_k = sum_j (-1)^j k! / (j! (k-2j)! 2^j) x^(k-2j); divided by k!.
                double v = (j % 2 == 0 ? 1 : -1) / (Factorial(j) * Factorial(k - 2 * j) * Math.Pow(2, j));
                c[k, j] = (float)v;
                g[k, j] = k - 2 * j;
            }
        return (c, g);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = Tensor.Empty(input.Shape);
        HermiteKernels.Forward(y.Data, input.Data, Coefficients.Data, Degree);
        return Tensor.Record(y, "hermite", [input, Coefficients], g => HermiteKernels.Backward(
            InputGrad(input), GradOrEmpty(Coefficients), input.Data, g.Data, Coefficients.Data, Degree,
            needDx: input.RequiresGrad, accumulateDx: true));
    }

    /// <inheritdoc/>
    public override void Apply(ReadOnlySpan<float> x, Span<float> y) => HermiteKernels.Forward(y, x, Coefficients.Data, Degree);

    /// <inheritdoc/>
    public override double Evaluate(double x, out double derivative) => HermiteKernels.Evaluate(x, Coefficients.Data, Degree, out derivative);
}
