namespace Ortho.Autograd;

/// <summary>Computes the inputs' gradient contributions from the output's gradient, accumulating into them.</summary>
internal delegate void BackwardFn(Tensor outputGrad);

/// <summary>
/// One recorded op of the dynamic tape (micrograd style): its inputs and a closure holding whatever the
/// forward saved. The closure is dropped after backward, which releases the saved tensors.
/// </summary>
internal sealed class Node
{
    [ThreadStatic] private static long s_recorded;

    public Node(string op, Tensor[] inputs, BackwardFn backward)
    {
        Op = op;
        Inputs = inputs;
        Backward = backward;
        Sequence = ++s_recorded;
    }

    public string Op { get; }

    /// <summary>The order in which this thread recorded its ops: a graph walk sorts by it to visit ops in forward order.</summary>
    public long Sequence { get; }
    public Tensor[] Inputs { get; private set; }
    public BackwardFn? Backward { get; private set; }
    public bool Released => Backward == null;

    public void Release()
    {
        Backward = null;
        Inputs = Array.Empty<Tensor>();
    }
}
