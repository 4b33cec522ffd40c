using System.Numerics;
using Ortho.Activations;
using Ortho.Models;

namespace Ortho.Analysis;

/// <summary>The size an expansion would have, known before computing it.</summary>
/// <param name="Inputs">Number of input variables d.</param>
/// <param name="DegreeBound">D = the product of the hidden layers' Hermite degrees (degrees multiply through depth).</param>
/// <param name="TermBound">C(d + D, d): the number of monomials of total degree at most D in d variables, per output.</param>
public sealed record PolynomialPlan(int Inputs, int DegreeBound, BigInteger TermBound);

/// <summary>Raised when an expansion would exceed its term limit; carries the expected size.</summary>
public sealed class PolynomialTooLargeException : InvalidOperationException
{
    internal PolynomialTooLargeException(PolynomialPlan plan, long maxTerms)
        : base($"the expansion would have up to {plan.TermBound:N0} terms per output (C(d + D, d) monomials of total degree <= D = {plan.DegreeBound} in d = {plan.Inputs} inputs), over the limit of {maxTerms:N0} terms")
    {
        Plan = plan;
        MaxTerms = maxTerms;
    }

    /// <summary>The expected size.</summary>
    public PolynomialPlan Plan { get; }

    /// <summary>The limit that was exceeded.</summary>
    public long MaxTerms { get; }
}

/// <summary>
/// Expands an <see cref="Mlp"/> whose hidden activations are all Hermite (any degrees) into its explicit polynomial
/// in the inputs, one per output unit. The arithmetic is exact: the float32 weights and activation coefficients are
/// dyadic rationals, the Hermite-to-monomial tables are rational, and every sum and product is done in
/// <see cref="Rational"/>; so the only error is the final rounding of each coefficient to double (see
/// <see cref="PolynomialMap"/>).
/// </summary>
public static class PolynomialExpansion
{
    /// <summary>The default term limit (per output).</summary>
    public const long DefaultMaxTerms = 100_000;

    /// <summary>C(d + D, d), the number of monomials of degree at most D in d variables.</summary>
    public static BigInteger MonomialCount(int variables, int degree)
    {
        BigInteger c = BigInteger.One;
        for (int i = 1; i <= variables; i++) c = c * (degree + i) / i; // C(D + i, i), exact at every step
        return c;
    }

    /// <summary>Checks that the model can be expanded and returns the expected size.</summary>
    /// <exception cref="ArgumentException">A hidden activation is not Hermite (the message names the layer).</exception>
    public static PolynomialPlan Plan(Mlp model)
    {
        ArgumentNullException.ThrowIfNull(model);
        long degree = 1;
        for (int l = 0; l < model.Activations.Count; l++)
        {
            if (model.Activations[l] is not HermiteActivation { IsClamped: false } h)
                throw new ArgumentException($"hidden layer {l} (layers.{2 * l + 1}) has activation '{model.Config.Activations[l]}'; the polynomial expansion needs Hermite activations without the clamp (e.g. hermite:2) in every hidden layer.");
            degree = checked(degree * h.Degree);
            if (degree > int.MaxValue / 2) throw new ArgumentException($"the expansion's total degree exceeds {int.MaxValue / 2}: too deep for an explicit polynomial.");
        }
        return new PolynomialPlan(model.Config.Inputs, (int)degree, MonomialCount(model.Config.Inputs, (int)degree));
    }

    /// <summary>The network as exact polynomials, one per output.</summary>
    /// <exception cref="ArgumentException">A hidden activation is not Hermite.</exception>
    /// <exception cref="PolynomialTooLargeException">The expected number of terms exceeds <paramref name="maxTerms"/>.</exception>
    public static PolynomialMap Expand(Mlp model, long maxTerms = DefaultMaxTerms)
    {
        var plan = Plan(model);
        if (plan.TermBound > maxTerms) throw new PolynomialTooLargeException(plan, maxTerms);
        int d = model.Config.Inputs;
        var h = Enumerable.Range(0, d).Select(i => Polynomial.Variable(d, i)).ToArray();
        for (int l = 0; l < model.Linears.Count; l++)
        {
            var z = Affine(model, l, h);
            if (l < model.Activations.Count)
            {
                var act = HermiteTables.ActivationMonomials(((HermiteActivation)model.Activations[l]).Coefficients.Data);
                for (int j = 0; j < z.Length; j++) z[j] = z[j].Compose(act);
            }
            h = z;
        }
        return new PolynomialMap(plan, h);
    }

    /// <summary>W h + b of Linear layer <paramref name="l"/>, exactly.</summary>
    private static Polynomial[] Affine(Mlp model, int l, Polynomial[] h)
    {
        var lin = model.Linears[l];
        var w = lin.Weight.Data;
        int inputs = lin.InFeatures, d = model.Config.Inputs;
        var z = new Polynomial[lin.OutFeatures];
        for (int o = 0; o < z.Length; o++)
        {
            var p = Polynomial.Constant(d, lin.Bias is null ? Rational.Zero : Rational.FromFloat(lin.Bias.Data[o]));
            for (int i = 0; i < inputs; i++) p.AddScaled(h[i], Rational.FromFloat(w[o * inputs + i]));
            z[o] = p;
        }
        return z;
    }
}
