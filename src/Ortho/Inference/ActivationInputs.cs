using Ortho.Activations;
using Ortho.NN;

namespace Ortho.Inference;

/// <summary>
/// The distribution of the values that one activation module received in forward passes: count, mean, standard
/// deviation and extremes (of all values), quantiles and histograms (from a sorted, evenly strided sample of at most
/// <see cref="ActivationInputs.MaxSamples"/> values whose ends are the exact extremes).
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

    /// <summary>The smallest value.</summary>
    public double Min => _sorted[0];

    /// <summary>The largest value.</summary>
    public double Max => _sorted[^1];

    /// <summary>How many values the quantiles and histograms are computed from.</summary>
    public int SampleCount => _sorted.Length;

    /// <summary>The <paramref name="p"/>-quantile (0 &lt;= p &lt;= 1), linearly interpolated between sample values.</summary>
    public double Quantile(double p)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "a quantile is in [0, 1].");
        double pos = p * (_sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, _sorted.Length - 1);
        return _sorted[lo] + (pos - lo) * ((double)_sorted[hi] - _sorted[lo]);
    }

    /// <summary>
    /// The sample as weights on <paramref name="points"/> equally spaced points of [<paramref name="lo"/>,
    /// <paramref name="hi"/>]: each value split between its two neighbouring points in proportion to its nearness
    /// (linear binning), values outside the range dropped; the weights sum to the fraction of the sample inside.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 2 points, or not a finite range with lo &lt; hi.</exception>
    public double[] Histogram(double lo, double hi, int points)
    {
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), points, "a histogram needs at least 2 points.");
        if (!(double.IsFinite(lo) && double.IsFinite(hi) && lo < hi)) throw new ArgumentException($"histogram range [{lo}, {hi}] must be finite with lo < hi.");
        var w = new double[points];
        double step = (hi - lo) / (points - 1), unit = 1.0 / _sorted.Length;
        foreach (float v in _sorted)
        {
            if (v < lo || v > hi) continue;
            double pos = (v - lo) / step;
            int i = Math.Min((int)pos, points - 2);
            double f = Math.Clamp(pos - i, 0, 1); // rounding can put the largest value a hair past the last point
            w[i] += (1 - f) * unit;
            w[i + 1] += f * unit;
        }
        return w;
    }

    /// <summary>The statistics of <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException">No values, or a value that is NaN or infinite.</exception>
    public static ActivationInputStats From(ReadOnlySpan<float> values)
    {
        var a = new Accumulator();
        a.Add(values, ActivationInputs.MaxSamples);
        return a.ToStats();
    }

    /// <summary>
    /// Gathers values pass by pass without keeping them all: exact count, sums and extremes, and of each pass an evenly
    /// strided sample; the samples are thinned to <see cref="ActivationInputs.MaxSamples"/> at the end.
    /// </summary>
    internal sealed class Accumulator
    {
        private readonly List<float[]> _samples = [];
        private long _count;
        private double _sum, _sq;
        private float _min = float.PositiveInfinity, _max = float.NegativeInfinity;

        /// <summary>Adds one pass's values, keeping at most <paramref name="keep"/> of them for the quantiles.</summary>
        public void Add(ReadOnlySpan<float> values, int keep)
        {
            foreach (float v in values)
            {
                if (!float.IsFinite(v)) throw new ArgumentException($"a value is {v}: the activation's input is not finite.", nameof(values));
                _sum += v;
                _sq += (double)v * v;
                _min = Math.Min(_min, v);
                _max = Math.Max(_max, v);
            }
            _count += values.Length;
            _samples.Add(Strided(values, keep));
        }

        /// <summary>The statistics of everything added.</summary>
        /// <exception cref="ArgumentException">Nothing was added.</exception>
        public ActivationInputStats ToStats()
        {
            if (_count == 0) throw new ArgumentException("no values to summarize.");
            double mean = _sum / _count;
            double std = Math.Sqrt(Math.Max(0, _sq / _count - mean * mean));
            var sample = Strided(_samples.SelectMany(s => s).ToArray(), ActivationInputs.MaxSamples);
            Array.Sort(sample);
            sample[0] = _min; // the exact extremes, which a strided sample may have skipped
            sample[^1] = _max;
            return new ActivationInputStats(_count, mean, std, sample);
        }

        private static float[] Strided(ReadOnlySpan<float> values, int keep)
        {
            int stride = Math.Max(1, (values.Length + keep - 1) / keep);
            var sample = new float[(values.Length + stride - 1) / stride];
            for (int i = 0, j = 0; i < values.Length; i += stride) sample[j++] = values[i];
            return sample;
        }
    }
}

/// <summary>
/// Records what the activations of a model receive: runs forward passes with the autograd tape on (no backward) and
/// reads each learnable activation's input off the recorded graph (its op's inputs are x and its parameters), so that
/// no module has to be changed or wrapped; with <c>classic: true</c> also what each parameter-free activation module
/// (GELU, ReLU, ...) receives, through a forward pre-hook on it for the duration of the passes.
/// </summary>
public static class ActivationInputs
{
    /// <summary>The most values per module kept for the quantiles.</summary>
    public const int MaxSamples = 1 << 20;

    /// <summary>
    /// Runs <paramref name="forwards"/> (each returns the model's output for one batch) and returns, for every learnable
    /// activation of <paramref name="model"/> that took part (and with <paramref name="classic"/> every parameter-free
    /// activation module: <see cref="Gelu"/>, <see cref="Relu"/>, <see cref="Silu"/>, <see cref="Tanh"/>,
    /// <see cref="Sigmoid"/>), the statistics of its inputs over all batches, keyed by the module's dotted name.
    /// </summary>
    /// <exception cref="InvalidOperationException">Gradient recording is off (inside <see cref="Tensor.NoGrad"/>).</exception>
    public static IReadOnlyDictionary<string, ActivationInputStats> Record(Module model, IEnumerable<Func<Tensor>> forwards, bool classic = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(forwards);
        if (!Tensor.IsGradEnabled) throw new InvalidOperationException("ActivationInputs.Record reads the autograd tape: call it outside Tensor.NoGrad().");
        // A learnable activation records its op with inputs [x, its parameters...]: its first parameter identifies it.
        var byParameter = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, act) in TrainedModel.LearnableActivationsOf(model)) byParameter[act.Parameters().First()] = name;
        var values = new Dictionary<string, ActivationInputStats.Accumulator>();
        int passes = forwards.TryGetNonEnumeratedCount(out int n) ? Math.Max(1, n) : 1;
        void Add(string name, Tensor input)
        {
            if (!values.TryGetValue(name, out var a)) values[name] = a = new ActivationInputStats.Accumulator();
            a.Add(input.Data, Math.Max(1, MaxSamples / passes));
        }
        var hooks = !classic ? [] : model.NamedModules().Where(m => ClassicOp(m.Module) != null)
            .Select(m => m.Module.RegisterForwardPreHook((_, input) => { if (input != null) Add(m.Name, input); })).ToList();
        var frozen = model.Parameters().Where(p => !p.RequiresGrad).ToList();
        foreach (var p in frozen) p.RequiresGrad = true; // a frozen model would record no graph
        try
        {
            foreach (var forward in forwards)
            {
                using var scope = Tensor.Scope();
                foreach (var (name, input) in ActivationNodes(forward(), byParameter)) Add(name, input);
            }
        }
        finally
        {
            foreach (var p in frozen) p.RequiresGrad = false;
            foreach (var h in hooks) h.Dispose();
        }
        return values.ToDictionary(kv => kv.Key, kv => kv.Value.ToStats());
    }

    /// <summary>The op name of a parameter-free activation module ("gelu", "gelu_tanh", "relu", ...), or null for any other module.</summary>
    public static string? ClassicOp(Module module) => module switch
    {
        Gelu g => g.Approximate == "tanh" ? "gelu_tanh" : "gelu",
        Relu => "relu",
        Silu => "silu",
        Tanh => "tanh",
        Sigmoid => "sigmoid",
        _ => null,
    };

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
