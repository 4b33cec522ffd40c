using Ortho.Activations;
using Ortho.NN;

namespace Ortho.Inference;

/// <summary>
/// The distribution of the values that one activation module received in a forward pass: count, mean, standard
/// deviation, extremes and quantiles (from a sorted sample of at most <see cref="ActivationInputs.MaxSamples"/> values).
/// </summary>
public sealed class ActivationInputStats
{
    private readonly float[] _sorted;

    private ActivationInputStats(long count, double mean, double std, float[] sorted)
    {
        Count = count;
        Mean = mean;
        Std = std;
        _sorted = sorted;
    }

    /// <summary>How many values the module received.</summary>
    public long Count { get; }

    /// <summary>Their mean.</summary>
    public double Mean { get; }

    /// <summary>Their standard deviation (population).</summary>
    public double Std { get; }

    /// <summary>The smallest value of the sample.</summary>
    public double Min => _sorted[0];

    /// <summary>The largest value of the sample.</summary>
    public double Max => _sorted[^1];

    /// <summary>The <paramref name="p"/>-quantile (0 &lt;= p &lt;= 1), linearly interpolated between sample values.</summary>
    public double Quantile(double p)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "a quantile is in [0, 1].");
        double pos = p * (_sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, _sorted.Length - 1);
        return _sorted[lo] + (pos - lo) * ((double)_sorted[hi] - _sorted[lo]);
    }

    /// <summary>The statistics of <paramref name="values"/> (mean and deviation over all of them; quantiles over an evenly strided sample).</summary>
    /// <exception cref="ArgumentException">No values, or a value that is NaN or infinite.</exception>
    public static ActivationInputStats From(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) throw new ArgumentException("no values to summarize.", nameof(values));
        double sum = 0, sq = 0;
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) throw new ArgumentException($"a value is {v}: the activation's input is not finite.", nameof(values));
            sum += v;
            sq += (double)v * v;
        }
        double mean = sum / values.Length;
        double std = Math.Sqrt(Math.Max(0, sq / values.Length - mean * mean));
        int stride = Math.Max(1, (values.Length + ActivationInputs.MaxSamples - 1) / ActivationInputs.MaxSamples);
        var sample = new float[(values.Length + stride - 1) / stride];
        for (int i = 0, j = 0; i < values.Length; i += stride) sample[j++] = values[i];
        Array.Sort(sample);
        return new ActivationInputStats(values.Length, mean, std, sample);
    }
}

/// <summary>
/// Records what every learnable activation of a model receives: runs forward passes with the autograd tape on (no
/// backward) and reads each <see cref="LearnableActivation"/>'s input off the recorded graph, so that no module has to
/// be changed or wrapped.
/// </summary>
public static class ActivationInputs
{
    /// <summary>The most values per module kept for the quantiles.</summary>
    public const int MaxSamples = 1 << 20;

    /// <summary>
    /// Runs <paramref name="forwards"/> (each returns the model's output for one batch) and returns, for every learnable
    /// activation of <paramref name="model"/> that took part, the statistics of its inputs over all batches, keyed by
    /// the module's dotted name.
    /// </summary>
    /// <exception cref="InvalidOperationException">Gradient recording is off (inside <see cref="Tensor.NoGrad"/>).</exception>
    public static IReadOnlyDictionary<string, ActivationInputStats> Record(Module model, IEnumerable<Func<Tensor>> forwards)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(forwards);
        if (!Tensor.IsGradEnabled) throw new InvalidOperationException("ActivationInputs.Record reads the autograd tape: call it outside Tensor.NoGrad().");
        // A learnable activation records its op with inputs [x, its parameters...]: its first parameter identifies it.
        var byParameter = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, act) in TrainedModel.LearnableActivationsOf(model)) byParameter[act.Parameters().First()] = name;
        var frozen = model.Parameters().Where(p => !p.RequiresGrad).ToList();
        foreach (var p in frozen) p.RequiresGrad = true; // a frozen model would record no graph
        var values = new Dictionary<string, List<float>>();
        try
        {
            foreach (var forward in forwards)
            {
                using var scope = Tensor.Scope();
                var output = forward();
                foreach (var (name, input) in ActivationNodes(output, byParameter))
                {
                    if (!values.TryGetValue(name, out var list)) values[name] = list = [];
                    list.AddRange(input.Data);
                }
            }
        }
        finally
        {
            foreach (var p in frozen) p.RequiresGrad = false;
        }
        return values.ToDictionary(kv => kv.Key, kv => ActivationInputStats.From(kv.Value.ToArray()));
    }

    // Depth-first over the recorded graph; each activation node once.
    private static List<(string Name, Tensor Input)> ActivationNodes(Tensor output, Dictionary<Tensor, string> byParameter)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Tensor>();
        stack.Push(output);
        seen.Add(output);
        var found = new List<(string, Tensor)>();
        while (stack.Count > 0)
        {
            var node = stack.Pop().Node;
            if (node == null) continue;
            var inputs = node.Inputs;
            if (inputs.Length >= 2 && byParameter.TryGetValue(inputs[1], out var name)) found.Add((name, inputs[0]));
            foreach (var i in inputs)
                if (i.Node != null && seen.Add(i)) stack.Push(i);
        }
        return found;
    }
}
