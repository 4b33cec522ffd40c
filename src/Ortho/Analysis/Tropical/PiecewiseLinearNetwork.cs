using Ortho.Models;

namespace Ortho.Analysis;

/// <summary>
/// An <see cref="Mlp"/> whose hidden activations are all piecewise-linear (tropical, tropical-rational, ReLU), read
/// exactly: weights as rationals, activations as <see cref="PiecewiseLinear"/>. The network is then a continuous
/// piecewise-linear map; its activation pattern (the piece every hidden neuron is on) is constant on convex
/// polyhedral regions, the linear regions counted by <see cref="LineRegions"/> and <see cref="SliceRegions"/>.
/// </summary>
public sealed class PiecewiseLinearNetwork
{
    private PiecewiseLinearNetwork(Mlp model, Rational[][,] weights, Rational[][] biases, PiecewiseLinear[] activations)
    {
        Model = model;
        Weights = weights;
        Biases = biases;
        Activations = activations;
    }

    /// <summary>The model read.</summary>
    public Mlp Model { get; }

    /// <summary>Weights [out, in] of each Linear layer.</summary>
    public IReadOnlyList<Rational[,]> Weights { get; }

    /// <summary>Biases of each Linear layer.</summary>
    public IReadOnlyList<Rational[]> Biases { get; }

    /// <summary>The activation of each hidden layer (shared by its neurons).</summary>
    public IReadOnlyList<PiecewiseLinear> Activations { get; }

    /// <summary>Number of inputs.</summary>
    public int Inputs => Model.Config.Inputs;

    /// <summary>Widths of the hidden layers.</summary>
    public IReadOnlyList<int> Hidden => Model.Config.Hidden;

    /// <summary>Total number of hidden neurons.</summary>
    public int HiddenNeurons => Model.Config.Hidden.Sum();

    /// <summary>Reads the model.</summary>
    /// <exception cref="ArgumentException">A hidden activation is not piecewise-linear (the message names the layer).</exception>
    public static PiecewiseLinearNetwork FromMlp(Mlp model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var acts = new PiecewiseLinear[model.Activations.Count];
        for (int l = 0; l < acts.Length; l++)
        {
            try { acts[l] = PiecewiseLinear.For(model.Activations[l]); }
            catch (ArgumentException e) { throw new ArgumentException($"hidden layer {l} (layers.{2 * l + 1}): {e.Message}", e); }
        }
        var w = new Rational[model.Linears.Count][,];
        var b = new Rational[model.Linears.Count][];
        for (int l = 0; l < w.Length; l++)
        {
            var lin = model.Linears[l];
            var data = lin.Weight.Data;
            w[l] = new Rational[lin.OutFeatures, lin.InFeatures];
            b[l] = new Rational[lin.OutFeatures];
            for (int o = 0; o < lin.OutFeatures; o++)
            {
                for (int i = 0; i < lin.InFeatures; i++) w[l][o, i] = Rational.FromFloat(data[o * lin.InFeatures + i]);
                b[l][o] = lin.Bias is null ? Rational.Zero : Rational.FromFloat(lin.Bias.Data[o]);
            }
        }
        return new PiecewiseLinearNetwork(model, w, b, acts);
    }

    /// <summary>
    /// Value and right-hand derivative along a direction, layer by layer: given inputs x (and their derivatives dx
    /// along the direction of travel), the pre-activations of every hidden layer, the pieces entered (at a kink, the
    /// one the motion enters), and the outputs. Exact.
    /// </summary>
    internal Trace Walk(QSqrt2[] x, QSqrt2[] dx)
    {
        var pre = new (QSqrt2[] Value, QSqrt2[] Slope)[Activations.Count];
        var pieces = new int[HiddenNeurons];
        int n = 0;
        var h = x;
        var dh = dx;
        for (int l = 0; l < Weights.Count; l++)
        {
            var (z, dz) = Affine(l, h, dh);
            if (l == Activations.Count) return new Trace(pre, pieces, z, dz);
            pre[l] = (z, dz);
            var g = Activations[l];
            h = new QSqrt2[z.Length];
            dh = new QSqrt2[z.Length];
            for (int j = 0; j < z.Length; j++)
            {
                int p = g.Piece(z[j], dz[j].Sign);
                pieces[n++] = p;
                dh[j] = g.Slopes[p] * dz[j];
                h[j] = g.Slopes[p] * z[j] + g.Intercepts[p];
            }
        }
        throw new InvalidOperationException("unreachable: the last layer is linear");
    }

    private (QSqrt2[] Z, QSqrt2[] Dz) Affine(int l, QSqrt2[] h, QSqrt2[] dh)
    {
        var w = Weights[l];
        var z = new QSqrt2[w.GetLength(0)];
        var dz = new QSqrt2[z.Length];
        for (int o = 0; o < z.Length; o++)
        {
            QSqrt2 s = Biases[l][o], ds = QSqrt2.Zero;
            for (int i = 0; i < h.Length; i++)
            {
                if (w[o, i].IsZero) continue;
                s += (QSqrt2)w[o, i] * h[i];
                ds += (QSqrt2)w[o, i] * dh[i];
            }
            z[o] = s;
            dz[o] = ds;
        }
        return (z, dz);
    }

    /// <summary>The network's outputs at x, exactly.</summary>
    public QSqrt2[] Evaluate(IReadOnlyList<QSqrt2> x)
    {
        if (x.Count != Inputs) throw new ArgumentException($"PiecewiseLinearNetwork: {x.Count} values for {Inputs} inputs.");
        return Walk(x.ToArray(), new QSqrt2[Inputs]).Outputs;
    }

    /// <summary>The activation pattern at x computed in double (for sampling: exact away from region boundaries).</summary>
    public int[] PatternAt(ReadOnlySpan<double> x)
    {
        var pattern = new int[HiddenNeurons];
        var h = x.ToArray();
        int n = 0;
        for (int l = 0; l < Activations.Count; l++)
        {
            var lin = Model.Linears[l];
            var w = lin.Weight.Data;
            var z = new double[lin.OutFeatures];
            var g = Activations[l];
            for (int o = 0; o < z.Length; o++)
            {
                double s = lin.Bias is null ? 0 : lin.Bias.Data[o];
                for (int i = 0; i < h.Length; i++) s += (double)w[o * h.Length + i] * h[i];
                int p = g.Piece(s);
                pattern[n++] = p;
                z[o] = g.SlopesDouble[p] * s + g.InterceptsDouble[p];
            }
            h = z;
        }
        return pattern;
    }

    /// <summary>One exact pass: per hidden layer the pre-activations and their slopes, the pattern, the outputs.</summary>
    internal sealed record Trace((QSqrt2[] Value, QSqrt2[] Slope)[] PreActivations, int[] Pattern, QSqrt2[] Outputs, QSqrt2[] OutputSlopes);
}
