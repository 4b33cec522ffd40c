using Ortho.Kernels;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Kernels;

public class SoftmaxKernelTests
{
    private static double[] SoftmaxRef(double[] x, int rows, int cols, bool log)
    {
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (int i = 0; i < cols; i++) m = Math.Max(m, x[r * cols + i]);
            for (int i = 0; i < cols; i++) s += Math.Exp(x[r * cols + i] - m);
            for (int i = 0; i < cols; i++)
                y[r * cols + i] = log ? x[r * cols + i] - m - Math.Log(s) : Math.Exp(x[r * cols + i] - m) / s;
        }
        return y;
    }

    public static IEnumerable<object[]> Shapes()
    {
        foreach (var (rows, cols) in new[] { (1, 1), (2, 5), (3, 17), (2, 40), (2, 257) })
            foreach (bool log in new[] { false, true })
                yield return new object[] { rows, cols, log };
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBackwardMatchDoubleReferenceAndFiniteDifferences(int rows, int cols, bool log)
    {
        int seed = rows * 100 + cols + (log ? 7 : 0);
        var x = RefMath.RandomFloats(rows * cols, seed, -4, 6);
        x[0] += 30; // large logits must not overflow
        var y = new float[x.Length];
        if (log) LogSoftmaxKernels.Forward(y, x, rows, cols); else SoftmaxKernels.Forward(y, x, rows, cols);
        var xd = RefMath.ToDouble(x);
        Close.All(Array.ConvertAll(y, v => (double)v), SoftmaxRef(xd, rows, cols, log), "y", atol: 1e-6, rtol: 1e-6);

        var dy = RefMath.RandomFloats(x.Length, seed + 1, -1, 1);
        var dx = RefMath.RandomFloats(x.Length, seed + 2, -1, 1);
        var dx0 = (float[])dx.Clone();
        if (log) LogSoftmaxKernels.Backward(dx, y, dy, rows, cols); else SoftmaxKernels.Backward(dx, y, dy, rows, cols);
        var dyd = RefMath.ToDouble(dy);
        double Loss(double[] v)
        {
            var s = SoftmaxRef(v, rows, cols, log);
            double t = 0;
            for (int i = 0; i < s.Length; i++) t += dyd[i] * s[i];
            return t;
        }
        for (int i = 0; i < x.Length; i++)
        {
            double fd = RefMath.CentralDifference(Loss, xd, i);
            double got = dx[i] - (double)dx0[i];
            Assert.True(Math.Abs(got - fd) <= 2e-6 + 1e-5 * Math.Abs(fd), $"dx[{i}]: got {got:R}, finite difference {fd:R}");
        }
    }

    [Fact]
    public void InPlaceAndMaskedRows()
    {
        var x = new[] { 1f, float.NegativeInfinity, 3f, 0f, 2f, 2f };
        var expected = new float[6];
        SoftmaxKernels.Forward(expected, x, 2, 3);
        Assert.Equal(0f, expected[1]);
        SoftmaxKernels.Forward(x, x, 2, 3);
        Assert.Equal(expected, x);
        Assert.Equal(1.0, expected[0] + expected[1] + expected[2], 6);
    }
}
