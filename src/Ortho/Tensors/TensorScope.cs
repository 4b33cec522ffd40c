namespace Ortho;

/// <summary>
/// A region whose tensors give their storage back to <see cref="TensorPool"/> when it ends.
/// Wrap each training step in one: <c>using (Tensor.Scope()) { ... }</c>. Tensors created outside any
/// scope (parameters, their gradients, optimizer state) live until garbage-collected.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;
    private readonly TensorScope? _parent;
    private readonly HashSet<Tensor> _owned = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    internal TensorScope()
    {
        _parent = _current;
        _current = this;
    }

    internal static TensorScope? Current => _current;

    internal void Register(Tensor t)
    {
        _owned.Add(t);
        t.Owner = this;
    }

    internal void Unregister(Tensor t)
    {
        if (_owned.Remove(t)) t.Owner = null;
    }

    internal TensorScope? Parent => _parent;

    /// <summary>Releases every tensor created in this scope that was not kept.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _owned)
        {
            t.Owner = null;
            t.ReleaseStorage();
        }
        _owned.Clear();
        if (_current != this) throw new InvalidOperationException("Tensor scopes must be disposed in reverse order of creation (this one's tensors were released).");
        _current = _parent;
    }
}
