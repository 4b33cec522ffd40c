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
    private readonly List<Tensor> _owned = new();
    private bool _disposed;

    internal TensorScope()
    {
        _parent = _current;
        _current = this;
    }

    internal static TensorScope? Current => _current;

    internal void Register(Tensor t) => _owned.Add(t);

    internal void Unregister(Tensor t)
    {
        int i = _owned.LastIndexOf(t);
        if (i >= 0) _owned.RemoveAt(i);
    }

    internal TensorScope? Parent => _parent;

    /// <summary>Releases every tensor created in this scope that was not kept.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_current != this) throw new InvalidOperationException("Tensor scopes must be disposed in reverse order of creation.");
        _current = _parent;
        foreach (var t in _owned) t.ReleaseStorage();
        _owned.Clear();
    }
}
