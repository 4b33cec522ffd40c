using Ortho.Activations;
using Ortho.NN;

namespace Ortho.Analysis;

/// <summary>
/// A continuous univariate piecewise-linear function, exact in Q(sqrt 2): pieces j = 0..Pieces-1, piece j on
/// [Breaks[j-1], Breaks[j]] (unbounded at the ends) where g(z) = Slopes[j] z + Intercepts[j]. Adjacent pieces have
/// different slopes, so every breakpoint is a real kink. Built from the tropical activations:
/// (sqrt(2)/n) max_k (k z + a_k), max_k (p_k z + a_k) - max_k (q_k z + b_k), and max(z, 0).
/// </summary>
public sealed class PiecewiseLinear
{
    private PiecewiseLinear(QSqrt2[] breaks, QSqrt2[] slopes, QSqrt2[] intercepts)
    {
        Breaks = breaks;
        Slopes = slopes;
        Intercepts = intercepts;
    }

    /// <summary>The kinks, strictly increasing (Pieces - 1 of them).</summary>
    public IReadOnlyList<QSqrt2> Breaks { get; }

    /// <summary>The slope of each piece.</summary>
    public IReadOnlyList<QSqrt2> Slopes { get; }

    /// <summary>The intercept of each piece.</summary>
    public IReadOnlyList<QSqrt2> Intercepts { get; }

    /// <summary>Number of linear pieces.</summary>
    public int Pieces => Slopes.Count;

    /// <summary>
    /// The piece holding z; at a kink, the piece entered when moving in <paramref name="direction"/> (&gt; 0: right,
    /// &lt; 0: left; 0: the left one, a fixed convention for points that stay on a kink).
    /// </summary>
    public int Piece(QSqrt2 z, int direction = 0)
    {
        int lo = 0, hi = Breaks.Count; // first break >= z (binary search)
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (Breaks[mid] < z) lo = mid + 1; else hi = mid;
        }
        if (lo < Breaks.Count && Breaks[lo] == z && direction > 0) return lo + 1;
        return lo;
    }

    /// <summary>The piece holding z in double arithmetic (for sampling; kinks compared as doubles).</summary>
    public int Piece(double z)
    {
        int lo = 0, hi = Breaks.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (_breaksDouble[mid] < z) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private double[] _breaksDouble = [];

    /// <summary>Slopes and intercepts rounded to double (for sampling).</summary>
    internal double[] SlopesDouble { get; private init; } = [];

    /// <summary>Intercepts rounded to double.</summary>
    internal double[] InterceptsDouble { get; private init; } = [];

    /// <summary>g(z), exactly.</summary>
    public QSqrt2 Evaluate(QSqrt2 z)
    {
        int j = Piece(z);
        return Slopes[j] * z + Intercepts[j];
    }

    /// <summary>The upper envelope of the lines s_k z + i_k, times <paramref name="scale"/> (&gt; 0).</summary>
    public static PiecewiseLinear MaxAffine(IReadOnlyList<Rational> slopes, IReadOnlyList<Rational> intercepts, QSqrt2 scale)
    {
        if (slopes.Count == 0 || slopes.Count != intercepts.Count) throw new ArgumentException("PiecewiseLinear.MaxAffine: need as many intercepts as slopes, at least one.");
        if (scale.Sign <= 0) throw new ArgumentException("PiecewiseLinear.MaxAffine: the scale must be positive.");
        // Lines by increasing slope; of equal slopes only the highest counts.
        var order = Enumerable.Range(0, slopes.Count).OrderBy(k => slopes[k]).ThenByDescending(k => intercepts[k]).ToList();
        var hull = new List<int>();
        foreach (int k in order)
        {
            if (hull.Count > 0 && slopes[hull[^1]] == slopes[k]) continue;
            // The top line stays on the envelope only if it overtakes its predecessor before the new line overtakes it.
            while (hull.Count >= 2 && Cross(slopes, intercepts, hull[^2], hull[^1]) >= Cross(slopes, intercepts, hull[^1], k)) hull.RemoveAt(hull.Count - 1);
            hull.Add(k);
        }
        var breaks = new QSqrt2[hull.Count - 1];
        for (int j = 0; j + 1 < hull.Count; j++) breaks[j] = Cross(slopes, intercepts, hull[j], hull[j + 1]);
        return Create(breaks, hull.Select(k => scale * slopes[k]).ToArray(), hull.Select(k => scale * intercepts[k]).ToArray());
    }

    // Where line k2 (larger slope) overtakes line k1.
    private static Rational Cross(IReadOnlyList<Rational> s, IReadOnlyList<Rational> a, int k1, int k2) => (a[k1] - a[k2]) / (s[k2] - s[k1]);

    /// <summary>f - g, with kinks where the slope does not change removed.</summary>
    public static PiecewiseLinear Difference(PiecewiseLinear f, PiecewiseLinear g)
    {
        var all = f.Breaks.Concat(g.Breaks).Distinct().OrderBy(b => b).ToList();
        var slopes = new List<QSqrt2>();
        var intercepts = new List<QSqrt2>();
        var breaks = new List<QSqrt2>();
        for (int j = 0; j <= all.Count; j++)
        {
            // A point inside interval j identifies the piece of each function there.
            int pf = j == 0 ? 0 : f.Piece(all[j - 1], +1), pg = j == 0 ? 0 : g.Piece(all[j - 1], +1);
            var s = f.Slopes[pf] - g.Slopes[pg];
            var c = f.Intercepts[pf] - g.Intercepts[pg];
            if (slopes.Count > 0 && slopes[^1] == s) continue; // same line on both sides (continuity): no kink
            if (j > 0) breaks.Add(all[j - 1]);
            slopes.Add(s);
            intercepts.Add(c);
        }
        return Create(breaks.ToArray(), slopes.ToArray(), intercepts.ToArray());
    }

    private static PiecewiseLinear Create(QSqrt2[] breaks, QSqrt2[] slopes, QSqrt2[] intercepts) =>
        new(breaks, slopes, intercepts)
        {
            _breaksDouble = breaks.Select(b => b.ToDouble()).ToArray(),
            SlopesDouble = slopes.Select(b => b.ToDouble()).ToArray(),
            InterceptsDouble = intercepts.Select(b => b.ToDouble()).ToArray(),
        };

    /// <summary>Whether <see cref="For"/> accepts this activation spec kind.</summary>
    public static bool IsPiecewiseLinear(string kind) => kind is "tropical" or "tropical_rational" or "relu";

    /// <summary>
    /// The function an activation module computes, read exactly from its float32 parameters.
    /// </summary>
    /// <exception cref="ArgumentException">The activation is not piecewise-linear (e.g. Hermite, GELU).</exception>
    public static PiecewiseLinear For(UnaryModule activation)
    {
        switch (activation)
        {
            case TropicalActivation t:
            {
                int n = t.Degree;
                var a = t.Coefficients.Data.ToArray().Select(Rational.FromFloat).ToList();
                var s = Enumerable.Range(0, n + 1).Select(k => (Rational)k).ToList();
                return MaxAffine(s, a, QSqrt2.Sqrt2 / n);
            }
            case TropicalRationalActivation r:
            {
                static List<Rational> R(Parameter p) => p.Data.ToArray().Select(Rational.FromFloat).ToList();
                var num = MaxAffine(R(r.PowersNum), R(r.CoefficientsNum), QSqrt2.One);
                var den = MaxAffine(R(r.PowersDenom), R(r.CoefficientsDenom), QSqrt2.One);
                return Difference(num, den);
            }
            case Relu:
                return MaxAffine([0, 1], [0, 0], QSqrt2.One);
            default:
                string name = activation is LearnableActivation la ? la.Spec.ToString() : activation.GetType().Name.ToLowerInvariant();
                throw new ArgumentException($"activation '{name}' is not piecewise-linear; region counting needs tropical, tropical_rational or relu activations.");
        }
    }

    /// <summary>e.g. "3 pieces, kinks at -0.5, 1.25".</summary>
    public override string ToString() =>
        $"{Pieces} pieces" + (Breaks.Count == 0 ? "" : ", kinks at " + string.Join(", ", Breaks.Select(b => b.ToDouble().ToString("G6", System.Globalization.CultureInfo.InvariantCulture))));
}
