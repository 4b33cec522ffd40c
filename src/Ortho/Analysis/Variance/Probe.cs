using System.Numerics.Tensors;

namespace Ortho.Analysis.Variance;

/// <summary>
/// A measurement point in a forward pass: <see cref="Tap"/> records E[x^2] of the tensor passing through and returns
/// an identity op whose backward records E[g^2] of the gradient arriving there (intermediate gradients are not kept
/// after a backward pass, so they are read on the way through).
/// </summary>
internal sealed class Probe
{
    /// <summary>E[x^2] of the last tensor tapped.</summary>
    public MomentEstimate Forward { get; private set; }

    /// <summary>E[g^2] of the gradient that reached the tap in the last backward pass (NaN if none did).</summary>
    public MomentEstimate Backward { get; private set; } = new(double.NaN, double.NaN, null);

    /// <summary>Measures <paramref name="x"/> (whose first dimension holds <paramref name="rows"/> independent samples) and passes it on.</summary>
    public Tensor Tap(Tensor x, int rows)
    {
        Forward = SecondMoment.OfRows(x.Data, rows);
        Backward = new(double.NaN, double.NaN, null);
        if (!x.RequiresGrad || !Tensor.IsGradEnabled) return x;
        return x.Unary("variance_probe", static (a, b) => a.CopyTo(b), (_, _, dy, dx, accumulate) =>
        {
            Backward = SecondMoment.OfRows(dy, rows);
            if (accumulate) TensorPrimitives.Add(dx, dy, dx);
            else dy.CopyTo(dx);
        });
    }
}
