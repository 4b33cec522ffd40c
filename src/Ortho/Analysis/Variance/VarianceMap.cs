using Ortho.Activations;

namespace Ortho.Analysis.Variance;

/// <summary>A fixed point q* = c E[f(sqrt(q*) z)^2] of the variance map, with the map's slope there (stable when |slope| &lt; 1).</summary>
/// <param name="Q">The second moment q*.</param>
/// <param name="Slope">d/dq of the map at q*.</param>
public readonly record struct FixedPoint(double Q, double Slope)
{
    /// <summary>Whether nearby second moments move towards q* (|slope| &lt; 1).</summary>
    public bool Stable => Math.Abs(Slope) < 1;
}

/// <summary>
/// The variance map of one layer, q -> c E[f(z)^2] with z ~ N(0, q): the mean-field (infinite-width) recursion of the
/// pre-activation second moment through Linear (gain c = fan_in Var[W]) + activation f. A network keeps unit second
/// moment through depth only near a fixed point q* of this map, and only if the fixed point is stable: with slope s,
/// a deviation d becomes s d per layer.
/// </summary>
/// <param name="Gain">c: 1 for LeCun weights, 2 for Kaiming.</param>
/// <param name="SlopeAtOne">The map's slope at q = 1, the point the paper's initialization is designed for.</param>
/// <param name="ValueAtOne">The map at q = 1: c E[f^2] under N(0, 1).</param>
/// <param name="FixedPoints">The isolated fixed points in (0, <see cref="VarianceMap.SearchLimit"/>], increasing (none when the map is the identity).</param>
public sealed record VarianceMapInfo(double Gain, double ValueAtOne, double SlopeAtOne, IReadOnlyList<FixedPoint> FixedPoints);

/// <summary>Evaluates and analyses the variance map of an activation (<see cref="VarianceMapInfo"/>).</summary>
public static class VarianceMap
{
    /// <summary>Fixed points are searched for in (0, SearchLimit].</summary>
    public const double SearchLimit = 16;

    /// <summary>The map at q: c E[f(z)^2], z ~ N(0, q).</summary>
    public static double At(Func<double, MomentsResult> moments, double gain, double q) => gain * moments.AtSecondMoment(q).SecondMoment;

    /// <summary>The map's slope at q (central difference, relative step 1e-5).</summary>
    public static double Slope(Func<double, MomentsResult> moments, double gain, double q)
    {
        double h = 1e-5 * q;
        return (At(moments, gain, q + h) - At(moments, gain, q - h)) / (2 * h);
    }

    /// <summary>The value and slope at q = 1 and the fixed points: sign changes of map(q) - q on a log grid of (0, 16], refined by bisection.</summary>
    public static VarianceMapInfo Analyse(Func<double, MomentsResult> moments, double gain)
    {
        ArgumentNullException.ThrowIfNull(moments);
        double F(double q) => At(moments, gain, q) - q;
        var points = new List<FixedPoint>();
        const int steps = 2000;
        double lo = 1e-6, prevQ = lo, prev = F(lo);
        for (int i = 1; i <= steps; i++)
        {
            double q = lo * Math.Pow(SearchLimit / lo, (double)i / steps), v = F(q);
            // A strict sign change, both ends clear of rounding (a map equal to the identity, ReLU with Kaiming weights, has none).
            if (double.IsFinite(v) && double.IsFinite(prev) && Math.Abs(v) > 1e-9 * q && Math.Abs(prev) > 1e-9 * prevQ && Math.Sign(v) != Math.Sign(prev))
            {
                double a = prevQ, b = q, fa = prev;
                for (int k = 0; k < 80 && b - a > 1e-13 * b; k++)
                {
                    double m = 0.5 * (a + b), fm = F(m);
                    if (Math.Sign(fm) == Math.Sign(fa)) { a = m; fa = fm; } else b = m;
                }
                double root = 0.5 * (a + b);
                points.Add(new FixedPoint(root, Slope(moments, gain, root)));
            }
            prevQ = q;
            prev = v;
        }
        return new VarianceMapInfo(gain, At(moments, gain, 1), Slope(moments, gain, 1), points);
    }
}
