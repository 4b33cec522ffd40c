using Ortho.Activations;
using Ortho.NN;

namespace Ortho.Ops;

/// <summary>
/// A learnable activation as one autograd op with a hand-written backward (a custom op): the forward runs the family's
/// float kernel and saves only x; the backward is one fused pass over x and dy computing dx and every parameter gradient.
/// </summary>
internal static class LearnableActivationOp
{
    /// <summary>
    /// y = f(x) for a family of degree <paramref name="degree"/> whose parameters are <paramref name="parameters"/>:
    /// the kernels read their values through <paramref name="values"/> and accumulate their gradients into
    /// <paramref name="grads"/> (which supplies a throw-away buffer for a frozen parameter).
    /// </summary>
    public static Tensor Apply(Tensor x, ActivationFamily family, int degree, Parameter[] parameters, IParameterSpans values, IParameterSpans grads)
    {
        var y = Tensor.Empty(x.Shape);
        family.Forward(y.Data, x.Data, values, degree);
        return Tensor.Record(y, family.Name, [x, .. parameters], g =>
        {
            // The first gradient to reach x is written, not added: its buffer needs no zeroing pass.
            bool fresh = false;
            var dx = !x.RequiresGrad ? default : family.BackwardInPlace ? x.GradSpanInPlaceOf(g, out fresh) : x.GradSpan(out fresh);
            family.Backward(dx, grads, x.Data, g.Data, values, degree, needDx: x.RequiresGrad, accumulateDx: !fresh);
        }, activation: true);
    }
}
