using System.Numerics;
using Ortho.Activations;
using Ortho.Models;

namespace Ortho.Analysis;

/// <summary>
/// Upper bounds on the number of activation regions of an MLP whose hidden neurons apply a univariate
/// piecewise-linear function with p_l pieces (p_l - 1 kinks) in layer l, restricted to an input subspace of
/// dimension n_0 (1 for a line, 2 for a slice). Hidden layer l's kinks form, inside each region of the layers
/// before it, an arrangement of n_l groups of p_l - 1 parallel hyperplanes whose normals span at most
/// d_l = min(n_0, n_1, ..., n_l) dimensions; such an arrangement has at most
/// sum_{i=0..d_l} C(n_l, i) (p_l - 1)^i regions (Zaslavsky's count for generic position: one region per
/// independent set of hyperplanes, at most one from each parallel group). Multiplying over the layers gives
/// N &lt;= prod_l sum_{i=0..d_l} C(n_l, i) (p_l - 1)^i, the product bound of Montufar et al. (2014) and Serra et al.
/// (2018) for ReLU (p_l = 2), extended to p_l pieces. On a line it is prod_l (1 + n_l (p_l - 1)).
/// </summary>
public static class RegionBound
{
    /// <summary>The bound for hidden widths <paramref name="widths"/> with <paramref name="pieces"/> pieces per neuron.</summary>
    public static BigInteger Of(int inputDimension, IReadOnlyList<int> widths, IReadOnlyList<int> pieces)
    {
        if (inputDimension < 1) throw new ArgumentOutOfRangeException(nameof(inputDimension), "the input dimension must be positive");
        if (widths.Count != pieces.Count) throw new ArgumentException("RegionBound: one piece count per hidden layer");
        BigInteger total = BigInteger.One;
        int dim = inputDimension;
        for (int l = 0; l < widths.Count; l++)
        {
            dim = Math.Min(dim, widths[l]);
            BigInteger sum = BigInteger.Zero, choose = BigInteger.One, power = BigInteger.One;
            for (int i = 0; i <= dim; i++)
            {
                sum += choose * power;
                choose = choose * (widths[l] - i) / (i + 1);
                power *= Math.Max(0, pieces[l] - 1);
            }
            total *= sum;
        }
        return total;
    }

    /// <summary>The most pieces an activation of this spec can have: tropical:n n+1, tropical_rational:n 2n+1, relu 2.</summary>
    public static int MaxPieces(ActivationSpec spec) => spec.Kind switch
    {
        "tropical" => spec.Degree + 1,
        "tropical_rational" => 2 * spec.Degree + 1,
        "relu" => 2,
        _ => throw new ArgumentException($"activation '{spec}' is not piecewise-linear."),
    };

    /// <summary>The bound for the architecture: every activation with its most pieces.</summary>
    public static BigInteger ForArchitecture(Mlp model, int inputDimension) =>
        Of(inputDimension, model.Config.Hidden, model.Config.Hidden.Select((_, l) => MaxPieces(model.ActivationSpecOf(l))).ToArray());

    /// <summary>The bound for the trained activations (their actual numbers of pieces).</summary>
    public static BigInteger ForTrained(PiecewiseLinearNetwork net, int inputDimension) =>
        Of(inputDimension, net.Hidden, net.Activations.Select(a => a.Pieces).ToArray());
}
