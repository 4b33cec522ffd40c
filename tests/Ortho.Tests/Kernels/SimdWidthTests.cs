using Ortho.Kernels;
using Ortho.Kernels.Simd;
using Xunit;

namespace Ortho.Tests.Kernels;

/// <summary>
/// Every kernel family at every width this machine runs, in one process (through <see cref="SimdDispatch.Force"/>),
/// against its scalar path: bit-equal where each element is computed by the same operations at every width
/// (elementwise maps, optimizers), within a tolerance where a width changes the summation order
/// (row reductions, products, attention, convolutions). The learnable activations are covered the same way by
/// <c>Activations.ActivationKernelTests.VectorPathsMatchScalarPath</c> (the clamped Hermite by
/// <c>ClampedHermiteVectorPathsMatchScalarPath</c>), and whole models by <c>Models.GptFixtureTests</c> at every width.
/// </summary>
public class SimdWidthTests
{
    private static IEnumerable<SimdWidth> VectorWidths => SimdDispatch.Available.Where(w => w != SimdWidth.Scalar);

    /// <summary>Runs <paramref name="run"/> at the scalar width and at every vector width and compares the outputs.</summary>
    private static void EveryWidthMatchesScalar(string what, Func<float[][]> run, double atol, double rtol)
    {
        float[][] scalar;
        using (SimdDispatch.Force(SimdWidth.Scalar)) scalar = run();
        foreach (var w in VectorWidths)
        {
            float[][] got;
            using (SimdDispatch.Force(w)) got = run();
            Assert.Equal(scalar.Length, got.Length);
            for (int k = 0; k < got.Length; k++)
            {
                if (atol == 0 && rtol == 0) AssertBitEqual(got[k], scalar[k], $"{what} output {k} at {w}");
                else AssertClose(got[k], scalar[k], $"{what} output {k} at {w}", atol, rtol);
            }
        }
    }

    private static void AssertBitEqual(float[] got, float[] expected, string what)
    {
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
            if (BitConverter.SingleToInt32Bits(got[i]) != BitConverter.SingleToInt32Bits(expected[i]) && !(float.IsNaN(got[i]) && float.IsNaN(expected[i])))
                throw new Xunit.Sdk.XunitException($"{what}[{i}]: {got[i]:R}, scalar {expected[i]:R}");
    }

    // |got - expected| <= atol + rtol |expected|, NaN where the scalar path has NaN.
    private static void AssertClose(float[] got, float[] expected, string what, double atol, double rtol)
    {
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
        {
            if (float.IsNaN(expected[i]) && float.IsNaN(got[i])) continue;
            if (!(Math.Abs(got[i] - (double)expected[i]) <= atol + rtol * Math.Abs(expected[i])))
                throw new Xunit.Sdk.XunitException($"{what}[{i}]: {got[i]:R}, scalar {expected[i]:R} (atol {atol}, rtol {rtol})");
        }
    }

    private static float[] R(int n, int seed, double lo = -3, double hi = 3) => RefMath.RandomFloats(n, seed, lo, hi);

    [Fact]
    public void ElementwiseKernelsAreBitEqualAtEveryWidth()
    {
        // 1003: whole Vector512s, a Vector256 step and a scalar tail.
        var x = R(1003, 1, -9, 9);
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1e30f, -1e30f, 200f, -200f];
        specials.CopyTo(x, 3);   // inside the first vector of every width
        var dy = R(1003, 2);
        EveryWidthMatchesScalar("elementwise", () =>
        {
            var outs = new List<float[]>();
            void Pair(Action<float[], float[]> forward, Action<float[], float[], float[]> backward)
            {
                var y = new float[x.Length];
                forward(y, x);
                var dx = R(x.Length, 3);
                backward(dx, x, dy);
                outs.Add(y);
                outs.Add(dx);
            }
            Pair((y, v) => GeluKernels.Forward(y, v), (dx, v, d) => GeluKernels.Backward(dx, v, d));
            Pair((y, v) => GeluTanhKernels.Forward(y, v), (dx, v, d) => GeluTanhKernels.Backward(dx, v, d));
            Pair((y, v) => SiluKernels.Forward(y, v), (dx, v, d) => SiluKernels.Backward(dx, v, d));
            Pair((y, v) => ReluKernels.Forward(y, v), (dx, v, d) => ReluKernels.Backward(dx, v, d));
            Pair((y, v) => TanhKernels.Forward(y, v), (dx, v, d) => TanhKernels.Backward(dx, v, d));
            Pair((y, v) => SigmoidKernels.Forward(y, v), (dx, v, d) => SigmoidKernels.Backward(dx, v, d));
            Pair((y, v) => ElementwiseKernels.Exp(y, v), (dx, v, d) => ElementwiseKernels.Erf(dx, v));
            return outs.ToArray();
        }, 0, 0);
    }

    /// <summary>
    /// Sine and cosine within a few ulp of the scalar path (not bit-equal: a vector takes the double-precision
    /// reduction for all its lanes when one of them needs it, so a lane's path depends on its neighbours).
    /// </summary>
    [Fact]
    public void SinCosMatchesTheScalarPathAtEveryWidth()
    {
        // Small, medium (double reduction) and huge (scalar fallback) arguments in the same vectors.
        var x = R(1003, 4, -200, 200);
        for (int i = 0; i < x.Length; i += 7) x[i] *= 5e4f;
        x[5] = float.NaN;
        x[6] = float.PositiveInfinity;
        EveryWidthMatchesScalar("sincos", () =>
        {
            float[] s = new float[x.Length], c = new float[x.Length];
            SinCosKernels.SinCos(x, s, c);
            return [s, c];
        }, 1e-12, 4e-7);
    }

    [Fact]
    public void OptimizersMatchTheScalarPathAtEveryWidth()
    {
        const int n = 1003;
        var g = R(n, 5);
        EveryWidthMatchesScalar("adamw/sgd", () =>
        {
            float[] p = R(n, 6), m = R(n, 7, -0.1, 0.1), v = R(n, 8, 0, 0.1);
            AdamWKernels.Step(p, g, m, v, 1e-3, 0.9, 0.95, 1e-8, 0.1, 3);
            float[] q = R(n, 9), buf = R(n, 10);
            SgdKernels.Step(q, g, buf, 0.1, 0.9, 0.01, nesterov: true);
            return [p, m, v, q, buf];
        }, 0, 0);
        EveryWidthMatchesScalar("grad norm", () => [[(float)GradNormKernels.SumOfSquares(g)]], 0, 1e-12);
    }

    [Fact]
    public void RowKernelsMatchTheScalarPathAtEveryWidth()
    {
        const int rows = 37, cols = 100;
        var x = R(rows * cols, 11, -4, 4);
        var w = R(cols, 12);
        var b = R(cols, 13);
        var dy = R(rows * cols, 14);
        var targets = Enumerable.Range(0, rows).Select(r => r % 5 == 0 ? -100 : (r * 31) % cols).ToArray();
        EveryWidthMatchesScalar("layernorm/softmax/cross-entropy", () =>
        {
            float[] y = new float[x.Length], mean = new float[rows], rstd = new float[rows];
            LayerNormKernels.Forward(y, mean, rstd, x, w, b, rows, cols, 1e-5f);
            float[] dx = new float[x.Length], dw = new float[cols], db = new float[cols];
            LayerNormKernels.Backward(dx, dw, db, dy, x, w, mean, rstd, rows, cols);
            float[] s = new float[x.Length], ds = new float[x.Length];
            SoftmaxKernels.Forward(s, x, rows, cols);
            SoftmaxKernels.Backward(ds, s, dy, rows, cols);
            float[] l = new float[x.Length], dl = new float[x.Length];
            LogSoftmaxKernels.Forward(l, x, rows, cols);
            LogSoftmaxKernels.Backward(dl, l, dy, rows, cols);
            float[] losses = new float[rows], lse = new float[rows], dlogits = new float[x.Length];
            float loss = CrossEntropyKernels.Forward(losses, lse, x, targets, rows, cols);
            CrossEntropyKernels.Backward(dlogits, x, lse, targets, rows, cols, 1f);
            return [y, mean, rstd, dx, dw, db, s, ds, l, dl, losses, lse, dlogits, [loss]];
        }, 1e-5, 1e-5);
    }

    [Theory]
    [InlineData(7, 9, 5)]          // small-product path, partial vectors
    [InlineData(40, 50, 30)]
    [InlineData(100, 130, 70)]     // blocked path with partial tiles
    [InlineData(257, 129, 300)]    // two k blocks
    public void GemmMatchesTheScalarPathAtEveryWidth(int m, int n, int k)
    {
        var a = R(m * k, 21);
        var b = R(k * n, 22);
        var c0 = R(m * n, 23);
        EveryWidthMatchesScalar($"gemm {m}x{n}x{k}", () =>
        {
            var outs = new List<float[]>();
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    var c = (float[])c0.Clone();
                    Gemm.Sgemm(ta, tb, m, n, k, 0.75f, a, ta ? m : k, b, tb ? k : n, 1f, c, n);
                    outs.Add(c);
                }
            return outs.ToArray();
        }, 1e-4, 1e-5);
    }

    [Fact]
    public void AttentionMatchesTheScalarPathAtEveryWidth()
    {
        const int B = 2, H = 2, T = 70, D = 24, C = H * D;
        var qkv = R(B * T * 3 * C, 31, -1, 1);
        var dy = R(B * T * C, 32, -1, 1);
        EveryWidthMatchesScalar("attention", () =>
        {
            float[] y = new float[B * T * C], lse = new float[B * H * T], dqkv = new float[qkv.Length];
            CausalAttentionKernels.ForwardFusedQkv(y, lse, qkv, B, T, H, D);
            CausalAttentionKernels.BackwardFusedQkv(dqkv, dy, y, lse, qkv, B, T, H, D);
            return [y, lse, dqkv];
        }, 1e-5, 1e-4);
    }

    [Fact]
    public void DecodeKernelsMatchTheScalarPathAtEveryWidth()
    {
        // K = 37 and N = 23 leave vector and row tails; D = 20 a vector tail at every width.
        const int n = 23, k = 37, T = 45, H = 3, D = 20, C = H * D;
        float[] x = R(k, 51), w = R(n * k, 52), bias = R(n, 53);
        float[] q = R(C, 54), keys = R(T * C, 55), values = R(T * C, 56);
        EveryWidthMatchesScalar("decode", () =>
        {
            float[] y = new float[n], yb = new float[n], att = new float[C];
            DecodeKernels.RowTimesTransposed(y, x, w, default);
            DecodeKernels.RowTimesTransposed(yb, x, w, bias);
            DecodeKernels.Attention(att, q, keys, values, new float[T], T, H, D);
            return [y, yb, att];
        }, 1e-5, 1e-5);
        // And the product against double at the machine's width (attention: GenerationTests, against the causal kernel).
        var got = new float[n];
        DecodeKernels.RowTimesTransposed(got, x, w, bias);
        var expected = Enumerable.Range(0, n).Select(j => (float)(Enumerable.Range(0, k).Sum(i => (double)x[i] * w[j * k + i]) + bias[j])).ToArray();
        AssertClose(got, expected, "decode product vs double", 1e-5, 1e-5);
    }

    [Fact]
    public void ConvolutionsMatchTheScalarPathAtEveryWidth()
    {
        // Channel counts that leave tails at every width (20 = 16 + 4, 37).
        var cases = new[]
        {
            (new Conv2dGeometry(2, 6, 8, 8, 9, 3, 2, 1, 3), "general"),
            (new Conv2dGeometry(3, 20, 9, 9, 20, 7, 1, 3, 20), "depthwise"),
            (new Conv2dGeometry(2, 37, 6, 5, 37, 5, 1, 2, 37), "depthwise"),
            (new Conv2dGeometry(3, 5, 10, 10, 24, 2, 2), "patchify"),
        };
        foreach (var (g, kind) in cases)
        {
            var x = R(g.InputSize, 41);
            var w = R(g.WeightSize, 42);
            var bias = R(g.OutChannels, 43);
            var dy = R(g.OutputSize, 44);
            EveryWidthMatchesScalar($"conv {kind} {g.InChannels}->{g.OutChannels}", () =>
            {
                float[] y = new float[g.OutputSize], dx = new float[g.InputSize], dw = new float[g.WeightSize], db = new float[g.OutChannels];
                switch (kind)
                {
                    case "general":
                        Conv2dKernels.Forward(y, x, w, bias, g);
                        Conv2dKernels.Backward(dx, dw, db, dy, x, w, g);
                        break;
                    case "depthwise":
                        Conv2dKernels.DepthwiseForward(y, x, w, bias, g);
                        Conv2dKernels.DepthwiseBackward(dx, dw, db, dy, x, w, g);
                        break;
                    default:
                        Conv2dKernels.PatchifyForward(y, x, w, bias, g);
                        Conv2dKernels.PatchifyBackward(dx, dw, db, dy, x, w, g);
                        break;
                }
                return [y, dx, dw, db];
            }, 1e-4, 1e-5);
        }
    }

    [Fact]
    public void ForcedWidthIsScopedAndNested()
    {
        var best = SimdDispatch.Best;
        Assert.Equal(best, SimdDispatch.Current);
        Assert.Equal((int)SimdDispatch.Available[^1], EngineSettings.VectorLanes); // the public name of Best
        using (SimdDispatch.Force(SimdWidth.Scalar))
        {
            Assert.Equal(SimdWidth.Scalar, SimdDispatch.Current);
            foreach (var w in VectorWidths)
            {
                using (SimdDispatch.Force(w)) Assert.Equal(w, SimdDispatch.Current);
                Assert.Equal(SimdWidth.Scalar, SimdDispatch.Current);
            }
        }
        Assert.Equal(best, SimdDispatch.Current);
    }

    [Fact]
    public void JobsWithoutAVector128PathRunScalarThere()
    {
        if (!SimdDispatch.Available.Contains(SimdWidth.V128)) return;
        using (SimdDispatch.Force(SimdWidth.V128))
        {
            Assert.Equal(SimdWidth.V128, SimdDispatch.WidthFor<V128Job>());
            Assert.Equal(SimdWidth.Scalar, SimdDispatch.WidthFor<PlainJob>());
        }
    }

    [Fact]
    public void ForcingAnUnavailableWidthThrows()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SimdDispatch.Force((SimdWidth)3));
        Assert.Contains("not available", e.Message);
        Assert.Equal(SimdDispatch.Best, SimdDispatch.Current);
    }

    private struct PlainJob : ISimdJob
    {
        public readonly void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV> { }
    }

    private struct V128Job : ISimdJob
    {
        public static bool HasV128Path => true;

        public readonly void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV> { }
    }

    /// <summary>The split constants of the argument reductions are the formulas they are documented as.</summary>
    [Fact]
    public void ReductionConstantsMatchTheirDefinitions()
    {
        Assert.Equal(SinCosKernels.C1, (float)(Math.Floor(Math.PI / 2 * 2048.0) / 2048.0));
        Assert.Equal(SinCosKernels.C2, (float)(Math.Floor((Math.PI / 2 - SinCosKernels.C1) * 4194304.0) / 4194304.0));
        Assert.Equal(HalfPiReduction.P2, Math.Cos(Math.PI / 2));
    }
}
