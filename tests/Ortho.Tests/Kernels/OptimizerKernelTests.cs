using System.Text.Json;
using Ortho.Kernels;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Kernels;

public class OptimizerKernelTests
{
    public static IEnumerable<object[]> FixtureCases() => NnFixtureCases.Find("adamw_3_steps");

    private static double Attr(JsonElement attrs, string name, double fallback) =>
        attrs.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;

    [Theory]
    [MemberData(nameof(FixtureCases))]
    public void AdamWMatchesFixture(string file, int index, string op)
    {
        var c = NnFixtureCases.Load(file, index);
        var attrs = c.GetProperty("attrs");
        double lr = Attr(attrs, "lr", 1e-3), b1 = Attr(attrs, "beta1", 0.9), b2 = Attr(attrs, "beta2", 0.999);
        double eps = Attr(attrs, "eps", 1e-8), wd = Attr(attrs, "weight_decay", 0.01);
        var p = Fixtures.Floats(c.GetProperty("p0"));
        var m = new float[p.Length];
        var v = new float[p.Length];
        int step = 0;
        foreach (var g in c.GetProperty("grads").EnumerateArray())
            AdamWKernels.Step(p, Fixtures.Floats(g), m, v, lr, b1, b2, eps, wd, ++step);
        string last = c.TryGetProperty("p3", out _) ? "p3" : "p" + step;
        Close.All(p, Fixtures.Floats(c.GetProperty(last)), $"{file}#{index} {op} {last}");
    }

    private static void AdamWRef(double[] p, double[] g, double[] m, double[] v, double lr, double b1, double b2, double eps, double wd, int t)
    {
        for (int i = 0; i < p.Length; i++)
        {
            p[i] *= 1 - lr * wd;
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double mhat = m[i] / (1 - Math.Pow(b1, t)), vhat = v[i] / (1 - Math.Pow(b2, t));
            p[i] -= lr * mhat / (Math.Sqrt(vhat) + eps);
        }
    }

    [Theory]
    [InlineData(1, 0.1)]
    [InlineData(15, 0.0)]
    [InlineData(17, 0.05)]
    [InlineData(1000, 0.1)]
    public void AdamWMatchesDoubleReferenceOverSteps(int n, double wd)
    {
        var p = RefMath.RandomFloats(n, n, -2, 2);
        var pd = RefMath.ToDouble(p);
        var m = new float[n];
        var v = new float[n];
        var md = new double[n];
        var vd = new double[n];
        for (int t = 1; t <= 5; t++)
        {
            var g = RefMath.RandomFloats(n, 100 * n + t, -1, 1);
            if (t == 3) g[0] = 0; // a zero gradient exercises eps
            AdamWKernels.Step(p, g, m, v, 1e-2, 0.9, 0.95, 1e-8, wd, t);
            AdamWRef(pd, RefMath.ToDouble(g), md, vd, 1e-2, 0.9, 0.95, 1e-8, wd, t);
        }
        Close.All(Array.ConvertAll(p, x => (double)x), pd, "p", atol: 2e-6, rtol: 2e-6);
        Close.All(Array.ConvertAll(m, x => (double)x), md, "m", atol: 1e-7, rtol: 1e-6);
        Close.All(Array.ConvertAll(v, x => (double)x), vd, "v", atol: 1e-8, rtol: 1e-6);
    }

    [Fact]
    public void AdamWTailsMatchTheMainLoopBitwise()
    {
        // Element i's update must not depend on where it falls (vector body or scalar tail).
        var p = RefMath.RandomFloats(40, 1, -2, 2);
        var g = RefMath.RandomFloats(40, 2, -1, 1);
        var pAll = (float[])p.Clone();
        var mAll = new float[40];
        var vAll = new float[40];
        AdamWKernels.Step(pAll, g, mAll, vAll, 1e-3, 0.9, 0.999, 1e-8, 0.1, 1);
        for (int i = 0; i < 40; i++)
        {
            var p1 = new[] { p[i] };
            var m1 = new float[1];
            var v1 = new float[1];
            AdamWKernels.Step(p1, new[] { g[i] }, m1, v1, 1e-3, 0.9, 0.999, 1e-8, 0.1, 1);
            Assert.Equal(pAll[i], p1[0]);
            Assert.Equal(mAll[i], m1[0]);
            Assert.Equal(vAll[i], v1[0]);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => AdamWKernels.Step(p, g, mAll, vAll, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0));
        Assert.Throws<ArgumentException>(() => AdamWKernels.Step(p, g, new float[3], vAll, 1e-3, 0.9, 0.999, 1e-8, 0.1, 1));
    }

    [Theory]
    [InlineData(0.0, 0.0, false)]
    [InlineData(0.9, 0.0, false)]
    [InlineData(0.9, 1e-2, false)]
    [InlineData(0.9, 1e-2, true)]
    public void SgdMatchesPyTorchSemantics(double momentum, double wd, bool nesterov)
    {
        const int n = 37;
        const double lr = 0.1;
        var p = RefMath.RandomFloats(n, 7, -1, 1);
        var pd = RefMath.ToDouble(p);
        var buf = new float[n];
        double[]? bufd = null; // PyTorch creates the buffer lazily on the first step
        for (int t = 1; t <= 4; t++)
        {
            var g = RefMath.RandomFloats(n, 70 + t, -1, 1);
            SgdKernels.Step(p, g, momentum != 0 ? buf : default, lr, momentum, wd, nesterov);
            for (int i = 0; i < n; i++)
            {
                double d = g[i] + wd * pd[i];
                if (momentum != 0)
                {
                    bufd ??= new double[n];
                    bufd[i] = t == 1 ? d : momentum * bufd[i] + d;
                    d = nesterov ? d + momentum * bufd[i] : bufd[i];
                }
                pd[i] -= lr * d;
            }
        }
        Close.All(Array.ConvertAll(p, x => (double)x), pd, "p", atol: 1e-6, rtol: 1e-6);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(100_003)]
    public void SumOfSquaresMatchesDouble(int n)
    {
        var x = RefMath.RandomFloats(n, n + 3, -3, 3);
        double expected = 0;
        foreach (float v in x) expected += (double)v * v;
        double got = GradNormKernels.SumOfSquares(x);
        Assert.True(Math.Abs(got - expected) <= 1e-12 * Math.Max(1, expected), $"{got:R} vs {expected:R}");
        Assert.Equal(got, GradNormKernels.SumOfSquares(x)); // deterministic
    }
}
