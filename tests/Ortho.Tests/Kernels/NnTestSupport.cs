using System.Text.Json;
using Ortho.Tests.Infrastructure;

namespace Ortho.Tests.Kernels;

/// <summary>Double-precision references for the NN kernel tests.</summary>
public static class RefMath
{
    private static readonly double TwoOverSqrtPi = 2.0 / Math.Sqrt(Math.PI);

    /// <summary>erf(x) to ~1e-16: a positive-term series below 3, a continued fraction for erfc above.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        if (ax >= 3) return Math.CopySign(1 - ErfcContinuedFraction(ax), x);
        // erf(x) = 2/sqrt(pi) e^{-x^2} sum_n (2x^2)^n x / (1*3*...*(2n+1))
        double term = x, sum = x, x2 = 2 * x * x;
        for (int n = 1; n < 200; n++)
        {
            term *= x2 / (2 * n + 1);
            sum += term;
            if (Math.Abs(term) < 1e-18 * Math.Abs(sum)) break;
        }
        return TwoOverSqrtPi * Math.Exp(-x * x) * sum;
    }

    /// <summary>erfc(x) = 1 - erf(x), accurate in relative terms for large positive x.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x < 0) return 2 - Erfc(-x);
        if (x < 3) return 1 - Erf(x);
        return ErfcContinuedFraction(x);
    }

    private static double ErfcContinuedFraction(double x)
    {
        if (double.IsPositiveInfinity(x)) return 0;
        // erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up.
        double f = x;
        for (int k = 300; k >= 1; k--) f = x + (k / 2.0) / f;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
    public static double Gelu(double x) => 0.5 * x * Erfc(-x / Math.Sqrt(2));
    public static double GeluSlope(double x) => 0.5 * Erfc(-x / Math.Sqrt(2)) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
    public static double GeluTanh(double x) => x * Sigmoid(2 * Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)); // = 0.5x(1+tanh u), no cancellation
    public static double Silu(double x) => x * Sigmoid(x);

    /// <summary>Error of a float result in units of the float spacing at the reference value.</summary>
    public static double Ulps(float got, double reference)
    {
        if (double.IsNaN(reference)) return float.IsNaN(got) ? 0 : double.PositiveInfinity;
        if (double.IsInfinity(reference)) return got == reference ? 0 : double.PositiveInfinity;
        double a = Math.Abs(reference);
        double ulp = a < 1.1754943508222875e-38 ? Math.ScaleB(1, -149) : Math.ScaleB(1, Math.ILogB(a) - 23);
        return Math.Abs(got - reference) / ulp;
    }

    /// <summary>Central difference of f at x[i] in double.</summary>
    public static double CentralDifference(Func<double[], double> f, double[] x, int i, double h = 1e-5)
    {
        double keep = x[i];
        double step = h * Math.Max(1, Math.Abs(keep));
        x[i] = keep + step;
        double fp = f(x);
        x[i] = keep - step;
        double fm = f(x);
        x[i] = keep;
        return (fp - fm) / (2 * step);
    }

    public static float[] RandomFloats(int n, int seed, double lo, double hi)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return a;
    }

    public static double[] ToDouble(float[] a) => Array.ConvertAll(a, v => (double)v);
}

/// <summary>Discovers fixture cases of the top-level "ops" arrays by op name.</summary>
public static class NnFixtureCases
{
    /// <summary>Theory rows (file name, index in "ops", op name) for every case whose name is in names.</summary>
    public static IEnumerable<object[]> Find(params string[] names)
    {
        foreach (var file in Fixtures.Files("*.json"))
        {
            using var doc = Fixtures.Load(file);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) continue;
            if (!doc.RootElement.TryGetProperty("ops", out var ops) || ops.ValueKind != JsonValueKind.Array) continue;
            int i = 0;
            foreach (var c in ops.EnumerateArray())
            {
                if (c.ValueKind == JsonValueKind.Object && c.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                    && Array.IndexOf(names, n.GetString()) >= 0)
                    yield return new object[] { Path.GetFileName(file), i, n.GetString()! };
                i++;
            }
        }
    }

    /// <summary>The case element (cloned, so the document can be disposed).</summary>
    public static JsonElement Load(string file, int index)
    {
        using var doc = Fixtures.Load(Path.Combine(Fixtures.Directory, file));
        return doc.RootElement.GetProperty("ops")[index].Clone();
    }

    public static float[] Input(JsonElement c, string name) => Fixtures.Floats(c.GetProperty("inputs").GetProperty(name).GetProperty("data"));
    public static int[] InputShape(JsonElement c, string name) => Fixtures.Shape(c.GetProperty("inputs").GetProperty(name).GetProperty("shape"));
    public static float[] Grad(JsonElement c, string name) => Fixtures.Floats(c.GetProperty("grads").GetProperty(name).GetProperty("data"));
    public static float[] Tensor(JsonElement c, string name) => Fixtures.Floats(c.GetProperty(name).GetProperty("data"));
}
