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
        if (x.Count != model.Config.Inputs) throw new ArgumentException($"MlpReference: {x.Count} values for {model.Config.Inputs} inputs.");
        var h = x.ToArray();
        for (int l = 0; l < model.Linears.Count; l++)
        {
            var lin = model.Linears[l];
            var z = new QSqrt2[lin.OutFeatures];
            for (int o = 0; o < z.Length; o++)
            {
                QSqrt2 s = lin.Bias is null ? QSqrt2.Zero : QSqrt2.FromDouble(lin.Bias.Data[o]);
                for (int i = 0; i < h.Length; i++) s += QSqrt2.FromDouble(lin.Weight.Data[o * h.Length + i]) * h[i];
                z[o] = l < model.Activations.Count ? ActivateExact(model.Activations[l], s) : s;
            }
            h = z;
        }
        return h;
    }

    private static QSqrt2 ActivateExact(UnaryModule act, QSqrt2 z)
    {
        switch (act)
        {
            case HermiteActivation hermite:
            {
                var a = hermite.Coefficients.Data;
                QSqrt2 p0 = QSqrt2.One, p1 = z, f = QSqrt2.FromDouble(a[0]) + QSqrt2.FromDouble(a[1]) * z;
                for (int k = 2; k < a.Length; k++)
                {
                    var p2 = (z * p1 - p0) / k;
                    f += QSqrt2.FromDouble(a[k]) * p2;
                    (p0, p1) = (p1, p2);
                }
                return f;
            }
            case TropicalActivation t:
            {
                var a = t.Coefficients.Data;
                QSqrt2 best = QSqrt2.FromDouble(a[0]);
                for (int k = 1; k < a.Length; k++) best = QSqrt2.Max(best, k * z + QSqrt2.FromDouble(a[k]));
                return QSqrt2.Sqrt2 / t.Degree * best;
            }
            case TropicalRationalActivation r:
                return MaxAffineExact(r.PowersNum.Data, r.CoefficientsNum.Data, z) - MaxAffineExact(r.PowersDenom.Data, r.CoefficientsDenom.Data, z);
            case Relu:
                return QSqrt2.Max(z, QSqrt2.Zero);
            default:
                throw new ArgumentException($"MlpReference: activation {act.GetType().Name} has no exact form.");
        }
    }

    private static QSqrt2 MaxAffineExact(ReadOnlySpan<float> s, ReadOnlySpan<float> a, QSqrt2 z)
    {
        var best = QSqrt2.FromDouble(s[0]) * z + QSqrt2.FromDouble(a[0]);
        for (int k = 1; k < s.Length; k++) best = QSqrt2.Max(best, QSqrt2.FromDouble(s[k]) * z + QSqrt2.FromDouble(a[k]));
        return best;
    }

    /// <summary>
    /// Intervals of doubles that provably contain the exact outputs at x: the forward pass in double with every
    /// operation rounded outward (see <see cref="Interval"/>).
    /// </summary>
    public static Interval[] Enclose(Mlp model, ReadOnlySpan<double> x)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (x.Length != model.Config.Inputs) throw new ArgumentException($"MlpReference: {x.Length} values for {model.Config.Inputs} inputs.");
        var h = new Interval[x.Length];
        for (int i = 0; i < h.Length; i++) h[i] = Interval.Point(x[i]);
        for (int l = 0; l < model.Linears.Count; l++)
        {
            var lin = model.Linears[l];
            var z = new Interval[lin.OutFeatures];
            for (int o = 0; o < z.Length; o++)
            {
                var s = Interval.Point(lin.Bias is null ? 0 : lin.Bias.Data[o]);
                for (int i = 0; i < h.Length; i++) s += Interval.Point(lin.Weight.Data[o * h.Length + i]) * h[i];
                z[o] = l < model.Activations.Count ? ActivateInterval(model.Activations[l], s) : s;
            }
            h = z;
        }
        return h;
    }

    private static Interval ActivateInterval(UnaryModule act, Interval z)
    {
        switch (act)
        {
            case HermiteActivation hermite:
            {
                var a = hermite.Coefficients.Data;
                Interval p0 = Interval.Point(1), p1 = z, f = Interval.Point(a[0]) + Interval.Point(a[1]) * z;
                for (int k = 2; k < a.Length; k++)
                {
                    var p2 = (z * p1 - p0) / k;
                    f += Interval.Point(a[k]) * p2;
                    (p0, p1) = (p1, p2);
                }
                return f;
            }
            case TropicalActivation t:
            {
                var a = t.Coefficients.Data;
                var best = Interval.Point(a[0]);
                for (int k = 1; k < a.Length; k++) best = Interval.Max(best, Interval.Point(k) * z + Interval.Point(a[k]));
                return Interval.Sqrt2 * best / t.Degree;
            }
            case TropicalRationalActivation r:
                return MaxAffineInterval(r.PowersNum.Data, r.CoefficientsNum.Data, z) - MaxAffineInterval(r.PowersDenom.Data, r.CoefficientsDenom.Data, z);
            case Relu:
                return Interval.Max(z, Interval.Point(0));
            default:
                throw new ArgumentException($"MlpReference: activation {act.GetType().Name} has no interval form.");
        }
    }

    private static Interval MaxAffineInterval(ReadOnlySpan<float> s, ReadOnlySpan<float> a, Interval z)
    {
        var best = Interval.Point(s[0]) * z + Interval.Point(a[0]);
        for (int k = 1; k < s.Length; k++) best = Interval.Max(best, Interval.Point(s[k]) * z + Interval.Point(a[k]));
        return best;
    }
}
