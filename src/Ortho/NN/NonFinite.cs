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
    /// Runs a chain of named stages, returning the name of the first whose output is non-finite, or null.
    /// Each stage maps the previous output to the next.
    /// </summary>
    public static string? FirstNonFiniteStage(Tensor input, IEnumerable<(string Name, Func<Tensor, Tensor> Stage)> stages)
    {
        var x = input;
        foreach (var (name, stage) in stages)
        {
            x = stage(x);
            if (!AllFinite(x.Data)) return name;
        }
        return null;
    }
}
