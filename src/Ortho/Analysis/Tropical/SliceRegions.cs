namespace Ortho.Analysis;

/// <summary>A point (u, v) of a 2-D slice, exact.</summary>
public readonly record struct SlicePoint(QSqrt2 U, QSqrt2 V);

/// <summary>One linear region of a 2-D slice: a convex polygon (counter-clockwise) and its activation pattern.</summary>
public sealed record SliceRegion(IReadOnlyList<SlicePoint> Vertices, int[] Pattern)
{
    /// <summary>The vertices as doubles (for plotting).</summary>
    public (double U, double V)[] VerticesDouble() => Vertices.Select(p => (p.U.ToDouble(), p.V.ToDouble())).ToArray();

    /// <summary>The area (approximate, from the double vertices).</summary>
    public double Area
    {
        get
        {
            var p = VerticesDouble();
            double a = 0;
            for (int i = 0; i < p.Length; i++)
            {
                var (u0, v0) = p[i];
                var (u1, v1) = p[(i + 1) % p.Length];
                a += u0 * v1 - u1 * v0;
            }
            return 0.5 * a;
        }
    }
}

/// <summary>
/// The linear regions of a network restricted to a 2-D slice of input space, x = origin with x_i = u and x_j = v,
/// over the rectangle [u0, u1] x [v0, v1], found exactly by subdividing the hyperplane arrangement layer by layer:
/// start from the rectangle; in each cell the pre-activations of the next layer are affine in (u, v), so every kink
/// of a neuron's activation is a line, and cutting the cell along those lines (neuron by neuron) leaves cells on
/// which that neuron stays on one piece. After the last hidden layer each cell is one activation region: convex
/// (a fixed pattern is a set of linear inequalities) and distinct from every other cell. All coordinates are exact
/// in Q(sqrt 2); cells of zero area are dropped.
/// </summary>
public sealed class SliceRegions
{
    private SliceRegions(int dimU, int dimV, double[] origin, (double, double) uRange, (double, double) vRange, IReadOnlyList<SliceRegion> regions)
    {
        DimU = dimU;
        DimV = dimV;
        Origin = origin;
        URange = uRange;
        VRange = vRange;
        Regions = regions;
    }

    /// <summary>The input coordinate along u.</summary>
    public int DimU { get; }

    /// <summary>The input coordinate along v.</summary>
    public int DimV { get; }

    /// <summary>The values of the other inputs.</summary>
    public IReadOnlyList<double> Origin { get; }

    /// <summary>[u0, u1].</summary>
    public (double Lo, double Hi) URange { get; }

    /// <summary>[v0, v1].</summary>
    public (double Lo, double Hi) VRange { get; }

    /// <summary>The regions.</summary>
    public IReadOnlyList<SliceRegion> Regions { get; }

    /// <summary>Number of regions.</summary>
    public int Count => Regions.Count;

    private readonly record struct Affine(QSqrt2 P, QSqrt2 Q, QSqrt2 R)
    {
        public QSqrt2 At(SlicePoint x) => P * x.U + Q * x.V + R;
    }

    private sealed record Cell(List<SlicePoint> Polygon, Affine[] H, List<int> Pattern);

    /// <summary>
    /// The regions of the slice through <paramref name="origin"/> spanned by inputs <paramref name="dimU"/> and
    /// <paramref name="dimV"/> over <paramref name="uRange"/> x <paramref name="vRange"/> (absolute values of those inputs).
    /// </summary>
    public static SliceRegions Compute(PiecewiseLinearNetwork net, int dimU, int dimV, (double Lo, double Hi) uRange, (double Lo, double Hi) vRange, ReadOnlySpan<double> origin = default)
    {
        ArgumentNullException.ThrowIfNull(net);
        int d = net.Inputs;
        if (d < 2) throw new ArgumentException($"SliceRegions: a 2-D slice needs at least 2 inputs; the model has {d}.");
        if ((uint)dimU >= (uint)d || (uint)dimV >= (uint)d || dimU == dimV)
            throw new ArgumentException($"SliceRegions: slice dims {dimU},{dimV} must be two different inputs in 0..{d - 1}.");
        if (!(uRange.Lo < uRange.Hi) || !(vRange.Lo < vRange.Hi) || !double.IsFinite(uRange.Hi - uRange.Lo) || !double.IsFinite(vRange.Hi - vRange.Lo))
            throw new ArgumentException($"SliceRegions: ranges [{uRange.Lo}, {uRange.Hi}] x [{vRange.Lo}, {vRange.Hi}] must be finite with lo < hi.");
        var o = origin.IsEmpty ? new double[d] : origin.ToArray();
        if (o.Length != d) throw new ArgumentException($"SliceRegions: the origin has {o.Length} coordinates; the model has {d} inputs.");

        var h = new Affine[d];
        for (int i = 0; i < d; i++)
            h[i] = i == dimU ? new Affine(1, 0, 0) : i == dimV ? new Affine(0, 1, 0) : new Affine(0, 0, QSqrt2.FromDouble(o[i]));
        QSqrt2 u0 = QSqrt2.FromDouble(uRange.Lo), u1 = QSqrt2.FromDouble(uRange.Hi), v0 = QSqrt2.FromDouble(vRange.Lo), v1 = QSqrt2.FromDouble(vRange.Hi);
        var cells = new List<Cell> { new([new(u0, v0), new(u1, v0), new(u1, v1), new(u0, v1)], h, []) };
        for (int l = 0; l < net.Activations.Count; l++)
        {
            var next = new List<Cell>();
            foreach (var cell in cells) next.AddRange(SplitLayer(net, l, cell));
            cells = next;
        }
        var regions = cells.Select(c => new SliceRegion(c.Polygon, c.Pattern.ToArray())).ToList();
        return new SliceRegions(dimU, dimV, o, uRange, vRange, regions);
    }

    /// <summary>Cuts a cell along the kinks of every neuron of hidden layer l; returns the cells with the next layer's inputs.</summary>
    private static List<Cell> SplitLayer(PiecewiseLinearNetwork net, int l, Cell cell)
    {
        var w = net.Weights[l];
        var b = net.Biases[l];
        var g = net.Activations[l];
        int width = w.GetLength(0);
        var z = new Affine[width];
        for (int o = 0; o < width; o++)
        {
            QSqrt2 p = QSqrt2.Zero, q = QSqrt2.Zero, r = b[o];
            for (int i = 0; i < cell.H.Length; i++)
            {
                if (w[o, i].IsZero) continue;
                QSqrt2 wi = w[o, i];
                p += wi * cell.H[i].P;
                q += wi * cell.H[i].Q;
                r += wi * cell.H[i].R;
            }
            z[o] = new Affine(p, q, r);
        }
        var parts = new List<(List<SlicePoint> Polygon, List<int> Pattern)> { (cell.Polygon, new List<int>(cell.Pattern)) };
        for (int o = 0; o < width; o++)
        {
            var next = new List<(List<SlicePoint>, List<int>)>();
            foreach (var (poly, pattern) in parts)
                foreach (var piece in Cut(poly, z[o], g))
                    next.Add((piece, new List<int>(pattern) { g.Piece(z[o].At(Centroid(piece))) }));
            parts = next;
        }
        var cells = new List<Cell>(parts.Count);
        foreach (var (poly, pattern) in parts)
        {
            var hNext = new Affine[width];
            int first = pattern.Count - width;
            for (int o = 0; o < width; o++)
            {
                int k = pattern[first + o];
                var s = g.Slopes[k];
                hNext[o] = new Affine(s * z[o].P, s * z[o].Q, s * z[o].R + g.Intercepts[k]);
            }
            cells.Add(new Cell(poly, hNext, pattern));
        }
        return cells;
    }

    /// <summary>The polygon cut along z = B for every kink B of g strictly inside z's range over it.</summary>
    private static List<List<SlicePoint>> Cut(List<SlicePoint> poly, Affine z, PiecewiseLinear g)
    {
        var values = poly.Select(z.At).ToList();
        QSqrt2 lo = values.Min(), hi = values.Max();
        var result = new List<List<SlicePoint>>();
        var rest = poly;
        foreach (var kink in g.Breaks)
        {
            if (kink <= lo || kink >= hi) continue;
            var (below, above) = Split(rest, rest.Select(p => z.At(p) - kink).ToList());
            if (below != null) result.Add(below);
            if (above == null) return result;
            rest = above;
        }
        result.Add(rest);
        return result;
    }

    /// <summary>The parts of a convex polygon where f &lt;= 0 and f &gt;= 0 (null when of zero area).</summary>
    private static (List<SlicePoint>? Below, List<SlicePoint>? Above) Split(List<SlicePoint> poly, List<QSqrt2> f)
    {
        var below = new List<SlicePoint>();
        var above = new List<SlicePoint>();
        for (int i = 0; i < poly.Count; i++)
        {
            int j = (i + 1) % poly.Count;
            int si = f[i].Sign, sj = f[j].Sign;
            if (si <= 0) below.Add(poly[i]);
            if (si >= 0) above.Add(poly[i]);
            if (si * sj < 0)
            {
                var t = f[i] / (f[i] - f[j]);
                var p = new SlicePoint(poly[i].U + t * (poly[j].U - poly[i].U), poly[i].V + t * (poly[j].V - poly[i].V));
                below.Add(p);
                above.Add(p);
            }
        }
        return (HasArea(below) ? below : null, HasArea(above) ? above : null);
    }

    private static bool HasArea(List<SlicePoint> poly)
    {
        if (poly.Count < 3) return false;
        var twice = QSqrt2.Zero;
        for (int i = 0; i < poly.Count; i++)
        {
            var a = poly[i];
            var b = poly[(i + 1) % poly.Count];
            twice += a.U * b.V - b.U * a.V;
        }
        return twice.Sign > 0; // counter-clockwise, positive area
    }

    private static SlicePoint Centroid(List<SlicePoint> poly)
    {
        QSqrt2 u = QSqrt2.Zero, v = QSqrt2.Zero;
        foreach (var p in poly) { u += p.U; v += p.V; }
        QSqrt2 n = poly.Count;
        return new SlicePoint(u / n, v / n);
    }

    /// <summary>
    /// The number of distinct activation patterns at the centres of a <paramref name="resolution"/> x
    /// <paramref name="resolution"/> grid over the slice (computed in double): a sampling estimate, never above
    /// <see cref="Compute"/>'s exact count, equal to it once every region holds a grid point.
    /// </summary>
    public int CountBySampling(PiecewiseLinearNetwork net, int resolution)
    {
        ArgumentNullException.ThrowIfNull(net);
        if (resolution < 1) throw new ArgumentOutOfRangeException(nameof(resolution), "resolution must be positive");
        var seen = new HashSet<int[]>(PatternComparer.Instance);
        var x = Origin.ToArray();
        for (int a = 0; a < resolution; a++)
            for (int c = 0; c < resolution; c++)
            {
                x[DimU] = URange.Lo + (a + 0.5) * (URange.Hi - URange.Lo) / resolution;
                x[DimV] = VRange.Lo + (c + 0.5) * (VRange.Hi - VRange.Lo) / resolution;
                seen.Add(net.PatternAt(x));
            }
        return seen.Count;
    }
}

/// <summary>Compares activation patterns by value.</summary>
public sealed class PatternComparer : IEqualityComparer<int[]>
{
    /// <summary>The comparer.</summary>
    public static PatternComparer Instance { get; } = new();

    /// <inheritdoc/>
    public bool Equals(int[]? x, int[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    /// <inheritdoc/>
    public int GetHashCode(int[] obj)
    {
        var h = new HashCode();
        foreach (var v in obj) h.Add(v);
        return h.ToHashCode();
    }
}
