namespace Ortho.Activations;

/// <summary>
/// The points a fit matches f and f' on: equally spaced x over the options' range, normalized weights w (sum 1) and
/// the target's values g and derivatives g'. What <see cref="ActivationFamily.Fit"/> receives.
/// </summary>
public sealed class FitGrid
{
    private readonly double[] _x, _w, _sqrtW, _g, _dg;

    /// <summary>The grid of <paramref name="options"/> (range, size, weighting) for <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentException">The target is not finite at a grid point.</exception>
    public FitGrid(FitTarget target, FitOptions options)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        double lo = options.Lo, hi = options.Hi;
        int size = options.GridSize;
        _x = new double[size]; _w = new double[size]; _sqrtW = new double[size]; _g = new double[size]; _dg = new double[size];
        double total = 0;
        for (int i = 0; i < size; i++)
        {
            _x[i] = lo + (hi - lo) * i / (size - 1);
            _w[i] = options.Weighting == FitWeighting.Gaussian ? SpecialFunctions.NormalPdf(_x[i]) : 1;
            total += _w[i];
            _g[i] = target.Function(_x[i]);
            _dg[i] = target.Derivative(_x[i]);
            if (!double.IsFinite(_g[i]) || !double.IsFinite(_dg[i]))
                throw new ArgumentException($"fit target {target.Name} is not finite at x = {_x[i]}.", nameof(target));
        }
        for (int i = 0; i < size; i++) { _w[i] /= total; _sqrtW[i] = Math.Sqrt(_w[i]); }
    }

    /// <summary>
    /// A grid of given points with given weights, e.g. a measured input histogram
    /// (<see cref="Inference.ActivationInputStats.Histogram"/>): the fit then matches f and f' where the inputs fall.
    /// The weights are normalized to sum 1.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 8 points, lengths that differ, points not finite and increasing,
    /// a weight negative or not finite, all weights zero, or the target not finite at a point.</exception>
    public FitGrid(FitTarget target, ReadOnlySpan<double> x, ReadOnlySpan<double> weights)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (x.Length < 8) throw new ArgumentException($"a fit grid needs at least 8 points, got {x.Length}.", nameof(x));
        if (weights.Length != x.Length) throw new ArgumentException($"{weights.Length} weights for {x.Length} points.", nameof(weights));
        int size = x.Length;
        _x = x.ToArray(); _w = new double[size]; _sqrtW = new double[size]; _g = new double[size]; _dg = new double[size];
        double total = 0;
        for (int i = 0; i < size; i++)
        {
            if (!double.IsFinite(_x[i]) || (i > 0 && !(_x[i] > _x[i - 1])))
                throw new ArgumentException($"fit grid points must be finite and increasing; point {i} is {_x[i]}.", nameof(x));
            if (!(weights[i] >= 0) || double.IsInfinity(weights[i]))
                throw new ArgumentException($"fit grid weights must be finite and non-negative; weight {i} is {weights[i]}.", nameof(weights));
            total += weights[i];
            _g[i] = target.Function(_x[i]);
            _dg[i] = target.Derivative(_x[i]);
            if (!double.IsFinite(_g[i]) || !double.IsFinite(_dg[i]))
                throw new ArgumentException($"fit target {target.Name} is not finite at x = {_x[i]}.", nameof(target));
        }
        if (!(total > 0)) throw new ArgumentException("fit grid weights are all zero.", nameof(weights));
        for (int i = 0; i < size; i++) { _w[i] = weights[i] / total; _sqrtW[i] = Math.Sqrt(_w[i]); }
    }

    /// <summary>A grid of given points (weights normalized here): a subset of another grid.</summary>
    internal FitGrid(double[] x, double[] w, double[] g, double[] dg)
    {
        _x = x; _g = g; _dg = dg;
        double total = w.Sum();
        _w = w.Select(v => v / total).ToArray();
        _sqrtW = _w.Select(Math.Sqrt).ToArray();
    }

    /// <summary>Number of points.</summary>
    public int Count => _x.Length;

    /// <summary>The points x_i.</summary>
    public ReadOnlySpan<double> X => _x;

    /// <summary>The weights w_i (sum 1).</summary>
    public ReadOnlySpan<double> W => _w;

    /// <summary>sqrt(w_i), the row scale of the weighted least-squares systems.</summary>
    public ReadOnlySpan<double> SqrtW => _sqrtW;

    /// <summary>The target values g(x_i).</summary>
    public ReadOnlySpan<double> G => _g;

    /// <summary>The target derivatives g'(x_i).</summary>
    public ReadOnlySpan<double> Dg => _dg;

    /// <summary>
    /// How well <paramref name="p"/> matches the target on this grid: the weighted root mean squares of f - g and
    /// f' - g' (sqrt of sum_i w_i e_i^2), and their largest absolute values over the points of positive weight.
    /// </summary>
    public FitGridErrors Errors(ActivationParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        double sf = 0, sd = 0, mf = 0, md = 0;
        for (int i = 0; i < _x.Length; i++)
        {
            if (_w[i] == 0) continue;
            double f = ActivationKernels.Evaluate(p, _x[i], out double d);
            double e = f - _g[i], de = d - _dg[i];
            sf += _w[i] * e * e;
            sd += _w[i] * de * de;
            mf = Math.Max(mf, Math.Abs(e));
            md = Math.Max(md, Math.Abs(de));
        }
        return new FitGridErrors(Math.Sqrt(sf), Math.Sqrt(sd), mf, md);
    }

    /// <summary>The objective sum_i w_i [(f(x_i) - g(x_i))^2 + (f'(x_i) - g'(x_i))^2] at <paramref name="p"/>.</summary>
    public double Objective(ActivationParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        double s = 0;
        for (int i = 0; i < _x.Length; i++)
        {
            double f = ActivationKernels.Evaluate(p, _x[i], out double d);
            s += _w[i] * ((f - _g[i]) * (f - _g[i]) + (d - _dg[i]) * (d - _dg[i]));
        }
        return s;
    }
}

/// <summary>A fit's errors on a <see cref="FitGrid"/> (<see cref="FitGrid.Errors"/>).</summary>
/// <param name="RmsError">sqrt(sum_i w_i (f - g)^2).</param>
/// <param name="RmsDerivativeError">sqrt(sum_i w_i (f' - g')^2).</param>
/// <param name="MaxError">max |f - g| over the points of positive weight.</param>
/// <param name="MaxDerivativeError">max |f' - g'| over the points of positive weight.</param>
public sealed record FitGridErrors(double RmsError, double RmsDerivativeError, double MaxError, double MaxDerivativeError);
