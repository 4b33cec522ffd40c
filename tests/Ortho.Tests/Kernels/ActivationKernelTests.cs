using Ortho.Kernels;
using Ortho.Kernels.Simd;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Kernels;

public class ActivationKernelTests
{
    public delegate void ForwardFn(Span<float> y, ReadOnlySpan<float> x);
    public delegate void BackwardFn(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy);

    public sealed record Activation(ForwardFn Forward, BackwardFn Backward, Func<float, float> ScalarForward,
        Func<float, float, float> ScalarBackward, Func<double, double> Reference, double Lo, double Hi);

    public static readonly Dictionary<string, Activation> All = new()
    {
        ["gelu"] = new(GeluKernels.Forward, GeluKernels.Backward, x => GeluKernels.ForwardOp.Invoke<float, SimdScalar>(x), (x, dy) => GeluKernels.BackwardOp.Invoke<float, SimdScalar>(x, dy), RefMath.Gelu, -9, 9),
        ["gelu_tanh"] = new(GeluTanhKernels.Forward, GeluTanhKernels.Backward, x => GeluTanhKernels.ForwardOp.Invoke<float, SimdScalar>(x), (x, dy) => GeluTanhKernels.BackwardOp.Invoke<float, SimdScalar>(x, dy), RefMath.GeluTanh, -9, 9),
        ["silu"] = new(SiluKernels.Forward, SiluKernels.Backward, x => SiluKernels.ForwardOp.Invoke<float, SimdScalar>(x), (x, dy) => SiluKernels.BackwardOp.Invoke<float, SimdScalar>(x, dy), RefMath.Silu, -20, 20),
        ["relu"] = new(ReluKernels.Forward, ReluKernels.Backward, x => ReluKernels.ForwardOp.Invoke<float, SimdScalar>(x), (x, dy) => ReluKernels.BackwardOp.Invoke<float, SimdScalar>(x, dy), x => Math.Max(x, 0), -5, 5),
        ["tanh"] = new(TanhKernels.Forward, TanhKernels.Backward, x => TanhKernels.ForwardOp.Invoke<float, SimdScalar>(x), (x, dy) => TanhKernels.BackwardOp.Invoke<float, SimdScalar>(x, dy), Math.Tanh, -10, 10),
        ["sigmoid"] = new(SigmoidKernels.Forward, SigmoidKernels.Backward, x => SigmoidKernels.ForwardOp.Invoke<float, SimdScalar>(x), (x, dy) => SigmoidKernels.BackwardOp.Invoke<float, SimdScalar>(x, dy), RefMath.Sigmoid, -30, 30),
        ["exp"] = new(ElementwiseKernels.Exp, (dx, x, dy) => ElementwiseKernels.ZipAccumulate<ExpGradOp>(x, dy, dx),
            x => ElementwiseKernels.ExpOp.Invoke<float, SimdScalar>(x), ExpGradOp.Invoke, Math.Exp, -20, 20),
    };

    // exp's derivative is exp: an IBinaryOp defined here exercises the public driver with a user-defined operator.
    private readonly struct ExpGradOp : IBinaryOp
    {
        public static float Invoke(float x, float dy) => dy * VMath.Exp<float, SimdScalar>(x);
        public static System.Runtime.Intrinsics.Vector256<float> Invoke(System.Runtime.Intrinsics.Vector256<float> x, System.Runtime.Intrinsics.Vector256<float> dy) =>
            dy * VMath.Exp<System.Runtime.Intrinsics.Vector256<float>, Simd256>(x);
        public static System.Runtime.Intrinsics.Vector512<float> Invoke(System.Runtime.Intrinsics.Vector512<float> x, System.Runtime.Intrinsics.Vector512<float> dy) =>
            dy * VMath.Exp<System.Runtime.Intrinsics.Vector512<float>, Simd512>(x);
    }

    public static IEnumerable<object[]> Names() => All.Keys.Select(k => new object[] { k });

    public static IEnumerable<object[]> FixtureCases() => NnFixtureCases.Find("gelu_erf", "gelu_tanh", "silu");

    [Theory]
    [MemberData(nameof(FixtureCases))]
    public void MatchesFixture(string file, int index, string op)
    {
        var c = NnFixtureCases.Load(file, index);
        var x = NnFixtureCases.Input(c, "x");
        var dy = NnFixtureCases.Tensor(c, "dy");
        var act = All[op == "gelu_erf" ? "gelu" : op];
        var y = new float[x.Length];
        act.Forward(y, x);
        Close.All(y, NnFixtureCases.Tensor(c, "y"), $"{file}#{index} {op} y");
        var dx = new float[x.Length];
        act.Backward(dx, x, dy);
        Close.All(dx, NnFixtureCases.Grad(c, "x"), $"{file}#{index} {op} dx");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ForwardMatchesDoubleReference(string name)
    {
        var a = All[name];
        var x = RefMath.RandomFloats(3001, 11, a.Lo, a.Hi);
        var y = new float[x.Length];
        a.Forward(y, x);
        var expected = x.Select(v => a.Reference(v)).ToArray();
        // gelu_tanh's negative tail is ill-conditioned (its float polynomial argument is amplified ~60x at x = -6).
        Close.All(Array.ConvertAll(y, v => (double)v), expected, name + " y", atol: 1e-30, rtol: name == "gelu_tanh" ? 2e-5 : 2e-6);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BackwardMatchesFiniteDifferencesAndAccumulates(string name)
    {
        var a = All[name];
        var x = RefMath.RandomFloats(1000, 21, a.Lo, a.Hi);
        if (name == "relu") for (int i = 0; i < x.Length; i++) if (Math.Abs(x[i]) < 1e-3f) x[i] = 0.5f; // kink
        var dy = RefMath.RandomFloats(x.Length, 22, -2, 2);
        var start = RefMath.RandomFloats(x.Length, 23, -1, 1);
        var dx = (float[])start.Clone();
        a.Backward(dx, x, dy);
        var expected = new double[x.Length];
        var got = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double xi = x[i], h = 1e-5 * Math.Max(1, Math.Abs(xi));
            double d = (a.Reference(xi + h) - a.Reference(xi - h)) / (2 * h);
            expected[i] = dy[i] * d;
            got[i] = (double)dx[i] - start[i];
        }
        // The accumulated float sum dx = start + dy f' carries up to half an ulp of |start| + |dy f'|.
        // Tolerance: the float rounding of start + dy f' (6e-8 (|start| + |dy f'|)) plus a few ulp of dy f' itself.
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(got[i] - expected[i]) <= 1.2e-7 * Math.Abs(start[i]) + 1e-6 * Math.Abs(expected[i]) + 1e-12,
                $"{name}: dx[{i}] - start = {got[i]:R}, finite difference {expected[i]:R} at x = {x[i]:R}");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void AllLengthsAndOffsetsMatchTheScalarOperatorBitwise(string name)
    {
        var a = All[name];
        var data = RefMath.RandomFloats(1100, 31, a.Lo, a.Hi);
        var dyData = RefMath.RandomFloats(1100, 32, -2, 2);
        foreach (int n in new[] { 0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 31, 32, 33, 1000, 1031 })
            foreach (int offset in new[] { 0, 1, 5 })
            {
                var x = data.AsSpan(offset, n);
                var dy = dyData.AsSpan(offset, n);
                var y = new float[n + 2];
                a.Forward(y.AsSpan(1, n), x);
                var dx = new float[n];
                for (int i = 0; i < n; i++) dx[i] = 0.25f * i;
                a.Backward(dx, x, dy);
                Assert.Equal(0f, y[0]);
                Assert.Equal(0f, y[n + 1]);
                for (int i = 0; i < n; i++)
                {
                    Assert.True(Same(a.ScalarForward(x[i]), y[i + 1]), $"{name} n={n} off={offset} y[{i}] = {y[i + 1]:R}, scalar {a.ScalarForward(x[i]):R}");
                    float expect = 0.25f * i + a.ScalarBackward(x[i], dy[i]);
                    Assert.True(Same(expect, dx[i]), $"{name} n={n} off={offset} dx[{i}] = {dx[i]:R}, scalar {expect:R}");
                }
            }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ForwardInPlace(string name)
    {
        var a = All[name];
        var x = RefMath.RandomFloats(77, 41, a.Lo, a.Hi);
        var expected = new float[x.Length];
        a.Forward(expected, x);
        a.Forward(x, x);
        Assert.Equal(expected, x);
    }

    private readonly struct Hypot : IBinaryOp
    {
        public static float Invoke(float a, float b) => MathF.Sqrt(a * a + b * b);
        public static System.Runtime.Intrinsics.Vector256<float> Invoke(System.Runtime.Intrinsics.Vector256<float> a, System.Runtime.Intrinsics.Vector256<float> b) =>
            System.Runtime.Intrinsics.Vector256.Sqrt(a * a + b * b);
        public static System.Runtime.Intrinsics.Vector512<float> Invoke(System.Runtime.Intrinsics.Vector512<float> a, System.Runtime.Intrinsics.Vector512<float> b) =>
            System.Runtime.Intrinsics.Vector512.Sqrt(a * a + b * b);
    }

    [Fact]
    public void ZipAndMapDriversApplyUserOperatorsAtEveryLength()
    {
        var a = RefMath.RandomFloats(1003, 91, -3, 3);
        var b = RefMath.RandomFloats(1003, 92, -3, 3);
        foreach (int n in new[] { 0, 1, 9, 17, 40, 1003 })
        {
            var y = new float[n];
            ElementwiseKernels.Zip<Hypot>(a.AsSpan(0, n), b.AsSpan(0, n), y);
            for (int i = 0; i < n; i++) Assert.Equal(MathF.Sqrt(a[i] * a[i] + b[i] * b[i]), y[i]);
            var e = new float[n];
            ElementwiseKernels.Exp(e, a.AsSpan(0, n));
            var l = new float[n];
            ElementwiseKernels.Log(l, e);
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(l[i] - a[i]) <= 4e-7 * (1 + Math.Abs(a[i])), $"log(exp({a[i]:R})) = {l[i]:R}");
        }
        Assert.Throws<ArgumentException>(() => ElementwiseKernels.Zip<Hypot>(new float[2], new float[3], new float[2]));
    }

    [Fact]
    public void MismatchedLengthsThrow()
    {
        Assert.Throws<ArgumentException>(() => GeluKernels.Forward(new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => SiluKernels.Backward(new float[4], new float[4], new float[3]));
    }

    [Fact]
    public void BackwardFromOutputMatchesBackwardFromInput()
    {
        var x = RefMath.RandomFloats(100, 61, -5, 5);
        var dy = RefMath.RandomFloats(100, 62, -1, 1);
        var y = new float[100];
        var a = new float[100];
        var b = new float[100];
        TanhKernels.Forward(y, x);
        TanhKernels.Backward(a, x, dy);
        TanhKernels.BackwardFromOutput(b, y, dy);
        Close.All(b, a, "tanh backward from output", atol: 1e-6, rtol: 1e-5);
        SigmoidKernels.Forward(y, x);
        Array.Clear(a);
        Array.Clear(b);
        SigmoidKernels.Backward(a, x, dy);
        SigmoidKernels.BackwardFromOutput(b, y, dy);
        Close.All(b, a, "sigmoid backward from output", atol: 1e-7, rtol: 1e-5);
    }

    [Fact]
    public void ReluPropagatesNaNAndHasZeroGradientAtZero()
    {
        var y = new float[3];
        ReluKernels.Forward(y, new[] { float.NaN, -0f, 2f });
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(0f, y[1]);
        var dx = new float[3];
        ReluKernels.Backward(dx, new[] { 0f, -1f, 2f }, new[] { 5f, 5f, 5f });
        Assert.Equal(new[] { 0f, 0f, 5f }, dx);
    }

    private static bool Same(float a, float b) =>
        BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) || (float.IsNaN(a) && float.IsNaN(b));
}
