namespace Ortho.Autograd;

/// <summary>Computes the inputs' gradient contributions from the output's gradient, accumulating into them.</summary>
internal delegate void BackwardFn(Tensor outputGrad);

/// <summary>
/// One recorded op of the dynamic tape (micrograd style): its inputs and a closure holding whatever the
/// forward saved. The closure is dropped after backward, which releases the saved tensors.
/// </summary>
internal sealed class Node
{
    public Node(string op, Tensor[] inputs, BackwardFn backward)
    {
        Op = op;
        Inputs = inputs;
        Backward = backward;
    }

    public string Op { get; }
    public Tensor[] Inputs { get; private set; }
    public BackwardFn? Backward { get; private set; }
    public bool Released => Backward == null;

    /// <summary>The op's row in the profile that ran when it was recorded (see <see cref="OpProfile"/>), else null.</summary>
    public OpProfileRow? Profile { get; init; }

    public void Release()
    {
        Backward = null;
        Inputs = Array.Empty<Tensor>();
    }
}
