using Ortho.Activations;
using Ortho.NN;

namespace Ortho.Analysis.Variance;

/// <summary>
/// The closed-form moments E[f], E[f^2], E[f'^2] under x ~ N(0, sigma^2) of any activation module, as a function of
/// sigma: a learnable activation's family method at its current values (exact for the built-in kinds), ReLU exactly,
/// the other classic activations (smooth) by Gauss-Hermite quadrature of their double-precision definitions.
/// </summary>
public static class ActivationMomentFunction
{
    /// <summary>The moments of <paramref name="module"/>, built from <paramref name="spec"/>, at any sigma.</summary>
    /// <exception cref="ArgumentException">The module is not the spec's kind.</exception>
    public static Func<double, MomentsResult> For(ActivationSpec spec, UnaryModule module)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(module);
        if (spec.IsLearnable)
        {
            if (module is not LearnableActivation a || a.Kind != spec.Kind)
                throw new ArgumentException($"moments: the module {module.GetType().Name} is not a {spec} activation.", nameof(module));
            var values = a.Snapshot();
            return sigma => values.Family.Moments(values, sigma);
        }
        if (spec.Kind == "relu")
            return sigma => ActivationMoments.PiecewiseLinear([0], ClassicalActivations.Relu, ClassicalActivations.ReluDerivative, CheckedSigma(sigma));
        var target = FitTarget.Parse(spec.Kind);
        return sigma => ActivationMoments.Compute(target.Function, target.Derivative, sigma);
    }

    /// <summary>The moments at second moment <paramref name="q"/> = sigma^2; NaN moments when q is not positive and finite.</summary>
    public static MomentsResult AtSecondMoment(this Func<double, MomentsResult> moments, double q)
    {
        ArgumentNullException.ThrowIfNull(moments);
        return q > 0 && double.IsFinite(q) ? moments(Math.Sqrt(q)) : new MomentsResult(double.NaN, double.NaN, double.NaN, q);
    }

    private static double CheckedSigma(double sigma)
    {
        ActivationMoments.CheckSigma(sigma);
        return sigma;
    }
}
