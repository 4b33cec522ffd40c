namespace Ortho.NN;

/// <summary>Called before a module's forward with its input (null when the forward does not take one tensor).</summary>
public delegate void ForwardPreHook(Module module, Tensor? input);

/// <summary>Called after a module's forward with its input (null when the forward does not take one tensor) and output.</summary>
public delegate void ForwardHook(Module module, Tensor? input, Tensor output);

public abstract partial class Module
{
    // Immutable; replaced on every change and null while no hook is registered, so a forward without hooks pays one
    // null check and a firing forward sees a consistent set even if a hook removes itself.
    private HookSet? _hooks;

    /// <summary>
    /// Registers <paramref name="hook"/> to run after every call of this module's forward (PyTorch's
    /// <c>register_forward_hook</c>); it observes the output and cannot replace it. Hooks run in registration order.
    /// </summary>
    /// <returns>A handle whose <see cref="IDisposable.Dispose"/> removes the hook.</returns>
    public IDisposable RegisterForwardHook(ForwardHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return AddHook(hook);
    }

    /// <summary>Registers <paramref name="hook"/> to run before every call of this module's forward (PyTorch's <c>register_forward_pre_hook</c>).</summary>
    /// <returns>A handle whose <see cref="IDisposable.Dispose"/> removes the hook.</returns>
    public IDisposable RegisterForwardPreHook(ForwardPreHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return AddHook(hook);
    }

    /// <summary>Whether any forward hook or pre-hook is registered on this module.</summary>
    public bool HasForwardHooks => _hooks != null;

    /// <summary>
    /// Runs the forward pre-hooks. <see cref="UnaryModule.Forward"/> does this; a module whose forward takes other
    /// arguments calls it (with null input) at the start of its forward when <see cref="HasForwardHooks"/>.
    /// </summary>
    protected void RunForwardPreHooks(Tensor? input)
    {
        if (_hooks is { } h)
            foreach (var hook in h.Pre) hook(this, input);
    }

    /// <summary>Runs the forward hooks on <paramref name="output"/> and returns it (see <see cref="RunForwardPreHooks"/>).</summary>
    protected Tensor RunForwardHooks(Tensor? input, Tensor output)
    {
        if (_hooks is { } h)
            foreach (var hook in h.Post) hook(this, input, output);
        return output;
    }

    private HookHandle AddHook(Delegate hook)
    {
        lock (_modules)
        {
            var h = _hooks ?? HookSet.Empty;
            _hooks = hook is ForwardHook post ? h with { Post = [.. h.Post, post] } : h with { Pre = [.. h.Pre, (ForwardPreHook)hook] };
        }
        return new HookHandle(this, hook);
    }

    private void RemoveHook(Delegate hook)
    {
        lock (_modules)
        {
            if (_hooks is not { } h) return;
            h = hook is ForwardHook post ? h with { Post = Without(h.Post, post) } : h with { Pre = Without(h.Pre, (ForwardPreHook)hook) };
            _hooks = h.Pre.Length + h.Post.Length == 0 ? null : h;
        }
    }

    private static T[] Without<T>(T[] hooks, T hook) where T : Delegate
    {
        int i = Array.FindIndex(hooks, h => ReferenceEquals(h, hook));
        return i < 0 ? hooks : [.. hooks[..i], .. hooks[(i + 1)..]];
    }

    private sealed record HookSet(ForwardPreHook[] Pre, ForwardHook[] Post)
    {
        public static readonly HookSet Empty = new([], []);
    }

    /// <summary>Removes its hook once, on the first Dispose.</summary>
    private sealed class HookHandle(Module module, Delegate hook) : IDisposable
    {
        private Module? _module = module;

        public void Dispose() => Interlocked.Exchange(ref _module, null)?.RemoveHook(hook);
    }
}
