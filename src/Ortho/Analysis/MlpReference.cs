using Ortho.Activations;
using Ortho.Models;
using Ortho.NN;

namespace Ortho.Analysis;

/// <summary>
/// Reference evaluations of an <see cref="Mlp"/> for checking the analyses: the exact value of the function the
/// network computes with its float32 parameters (<see cref="EvaluateExact"/>), and a rigorous double-precision
/// enclosure of it (<see cref="Enclose"/>). Hermite activations go through their three-term recurrence (not the
/// monomial tables the expansion uses), piecewise-linear ones through their max-affine definition.
/// </summary>
public static class MlpReference
{
    /// <summary>The outputs at x in exact arithmetic (Hermite, tropical, tropical-rational and ReLU activations).</summary>
    /// <exception cref="ArgumentException">An activation has no exact form (e.g. GELU).</exception>
    public static QSqrt2[] EvaluateExact(Mlp model, IReadOnlyList<QSqrt2> x)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Forward(model, x.ToArray());
    }

    /// <summary>
    /// Intervals of doubles that provably contain the exact outputs at x: the forward pass in double with every
    /// operation rounded outward (see <see cref="Interval"/>).
    /// </summary>
    /// <exception cref="ArgumentException">An activation has no interval form (e.g. GELU).</exception>
    public static Interval[] Enclose(Mlp model, ReadOnlySpan<double> x)
    {
        ArgumentNullException.ThrowIfNull(model);
        var h = new Interval[x.Length];
        for (int i = 0; i < h.Length; i++) h[i] = Interval.Point(x[i]);
        return Forward(model, h);
    }

    private static T[] Forward<T>(Mlp model, T[] h) where T : IForwardNumber<T>
    {
        if (h.Length != model.Config.Inputs) throw new ArgumentException($"MlpReference: {h.Length} values for {model.Config.Inputs} inputs.");
        for (int l = 0; l < model.Linears.Count; l++)
        {
            var lin = model.Linears[l];
            var z = new T[lin.OutFeatures];
            for (int o = 0; o < z.Length; o++)
            {
                var s = T.FromDouble(lin.Bias is null ? 0 : lin.Bias.Data[o]);
                for (int i = 0; i < h.Length; i++) s += T.FromDouble(lin.Weight.Data[o * h.Length + i]) * h[i];
                z[o] = l < model.Activations.Count ? Activate(model.Activations[l], s) : s;
            }
            h = z;
        }
        return h;
    }

    private static T Activate<T>(UnaryModule act, T z) where T : IForwardNumber<T>
    {
        switch (act)
        {
            case HermiteActivation { IsClamped: false } hermite: // a clamped one is no polynomial
            {
                var a = hermite.Coefficients.Data;
                T p0 = T.FromDouble(1), p1 = z, f = T.FromDouble(a[0]) + T.FromDouble(a[1]) * z;
                for (int k = 2; k < a.Length; k++)
                {
                    var p2 = (z * p1 - p0) / k;
                    f += T.FromDouble(a[k]) * p2;
                    (p0, p1) = (p1, p2);
                }
                return f;
            }
            case TropicalActivation t:
            {
                var a = t.Coefficients.Data;
                var best = T.FromDouble(a[0]);
                for (int k = 1; k < a.Length; k++) best = T.Max(best, T.FromDouble(k) * z + T.FromDouble(a[k]));
                return T.Sqrt2 * best / t.Degree;
            }
            case TropicalRationalActivation r:
                return MaxAffine(r.PowersNum.Data, r.CoefficientsNum.Data, z) - MaxAffine(r.PowersDenom.Data, r.CoefficientsDenom.Data, z);
            case Relu:
                return T.Max(z, T.FromDouble(0));
            default:
                throw new ArgumentException($"MlpReference: activation {act.GetType().Name} has no exact or interval form.");
        }
    }

    private static T MaxAffine<T>(ReadOnlySpan<float> s, ReadOnlySpan<float> a, T z) where T : IForwardNumber<T>
    {
        var best = T.FromDouble(s[0]) * z + T.FromDouble(a[0]);
        for (int k = 1; k < s.Length; k++) best = T.Max(best, T.FromDouble(s[k]) * z + T.FromDouble(a[k]));
        return best;
    }
}
