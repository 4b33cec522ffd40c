namespace Ortho.Analysis;

/// <summary>
/// The linear regions a segment from <see cref="From"/> to <see cref="To"/> crosses, counted exactly by walking it:
/// within a region every pre-activation is affine in the position t in [0, 1], so the next region starts at the
/// nearest t where some neuron's pre-activation reaches a kink of its activation; from there the pattern is
/// recomputed exactly (several neurons may switch at once). Arithmetic is in Q(sqrt 2), so no crossing is missed or
/// invented by rounding. The count is of activation regions (distinct activation patterns); <see cref="LinearPieces"/>
/// merges neighbours on which the outputs are the same affine function.
/// </summary>
public sealed class LineRegions
{
    private LineRegions(double[] from, double[] to, IReadOnlyList<QSqrt2> boundaries, IReadOnlyList<int[]> patterns, int linearPieces)
    {
        From = from;
        To = to;
        Boundaries = boundaries;
        Patterns = patterns;
        LinearPieces = linearPieces;
    }

    /// <summary>Start of the segment (t = 0).</summary>
    public IReadOnlyList<double> From { get; }

    /// <summary>End of the segment (t = 1).</summary>
    public IReadOnlyList<double> To { get; }

    /// <summary>Where the pattern changes, 0 &lt; t &lt; 1, increasing (exact).</summary>
    public IReadOnlyList<QSqrt2> Boundaries { get; }

    /// <summary>The activation pattern of each region crossed, in order.</summary>
    public IReadOnlyList<int[]> Patterns { get; }

    /// <summary>Number of activation regions crossed (Boundaries + 1).</summary>
    public int Regions => Patterns.Count;

    /// <summary>Number of maximal pieces on which the outputs are affine in t (at most <see cref="Regions"/>).</summary>
    public int LinearPieces { get; }

    /// <summary>Walks the segment from <paramref name="from"/> to <paramref name="to"/> (input space, exact doubles).</summary>
    public static LineRegions Compute(PiecewiseLinearNetwork net, ReadOnlySpan<double> from, ReadOnlySpan<double> to)
    {
        ArgumentNullException.ThrowIfNull(net);
        if (from.Length != net.Inputs || to.Length != net.Inputs)
            throw new ArgumentException($"LineRegions: the endpoints have {from.Length} and {to.Length} coordinates; the model has {net.Inputs} inputs.");
        var a = new QSqrt2[net.Inputs];
        var v = new QSqrt2[net.Inputs];
        bool moves = false;
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = QSqrt2.FromDouble(from[i]);
            v[i] = QSqrt2.FromDouble(to[i]) - a[i];
            moves |= !v[i].IsZero;
        }
        if (!moves) throw new ArgumentException("LineRegions: the segment's endpoints are equal.");
        var boundaries = new List<QSqrt2>();
        var patterns = new List<int[]>();
        int pieces = 0;
        QSqrt2[]? lastOutSlope = null;
        var t = QSqrt2.Zero;
        while (true)
        {
            var x = new QSqrt2[a.Length];
            for (int i = 0; i < x.Length; i++) x[i] = a[i] + t * v[i];
            var trace = net.Walk(x, v);
            if (patterns.Count == 0 || !patterns[^1].AsSpan().SequenceEqual(trace.Pattern))
            {
                if (patterns.Count > 0) boundaries.Add(t);
                patterns.Add(trace.Pattern);
                if (lastOutSlope is null || !lastOutSlope.AsSpan().SequenceEqual(trace.OutputSlopes)) pieces++;
                lastOutSlope = trace.OutputSlopes;
            }
            var next = NextKink(net, trace, t);
            if (next is not { } tn || tn >= QSqrt2.One) break;
            t = tn;
        }
        return new LineRegions(from.ToArray(), to.ToArray(), boundaries, patterns, pieces);
    }

    /// <summary>The smallest t' &gt; t at which some neuron's pre-activation, moving affinely, reaches a kink.</summary>
    private static QSqrt2? NextKink(PiecewiseLinearNetwork net, PiecewiseLinearNetwork.Trace trace, QSqrt2 t)
    {
        QSqrt2? best = null;
        int n = 0;
        for (int l = 0; l < net.Activations.Count; l++)
        {
            var g = net.Activations[l];
            var (z, dz) = trace.PreActivations[l];
            for (int j = 0; j < z.Length; j++, n++)
            {
                int sign = dz[j].Sign;
                if (sign == 0) continue;
                int p = trace.Pattern[n];
                // The kink ahead: the right end of the piece when moving right, the left end when moving left.
                int k = sign > 0 ? p : p - 1;
                if (k < 0 || k >= g.Breaks.Count) continue;
                var tk = t + (g.Breaks[k] - z[j]) / dz[j];
                if (best is not { } b || tk < b) best = tk;
            }
        }
        return best;
    }
}
