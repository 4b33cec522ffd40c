namespace Ortho.Analysis.Variance;

/// <summary>
/// A measured second moment E[x^2] with its errors. <see cref="SamplingError"/> is the standard error of the mean of
/// x^2 over the independent samples (rows) with the weights held fixed; <see cref="RepeatError"/>, when there are two
/// or more repeats, is the standard error of the mean over repeats, each with its own weights and samples, so it also
/// holds the spread from the finite width (one weight draw differs from the average over weights).
/// </summary>
/// <param name="Value">The mean of x^2 over every element, averaged over the repeats.</param>
/// <param name="SamplingError">Standard error over the samples (combined over repeats: sqrt(sum se_r^2) / R).</param>
/// <param name="RepeatError">Standard error over the repeats (sd / sqrt R), or null for a single repeat.</param>
public readonly record struct MomentEstimate(double Value, double SamplingError, double? RepeatError)
{
    /// <summary>The error to compare with: <see cref="RepeatError"/> when there is one, else <see cref="SamplingError"/>.</summary>
    public double Error => RepeatError ?? SamplingError;

    /// <summary>Combines one estimate per repeat (each with its own sampling error).</summary>
    public static MomentEstimate Combine(IReadOnlyList<MomentEstimate> repeats)
    {
        ArgumentNullException.ThrowIfNull(repeats);
        if (repeats.Count == 0) throw new ArgumentException("no repeats to combine", nameof(repeats));
        int r = repeats.Count;
        double mean = 0, se2 = 0;
        foreach (var e in repeats) { mean += e.Value; se2 += e.SamplingError * e.SamplingError; }
        mean /= r;
        double? between = null;
        if (r >= 2)
        {
            double ss = 0;
            foreach (var e in repeats) ss += (e.Value - mean) * (e.Value - mean);
            between = Math.Sqrt(ss / (r - 1) / r);
        }
        return new MomentEstimate(mean, Math.Sqrt(se2) / r, between);
    }

    /// <summary>How many combined errors apart two estimates are: |a - b| / sqrt(err_a^2 + err_b^2).</summary>
    public static double Distance(MomentEstimate a, MomentEstimate b) =>
        Math.Abs(a.Value - b.Value) / Math.Sqrt(a.Error * a.Error + b.Error * b.Error);
}

/// <summary>
/// E[x^2] of a tensor whose leading rows are independent samples: the per-row means of x^2 (in double), then their
/// mean and standard error. Rows of a batch share the weights, so this is the sampling error given the weights.
/// </summary>
public static class SecondMoment
{
    /// <summary>The mean of x^2 over <paramref name="data"/> and its standard error over <paramref name="rows"/> equal rows.</summary>
    /// <exception cref="ArgumentException">The data does not split into <paramref name="rows"/> equal rows, or rows &lt; 2.</exception>
    public static MomentEstimate OfRows(ReadOnlySpan<float> data, int rows)
    {
        if (rows < 2 || data.Length % rows != 0)
            throw new ArgumentException($"{data.Length} values do not split into {rows} equal rows (at least 2 rows needed for an error).", nameof(rows));
        int n = data.Length / rows;
        var means = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            foreach (float v in data.Slice(r * n, n)) s += (double)v * v;
            means[r] = s / n;
        }
        double mean = means.Average(), ss = 0;
        foreach (double m in means) ss += (m - mean) * (m - mean);
        double variance = double.IsFinite(mean) ? ss / (rows - 1) : double.NaN;
        return new MomentEstimate(mean, Math.Sqrt(variance / rows), null);
    }
}
