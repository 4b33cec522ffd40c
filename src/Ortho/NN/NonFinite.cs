using System.Numerics.Tensors;

namespace Ortho.NN;

/// <summary>Helpers that locate where NaN or infinity first appears in a model.</summary>
public static class NonFinite
{
    /// <summary>True when every element is finite.</summary>
    public static bool AllFinite(ReadOnlySpan<float> x)
    {
        // x * 0 is 0 for finite x and NaN for NaN or infinity, so one pass over a sum decides it.
        float s = 0;
        const int block = 4096;
        for (int i = 0; i < x.Length; i += block)
        {
            var part = x.Slice(i, Math.Min(block, x.Length - i));
            s += TensorPrimitives.Sum(part) * 0f;
            if (float.IsNaN(s)) break;
        }
        if (!float.IsNaN(s)) return true;
        foreach (var v in x) if (!float.IsFinite(v)) return false;
        return true;
    }

    /// <summary>The name of the first parameter holding a non-finite value, or null.</summary>
    public static string? FirstNonFiniteParameter(Module model) =>
        model.NamedParameters().Where(p => !AllFinite(p.Parameter.Data)).Select(p => "parameter " + p.Name).FirstOrDefault();

    /// <summary>
    /// Runs <paramref name="runForward"/> once with gradients off, watching every module of <paramref name="model"/>
    /// through forward hooks, and names where NaN or infinity first appears: "parameter NAME" when a parameter already
    /// holds one (nothing is run then); else the dotted name of the first module, in execution order, whose own code
    /// made a non-finite value, or null if none did. Any model works, with no per-model code.
    /// </summary>
    /// <remarks>
    /// A module is named when its output is non-finite although its input and its submodules' outputs were finite, or
    /// when one of its submodules receives a non-finite input (the code between its submodules' calls made it). A
    /// non-finite input of the model itself is "input"; one made by a model whose forward fires no hooks of its own
    /// (its forward takes other arguments than one tensor, as <c>Gpt</c>'s token ids) is the model's type name.
    /// </remarks>
    /// <param name="model">The model (every module of its tree is watched).</param>
    /// <param name="runForward">Runs the forward pass to diagnose, e.g. the batch's loss; what it returns is not used.</param>
    public static string? FirstNonFiniteModule(Module model, Action runForward)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(runForward);
        if (FirstNonFiniteParameter(model) is { } parameter) return parameter;
        var names = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, m) in model.NamedModules()) names.TryAdd(m, name.Length == 0 ? model.GetType().Name : name);
        var running = new Stack<Module>();
        string? found = null;
        var handles = new List<IDisposable>();
        try
        {
            foreach (var m in names.Keys)
            {
                handles.Add(m.RegisterForwardPreHook((module, input) =>
                {
                    if (found == null && input != null && !AllFinite(input.Data))
                        found = running.TryPeek(out var caller) ? names[caller] : module == model ? "input" : names[model];
                    running.Push(module);
                }));
                handles.Add(m.RegisterForwardHook((module, _, output) =>
                {
                    running.Pop();
                    if (found == null && !AllFinite(output.Data)) found = names[module];
                }));
            }
            using (Tensor.NoGrad()) runForward();
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
        }
        return found;
    }
}
