using System.Numerics.Tensors;
using Ortho.Autograd;

namespace Ortho;

public partial class Tensor
{
    private bool _requiresGrad;
    internal Node? Node;

    /// <summary>The op that made this tensor, when <see cref="Keep"/> moved it out of its scope and dropped its history.</summary>
    internal string? KeptFrom;

    /// <summary>
    /// Whether gradients flow to this tensor. Settable on leaves only (tensors not produced by a recorded op).
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (Node != null && !value)
                throw new InvalidOperationException($"RequiresGrad cannot be cleared on a non-leaf tensor {Describe()} (made by '{Node.Op}'); use Detach().");
            _requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient (same shape), or null before any backward reached this tensor.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>True when this tensor was not produced by a recorded op.</summary>
    public bool IsLeaf => Node == null;

    /// <summary>The name of the op that produced this tensor, or null for a leaf.</summary>
    public string? GradFn => Node?.Op;

    /// <summary>Within the returned scope no autograd graph is recorded: <c>using (Tensor.NoGrad()) { ... }</c>.</summary>
    public static NoGradScope NoGrad() => new();

    /// <summary>Whether ops currently record the autograd graph on this thread.</summary>
    public static bool IsGradEnabled => GradMode.Enabled;

    /// <summary>A view of the same storage with no autograd history.</summary>
    public Tensor Detach()
    {
        ThrowIfReleased();
        Store.AddRef();
        return new Tensor(Store, Offset, _shape);
    }

    /// <summary>Sets the gradient to zero (keeping its storage) or drops it.</summary>
    public void ZeroGrad(bool setToNull = false)
    {
        if (setToNull) Grad = null;
        else Grad?.Data.Clear();
    }

    /// <summary>The gradient buffer, created zero-filled if missing. Leaves get storage that outlives scopes.</summary>
    internal Span<float> GradSpan()
    {
        var g = GradSpan(out bool fresh);
        if (fresh) Kernels.ElementwiseKernels.Clear(g);
        return g;
    }

    /// <summary>grad += <paramref name="g"/> (same length): a copy when no gradient has reached this tensor yet.</summary>
    internal void AddToGrad(ReadOnlySpan<float> g)
    {
        var dx = GradSpan(out bool fresh);
        if (fresh) Kernels.ElementwiseKernels.Copy(g, dx);
        else Kernels.ElementwiseKernels.AddInto(dx, g);
    }

    /// <summary>
    /// grad += <paramref name="g"/> for a pass-through (residual add, reshape): when no gradient has reached this
    /// intermediate tensor yet, it takes <paramref name="g"/>'s buffer itself instead of a copy (see
    /// <see cref="TryTakeBuffer"/>).
    /// </summary>
    internal void TakeGrad(Tensor g)
    {
        if (!TryTakeBuffer(g)) AddToGrad(g.Data);
    }

    /// <summary>
    /// The gradient buffer for the input of an element-wise op whose backward can compute dx in place over dy: this
    /// tensor takes <paramref name="g"/>'s buffer when it can (<see cref="TryTakeBuffer"/>; <paramref name="fresh"/> is then
    /// true, and the op writes dx over dy in the memory its producer just wrote, with no new buffer); otherwise as
    /// <see cref="GradSpan(out bool)"/>.
    /// </summary>
    internal Span<float> GradSpanInPlaceOf(Tensor g, out bool fresh)
    {
        if (TryTakeBuffer(g))
        {
            fresh = true;
            return Grad!.Data;
        }
        return GradSpan(out fresh);
    }

    /// <summary>
    /// Makes <paramref name="g"/>'s buffer this tensor's gradient, shared by reference count, when no gradient has reached
    /// this intermediate tensor yet and g holds its buffer alone. Safe because nothing reads an intermediate's gradient
    /// once its op has propagated it (the tape drops it then), so nothing reads g again once this tensor starts
    /// accumulating into the buffer. Leaves (parameters) keep gradients of their own that outlive the step, and a buffer
    /// held elsewhere too (a graph kept with retainGraph) is not taken.
    /// </summary>
    private bool TryTakeBuffer(Tensor g)
    {
        if (Grad != null || Node == null || g.Length != Length || g.Store.RefCount != 1) return false;
        g.Store.AddRef();
        Grad = new Tensor(g.Store, g.Offset, (int[])_shape.Clone());
        return true;
    }

    /// <summary>
    /// The gradient buffer for a backward pass that can write instead of add: when no gradient has reached this tensor
    /// yet, <paramref name="fresh"/> is true and the buffer is NOT zeroed: the caller must overwrite every element. Saves
    /// a pass over memory per activation gradient (a GEMM writes with beta = 0, a pass-through copies).
    /// </summary>
    internal Span<float> GradSpan(out bool fresh)
    {
        fresh = Grad == null;
        if (fresh)
        {
            Grad = Node == null ? Unscoped(_shape) : Empty(_shape);
            if (PoisonFreshGradients) Grad.Data.Fill(float.NaN);
        }
        return Grad!.Data;
    }

    /// <summary>
    /// Test hook (this thread only): fill fresh write-first gradient buffers with NaN, so a backward pass that leaves an
    /// element unwritten shows up as a NaN gradient instead of whatever a pooled buffer held.
    /// </summary>
    [ThreadStatic] internal static bool PoisonFreshGradients;

    /// <summary>The gradient buffer if this tensor requires a gradient, else an empty span (kernels skip empty gradients).</summary>
    internal Span<float> GradSpanIfRequired() => RequiresGrad ? GradSpan() : default;

    /// <summary>Records <paramref name="output"/> as produced by <paramref name="op"/> if any input needs a gradient.</summary>
    /// <param name="output">The op's output.</param>
    /// <param name="op">The op's name.</param>
    /// <param name="inputs">The op's inputs.</param>
    /// <param name="backward">Accumulates the inputs' gradients from the output's (or writes one whose buffer is fresh: <see cref="GradSpan(out bool)"/>).</param>
    /// <param name="activation">The op is an activation function (for the profile's op families: the tape does not
    /// know the activations, which live above it).</param>
    internal static Tensor Record(Tensor output, string op, Tensor[] inputs, BackwardFn backward, bool activation = false)
    {
        var row = OpProfile.Current?.Forward(op, inputs, output, activation);
        if (!GradMode.Enabled) return output;
        foreach (var t in inputs)
        {
            if (t.RequiresGrad)
            {
                output.Node = new Node(op, inputs, backward) { Profile = row };
                output._requiresGrad = true;
                return output;
            }
        }
        return output;
    }

    /// <summary>
    /// Back-propagates from this tensor: a scalar, or any shape with an explicit upstream <paramref name="gradient"/>.
    /// Gradients accumulate into the <see cref="Grad"/> of every leaf that requires one. The graph is released
    /// afterwards unless <paramref name="retainGraph"/> is set.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false)
    {
        if (!RequiresGrad && KeptFrom != null)
            throw new InvalidOperationException($"Backward() on tensor {Describe()} (made by '{KeptFrom}') that was kept out of its TensorScope: its graph was released with the scope. Call Backward inside the scope that ran the forward pass.");
        if (!RequiresGrad)
            throw new InvalidOperationException($"Backward() on tensor {Describe()} that does not require grad (no input of its ops requires grad, or it was made under NoGrad).");
        if (gradient == null && Length != 1)
            throw new InvalidOperationException($"Backward() without a gradient needs a scalar (one element); tensor {Describe()} has {Length}. Pass the upstream gradient.");
        if (gradient != null && !gradient.ShapeSpan.SequenceEqual(_shape))
            throw new ArgumentException($"Backward(): gradient shape {ShapeString(gradient.ShapeSpan)} does not match tensor shape {ShapeString(_shape)}.");
        if (Node is { Released: true })
            throw new InvalidOperationException($"Backward through a graph that was already released (op '{Node.Op}'). Pass retainGraph: true to the first Backward to call it twice.");

        var order = TopologicalOrder(this);
        foreach (var t in order)
            if (t.Node!.Released)
                throw new InvalidOperationException($"Backward through a graph that was already released (op '{t.Node.Op}'). Pass retainGraph: true to the first Backward to call it twice.");
        if (gradient == null) GradSpan()[0] += 1f;
        else AddToGrad(gradient.Data);

        var profile = OpProfile.Current;
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            var node = t.Node!;
            if (t.Grad == null) continue;
            profile?.BeforeBackward();
            try { node.Backward!(t.Grad); }
            catch (ObjectDisposedException e)
            {
                throw new InvalidOperationException($"Backward through '{node.Op}' needs tensors that were released when their TensorScope ended; call Backward inside the scope that ran the forward pass.", e);
            }
            profile?.AfterBackward(node.Profile);
            if (!retainGraph && t != this)
            {
                t.Grad.ReleaseNow(); // an intermediate gradient is dead once its op has propagated it
                t.Grad = null;
            }
        }

        foreach (var t in order)
        {
            if (!retainGraph) t.Node!.Release();
            t.Grad = null; // gradients of intermediate tensors are not kept (as in PyTorch)
        }
    }

    /// <summary>Non-leaf tensors reachable from <paramref name="root"/>, each after all of its inputs.</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        if (root.Node == null) return order;
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor T, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.Node!.Inputs;
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.Node != null && child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
            }
            else order.Add(t);
        }
        return order;
    }
}
