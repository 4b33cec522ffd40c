using Ortho.NN;

namespace Ortho.Activations;

/// <summary>
/// A submodule of a <see cref="LearnableActivation"/> holding some of its parameters under torchortho's nesting (e.g.
/// Hermite's <c>clamp</c>, whose <c>lim_val</c> is the state-dict key <c>clamp.lim_val</c>). The activation's fused
/// kernels compute with these parameters; the submodule has no forward of its own.
/// </summary>
public class ActivationSubmodule : Module
{
    /// <summary>Registers <paramref name="parameter"/> under <paramref name="name"/>.</summary>
    internal Parameter Add(string name, Parameter parameter) => RegisterParameter(name, parameter);

    /// <summary>The parameter named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such parameter.</exception>
    public Parameter Get(string name) =>
        NamedParameters().FirstOrDefault(p => p.Name == name).Parameter ?? throw new KeyNotFoundException($"{GetType().Name} has no parameter '{name}'.");
}
