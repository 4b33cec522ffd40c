namespace Ortho.Inference;

/// <summary>
/// Picks the next token from logits: greedy (temperature 0), or a draw from softmax(logits / temperature), optionally
/// restricted to the <c>topK</c> most likely tokens. Seeded: one draw of its <see cref="Rng"/> per sampled token,
/// so the same seed and logits give the same tokens.
/// </summary>
public sealed class TokenSampler
{
    private readonly Rng _rng;
    private double[] _p = [];
    private int[] _order = [];

    /// <summary>Creates a sampler.</summary>
    /// <param name="temperature">0 for greedy (arg max), else &gt; 0: below 1 sharpens, above 1 flattens the distribution.</param>
    /// <param name="topK">Sample only among the K most likely tokens; 0 for all.</param>
    /// <param name="seed">Seed of the draws.</param>
    public TokenSampler(float temperature = 1f, int topK = 0, ulong seed = 0)
    {
        if (!(temperature >= 0) || float.IsInfinity(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be 0 (greedy) or positive and finite.");
        if (topK < 0) throw new ArgumentOutOfRangeException(nameof(topK), topK, "top-k must be 0 (all tokens) or positive.");
        Temperature = temperature;
        TopK = topK;
        _rng = new Rng(seed);
    }

    /// <summary>The temperature (0: greedy).</summary>
    public float Temperature { get; }

    /// <summary>The top-k limit (0: none).</summary>
    public int TopK { get; }

    /// <summary>The next token id for <paramref name="logits"/> [vocab].</summary>
    /// <exception cref="ArgumentException">Empty logits, or one that is NaN.</exception>
    public int Sample(ReadOnlySpan<float> logits)
    {
        int v = logits.Length;
        if (v == 0) throw new ArgumentException("no logits to sample from.", nameof(logits));
        int best = 0;
        for (int i = 0; i < v; i++)
        {
            if (float.IsNaN(logits[i])) throw new ArgumentException($"logit {i} is NaN.", nameof(logits));
            if (logits[i] > logits[best]) best = i;
        }
        if (Temperature == 0) return best;

        // Candidates: all ids, or the K largest (ties broken by the smaller id), in a fixed order.
        if (_order.Length != v) { _order = new int[v]; _p = new double[v]; }
        for (int i = 0; i < v; i++) _order[i] = i;
        int n = v;
        if (TopK > 0 && TopK < v)
        {
            var l = logits.ToArray();
            Array.Sort(_order, (a, b) => l[a] != l[b] ? l[b].CompareTo(l[a]) : a.CompareTo(b));
            n = TopK;
        }
        double max = logits[best], sum = 0;
        for (int i = 0; i < n; i++) sum += _p[i] = Math.Exp((logits[_order[i]] - max) / Temperature);
        double u = _rng.NextDouble() * sum;
        for (int i = 0; i < n; i++)
        {
            u -= _p[i];
            if (u < 0) return _order[i];
        }
        return _order[n - 1]; // rounding left u at the very top
    }
}
