namespace Ortho.Autograd;

/// <summary>Thread-local switch for recording ops on the tape.</summary>
internal static class GradMode
{
    [ThreadStatic] private static int _disabledDepth;

    public static bool Enabled => _disabledDepth == 0;

    public static void Disable() => _disabledDepth++;

    public static void Restore() => _disabledDepth--;
}

/// <summary>While alive, ops record no autograd graph (see <see cref="Tensor.NoGrad"/>).</summary>
public sealed class NoGradScope : IDisposable
{
    private bool _disposed;

    internal NoGradScope() => GradMode.Disable();

    /// <summary>Re-enables gradient recording.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        GradMode.Restore();
    }
}
