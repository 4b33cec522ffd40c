namespace Ortho.Analysis;

/// <summary>
/// Principal components of row data by seeded subspace iteration (X^T X applied to a random basis, orthonormalized
/// each round), in double: enough to project images to a few coordinates for small models you can look at.
/// </summary>
public sealed class Pca
{
    private Pca(double[] mean, double[][] components)
    {
        Mean = mean;
        Components = components;
    }

    /// <summary>The mean row.</summary>
    public IReadOnlyList<double> Mean { get; }

    /// <summary>The unit principal directions, largest variance first.</summary>
    public IReadOnlyList<double[]> Components { get; }

    /// <summary>Fits <paramref name="k"/> components to <paramref name="n"/> rows of <paramref name="dim"/> values.</summary>
    public static Pca Fit(ReadOnlySpan<float> rows, int n, int dim, int k, int iterations = 50, ulong seed = 0)
    {
        if (n < 2 || dim < 1 || rows.Length != n * dim) throw new ArgumentException($"Pca: {rows.Length} values are not {n} rows of {dim} (need at least 2 rows).");
        if (k < 1 || k > dim) throw new ArgumentOutOfRangeException(nameof(k), $"Pca: {k} components for {dim} dimensions.");
        var mean = new double[dim];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < dim; j++) mean[j] += rows[i * dim + j];
        for (int j = 0; j < dim; j++) mean[j] /= n;
        var rng = new Rng(seed);
        var v = new double[k][];
        for (int c = 0; c < k; c++)
        {
            v[c] = new double[dim];
            for (int j = 0; j < dim; j++) v[c][j] = rng.NextDouble() - 0.5;
        }
        Orthonormalize(v);
        var proj = new double[k];
        for (int it = 0; it < iterations; it++)
        {
            var next = new double[k][];
            for (int c = 0; c < k; c++) next[c] = new double[dim];
            for (int i = 0; i < n; i++)
            {
                var row = rows.Slice(i * dim, dim);
                for (int c = 0; c < k; c++)
                {
                    double s = 0;
                    for (int j = 0; j < dim; j++) s += (row[j] - mean[j]) * v[c][j];
                    proj[c] = s;
                }
                for (int c = 0; c < k; c++)
                    for (int j = 0; j < dim; j++) next[c][j] += (row[j] - mean[j]) * proj[c];
            }
            v = next;
            Orthonormalize(v);
        }
        // Fix each direction's sign (largest entry positive) so results do not depend on the start.
        foreach (var c in v)
        {
            int big = 0;
            for (int j = 1; j < dim; j++) if (Math.Abs(c[j]) > Math.Abs(c[big])) big = j;
            if (c[big] < 0) for (int j = 0; j < dim; j++) c[j] = -c[j];
        }
        return new Pca(mean, v);
    }

    private static void Orthonormalize(double[][] v)
    {
        for (int c = 0; c < v.Length; c++)
        {
            for (int p = 0; p < c; p++)
            {
                double dot = 0;
                for (int j = 0; j < v[c].Length; j++) dot += v[c][j] * v[p][j];
                for (int j = 0; j < v[c].Length; j++) v[c][j] -= dot * v[p][j];
            }
            double norm = Math.Sqrt(v[c].Sum(x => x * x));
            if (norm == 0) throw new InvalidOperationException("Pca: the data has fewer independent directions than components asked for.");
            for (int j = 0; j < v[c].Length; j++) v[c][j] /= norm;
        }
    }

    /// <summary>The coordinates of each row along the components ([n, k] row-major, float).</summary>
    public float[] Project(ReadOnlySpan<float> rows, int n)
    {
        int dim = Mean.Count, k = Components.Count;
        if (rows.Length != n * dim) throw new ArgumentException($"Pca.Project: {rows.Length} values are not {n} rows of {dim}.");
        var r = new float[n * k];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++)
            {
                double s = 0;
                for (int j = 0; j < dim; j++) s += (rows[i * dim + j] - Mean[j]) * Components[c][j];
                r[i * k + c] = (float)s;
            }
        return r;
    }
}
