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
