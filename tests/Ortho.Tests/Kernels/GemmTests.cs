using FsCheck;
using FsCheck.Xunit;
using Ortho.Kernels;
using Ortho.Kernels.Simd;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Kernels;

/// <summary>
/// SGEMM against a double-accumulated reference loop. Leading dimensions larger than the width
/// leave padding columns holding NaN: reading them would poison the result, writing them is caught
/// by checking that C's padding keeps its sentinel.
/// </summary>
public unsafe class GemmTests
{
    private const float Sentinel = -7777f;

    /// <summary>A row-major matrix rows x cols stored with leading dimension ld (padding = NaN).</summary>
    private static float[] Matrix(int rows, int cols, int ld, Random rng, float pad = float.NaN)
    {
        var m = new float[rows == 0 ? 0 : (rows - 1) * ld + cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < ld && r * ld + c < m.Length; c++)
                m[r * ld + c] = c < cols ? (float)(rng.NextDouble() * 2 - 1) : pad;
        return m;
    }

    private static double OpA(float[] a, bool transA, int lda, int i, int p) => transA ? a[p * lda + i] : a[i * lda + p];
    private static double OpB(float[] b, bool transB, int ldb, int p, int j) => transB ? b[j * ldb + p] : b[p * ldb + j];

    /// <summary>Checks C against alpha * op(A) op(B) + beta * C0 in double, with a forward-error bound in k.</summary>
    private static void Check(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda,
        float[] b, int ldb, float beta, float[] c0, float[] c, int ldc, string what)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, mag = 0;
                for (int p = 0; p < k; p++)
                {
                    double t = OpA(a, transA, lda, i, p) * OpB(b, transB, ldb, p, j);
                    sum += t;
                    mag += Math.Abs(t);
                }
                double old = beta == 0 ? 0 : c0[i * ldc + j];
                double expected = alpha * sum + beta * old;
                double scale = Math.Abs(alpha) * mag + Math.Abs(beta * old);
                double tol = (k + 16) * 1.2e-7 * scale + 1e-30;
                double got = c[i * ldc + j];
                if (!(Math.Abs(got - expected) <= tol))
                    Assert.Fail($"{what}: C[{i},{j}] = {got:R}, expected {expected:R} (tol {tol:E2})");
            }
            for (int j = n; j < ldc && i * ldc + j < c.Length; j++)
                if (BitConverter.SingleToInt32Bits(c[i * ldc + j]) != BitConverter.SingleToInt32Bits(c0[i * ldc + j]))
                    Assert.Fail($"{what}: padding C[{i},{j}] was overwritten");
        }
    }

    private static void RunCase(bool transA, bool transB, int m, int n, int k, float alpha, float beta,
        int padA, int padB, int padC, int seed, bool nanInC = false)
    {
        var rng = new Random(seed);
        int lda = (transA ? m : k) + padA, ldb = (transB ? k : n) + padB, ldc = n + padC;
        var a = transA ? Matrix(k, m, lda, rng) : Matrix(m, k, lda, rng);
        var b = transB ? Matrix(n, k, ldb, rng) : Matrix(k, n, ldb, rng);
        var c0 = Matrix(m, n, ldc, rng, Sentinel);
        if (nanInC)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    c0[i * ldc + j] = (i + j) % 3 == 0 ? float.NaN : float.PositiveInfinity;
        var c = (float[])c0.Clone();
        Gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        Check(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c0, c, ldc,
            $"{(transA ? "T" : "N")}{(transB ? "T" : "N")} {m}x{n}x{k} alpha={alpha} beta={beta}");
    }

    public static TheoryData<int, int, int> Sizes => new()
    {
        { 1, 1, 1 }, { 7, 13, 5 }, { 33, 65, 17 }, { 100, 3, 250 }, { 129, 257, 63 },
        { 12, 32, 8 }, { 13, 33, 9 }, { 5, 300, 40 }, { 300, 5, 40 }, { 64, 64, 300 }, { 50, 70, 600 },
        // Blocked path (m * n * k above Gemm.SmallWork) with fewer rows or columns than one register tile.
        { 5, 300, 100 }, { 300, 5, 100 }, { 13, 33, 400 }, { 1, 1000, 200 }, { 1000, 1, 200 },
        // Either side of the whole depth in one k block (k <= 2 KC and k * n <= Gemm.OneBlockPackedB) and of k = 2 KC.
        { 200, 128, 512 }, { 200, 129, 512 }, { 150, 100, 513 },
    };

    [Fact]
    public void SizesCoverBothPaths()
    {
        var work = Sizes.Select(row => (long)(int)row[0] * (int)row[1] * (int)row[2]).ToList();
        Assert.Contains(work, w => w <= Gemm.SmallWork);
        Assert.True(work.Count(w => w > Gemm.SmallWork) >= 5);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AllTranspositionsMatchReference(int m, int n, int k)
    {
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                RunCase(ta, tb, m, n, k, 1f, 0f, 0, 0, 0, seed: m * 31 + n * 7 + k);
    }

    [Theory]
    [InlineData(1f, 1f)]
    [InlineData(2.5f, 0f)]
    [InlineData(-0.5f, 0.75f)]
    [InlineData(1f, -1f)]
    [InlineData(0f, 2f)]
    [InlineData(0f, 0f)]
    public void AlphaBetaVariants(float alpha, float beta)
    {
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                RunCase(ta, tb, 37, 45, 129, alpha, beta, 0, 0, 0, seed: 5);     // blocked path
                RunCase(ta, tb, 6, 9, 11, alpha, beta, 0, 0, 0, seed: 6);        // small path
                RunCase(ta, tb, 70, 100, 300, alpha, beta, 0, 0, 0, seed: 7);    // several k blocks
            }
    }

    [Theory]
    [InlineData(4, 5, 3)]
    [InlineData(40, 70, 33)]
    [InlineData(130, 40, 520)]
    public void BetaZeroIgnoresNaNInC(int m, int n, int k)
    {
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                RunCase(ta, tb, m, n, k, 1f, 0f, 0, 0, 0, seed: 11, nanInC: true);
                RunCase(ta, tb, m, n, k, -2f, 0f, 3, 1, 5, seed: 12, nanInC: true);
            }
    }

    [Fact]
    public void BetaOneAccumulatesTwice()
    {
        var rng = new Random(3);
        int m = 45, n = 70, k = 90;
        var a = Matrix(m, k, k, rng);
        var b = Matrix(k, n, n, rng);
        var once = new float[m * n];
        Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, once, n);
        var twice = new float[m * n];
        Array.Fill(twice, float.NaN);
        Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, twice, n);
        Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 1f, twice, n);
        for (int i = 0; i < once.Length; i++)
            Assert.Equal(once[i] + once[i], twice[i]);
    }

    [Theory]
    [InlineData(33, 65, 17)]
    [InlineData(129, 70, 300)]
    [InlineData(7, 13, 5)]
    public void LeadingDimensionsLargerThanWidth(int m, int n, int k)
    {
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                RunCase(ta, tb, m, n, k, 1f, 0f, 3, 17, 9, seed: 21);
                RunCase(ta, tb, m, n, k, 0.5f, 1f, 64, 1, 32, seed: 22);
            }
    }

    [Fact]
    public void LeadingDimensionMultipleOf1024AndWideC()
    {
        // Row strides of 4 KiB take the packed path for a plain A; n > 1024 spans several column blocks.
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                int m = 30, n = 1100, k = 20;
                RunCase(ta, tb, m, n, k, 1f, 0.5f, 1024 - (ta ? m : k), 1024 - (tb ? k : n) + 1024, 0, seed: 31);
                RunCase(ta, tb, 50, 40, 70, 1f, 0f, 2048 - (ta ? 50 : 70), 0, 0, seed: 32);
            }
    }

    /// <summary>
    /// The addend overload gives the bits of the product (with its bias) followed by a separate sum, on every path: the
    /// small one, the blocked one with partial tiles, threaded splits, k = 0, and an addend with a wider row stride.
    /// </summary>
    [Theory]
    [InlineData(false, true, 5, 7, 3, true)]        // small path
    [InlineData(false, true, 130, 70, 33, true)]    // blocked, partial tiles
    [InlineData(true, false, 300, 140, 600, false)] // three k blocks
    [InlineData(false, false, 100, 300, 260, true)] // two k blocks (k x n above the one-block limit)
    [InlineData(false, true, 2048, 128, 128, true)] // a block's output projection, threaded
    [InlineData(false, false, 9, 40, 0, true)]      // k = 0: C = beta C + bias + D
    public void AddendMatchesASeparateSum(bool ta, bool tb, int m, int n, int k, bool withBias)
    {
        // Every micro-kernel: the 12 x 32 one adds in registers, the others in a pass over the tile; beta 0 and 0.5.
        foreach (var width in SimdDispatch.Available)
            using (SimdDispatch.Force(width))
                foreach (float beta in k == 0 ? [0.5f] : new[] { 0f, 0.5f })
                    AddendCase(ta, tb, m, n, k, withBias, beta, width.ToString());
    }

    private static void AddendCase(bool ta, bool tb, int m, int n, int k, bool withBias, float beta, string what)
    {
        var rng = new Random(m * 31 + n);
        int lda = ta ? m : k, ldb = tb ? k : n, ldd = n + 3;
        float[] a = Matrix(ta ? k : m, ta ? m : k, Math.Max(1, lda), rng), b = Matrix(tb ? n : k, tb ? k : n, Math.Max(1, ldb), rng);
        float[] bias = withBias ? Matrix(1, n, n, rng) : [], d = Matrix(m, n, ldd, rng), c0 = Matrix(m, n, n, rng);
        float[] fused = (float[])c0.Clone(), separate = (float[])c0.Clone();
        Gemm.Sgemm(ta, tb, m, n, k, 1f, a, Math.Max(1, lda), b, Math.Max(1, ldb), beta, fused, n, bias, d, ldd);
        if (withBias) Gemm.Sgemm(ta, tb, m, n, k, 1f, a, Math.Max(1, lda), b, Math.Max(1, ldb), beta, separate, n, bias);
        else Gemm.Sgemm(ta, tb, m, n, k, 1f, a, Math.Max(1, lda), b, Math.Max(1, ldb), beta, separate, n);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float expected = separate[i * n + j] + d[i * ldd + j];
                if (BitConverter.SingleToInt32Bits(fused[i * n + j]) != BitConverter.SingleToInt32Bits(expected))
                    Assert.Fail($"{what}, beta {beta}: C[{i},{j}] = {fused[i * n + j]:R}, separate sum {expected:R}");
            }
    }

    [Fact]
    public void AddendThatIsTooShortOrOverlapsCIsRejected()
    {
        float[] a = new float[6], b = new float[6], c = new float[4];
        var e = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2, [], new float[3], 2));
        Assert.Contains("addend has 3 elements", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2, [], c, 2));
        Assert.Contains("overlaps C", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2, [], new float[4], 1));
        Assert.Contains("ldAddend", e.Message);
    }

    [Fact]
    public void ZeroSizedProducts()
    {
        var c = new float[] { 1, 2, 3, 4, 5, 6 };
        Gemm.Sgemm(false, false, 2, 3, 0, 1f, ReadOnlySpan<float>.Empty, 0, ReadOnlySpan<float>.Empty, 3, 2f, c, 3);
        Assert.Equal(new float[] { 2, 4, 6, 8, 10, 12 }, c);
        var nan = new float[] { float.NaN, float.NaN };
        Gemm.Sgemm(false, true, 1, 2, 0, 1f, ReadOnlySpan<float>.Empty, 0, ReadOnlySpan<float>.Empty, 0, 0f, nan, 2);
        Assert.Equal(new float[] { 0, 0 }, nan);
        Gemm.Sgemm(true, false, 0, 5, 4, 1f, ReadOnlySpan<float>.Empty, 0, new float[20], 5, 0f, Span<float>.Empty, 5);
        Gemm.Sgemm(false, false, 0, 0, 0, 1f, (float*)null, 0, (float*)null, 0, 0f, (float*)null, 0);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void StridedBatchedMatchesSeparateCalls(bool ta, bool tb)
    {
        var rng = new Random(ta ? 40 : 41);
        foreach (var (m, n, k, batch) in new[] { (5, 7, 3, 4), (40, 36, 50, 3), (130, 66, 20, 2) })
        {
            int lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3;
            int aRows = ta ? k : m, bRows = tb ? n : k;
            long sA = (long)aRows * lda + 5, sB = (long)bRows * ldb + 3, sC = (long)m * ldc + 7;
            var a = Matrix((int)(sA * batch / lda) + 1, lda, lda, rng);
            var b = Matrix((int)(sB * batch / ldb) + 1, ldb, ldb, rng);
            var c0 = Matrix((int)(sC * batch / ldc) + 1, ldc, ldc, rng);
            var c = (float[])c0.Clone();
            Gemm.SgemmStridedBatched(ta, tb, m, n, k, 1.5f, a, lda, b, ldb, 0.5f, c, ldc, batch, sA, sB, sC);
            for (int i = 0; i < batch; i++)
            {
                var ai = a.AsSpan((int)(i * sA)).ToArray();
                var bi = b.AsSpan((int)(i * sB)).ToArray();
                var c0i = c0.AsSpan((int)(i * sC), (int)sC).ToArray();
                var ci = c.AsSpan((int)(i * sC), (int)sC).ToArray();
                Check(ta, tb, m, n, k, 1.5f, ai, lda, bi, ldb, 0.5f, c0i, ci, ldc, $"batch item {i} of {m}x{n}x{k}");
            }
        }
    }

    [Fact]
    public void StridedBatchedSharedOperandAndPointerForm()
    {
        var rng = new Random(9);
        int m = 20, n = 24, k = 16, batch = 5;
        var a = Matrix(m, k, k, rng);                 // shared: strideA = 0
        var b = Matrix(batch * k, n, n, rng);
        var c = new float[batch * m * n];
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            Gemm.SgemmStridedBatched(false, false, m, n, k, 1f, pa, k, pb, n, 0f, pc, n, batch, 0, k * n, m * n);
        for (int i = 0; i < batch; i++)
        {
            var expected = new float[m * n];
            Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b.AsSpan(i * k * n), n, 0f, expected, n);
            Assert.Equal(expected, c.AsSpan(i * m * n, m * n).ToArray());
        }
    }

    [Theory]
    [InlineData(false, true, 701, 600, 400)]   // split over rows
    [InlineData(true, false, 300, 1400, 401)]  // split over columns
    [InlineData(false, false, 1000, 420, 390)]
    [InlineData(false, false, 200, 250, 400)]  // split over columns; k x n above the one-block limit, k x a column range below it
    public void ThreadCountDoesNotChangeResults(bool ta, bool tb, int m, int n, int k)
    {
        Assert.True(2.0 * m * n * k >= 2 * Gemm.ParallelFlops, "case too small to be threaded");
        var rng = new Random(77);
        var a = ta ? Matrix(k, m, m, rng) : Matrix(m, k, k, rng);
        var b = tb ? Matrix(n, k, k, rng) : Matrix(k, n, n, rng);
        var c0 = Matrix(m, n, n, rng);
        float[] Run()
        {
            var c = (float[])c0.Clone();
            Gemm.Sgemm(ta, tb, m, n, k, 0.75f, a, ta ? m : k, b, tb ? k : n, 1f, c, n);
            return c;
        }
        var one = EngineThreads.With(1, Run);
        var two = EngineThreads.With(2, Run);
        var three = EngineThreads.With(3, Run);
        Assert.True(one.AsSpan().SequenceEqual(two), "Threads=1 and Threads=2 differ");
        Assert.True(one.AsSpan().SequenceEqual(three), "Threads=1 and Threads=3 differ");
        // Spot-check correctness of the threaded result on a few rows.
        for (int i = 0; i < m; i += 97)
            for (int j = 0; j < n; j += 13)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += OpA(a, ta, ta ? m : k, i, p) * OpB(b, tb, tb ? k : n, p, j);
                double expected = 0.75 * sum + c0[i * n + j];
                Assert.True(Math.Abs(two[i * n + j] - expected) <= 1e-3, $"C[{i},{j}] = {two[i * n + j]}, expected {expected}");
            }
    }

    [Theory]
    [InlineData(2048, 128, 512, 0f)]   // a linear layer's dx (beta 0: fresh) and dW: both threaded, each on half the threads
    [InlineData(700, 96, 300, 1f)]     // uneven tiles, accumulating
    [InlineData(2048, 8, 4, 1f)]       // too small to thread: the two calls in turn
    public void PairMatchesTwoCallsAtAnyThreadCount(int rows, int inF, int outF, float betaDx)
    {
        var rng = new Random(rows + inF);
        var g = Matrix(rows, outF, outF, rng);
        var w = Matrix(outF, inF, inF, rng);
        var x = Matrix(rows, inF, inF, rng);
        var dx0 = Matrix(rows, inF, inF, rng);
        var dw0 = Matrix(outF, inF, inF, rng);
        (float[] Dx, float[] Dw) Separate()
        {
            float[] dx = (float[])dx0.Clone(), dw = (float[])dw0.Clone();
            Gemm.Sgemm(false, false, rows, inF, outF, 1f, g, outF, w, inF, betaDx, dx, inF);
            Gemm.Sgemm(true, false, outF, inF, rows, 1f, g, outF, x, inF, 1f, dw, inF);
            return (dx, dw);
        }
        (float[] Dx, float[] Dw) Pair()
        {
            float[] dx = (float[])dx0.Clone(), dw = (float[])dw0.Clone();
            Gemm.SgemmPair(new GemmOperands(false, false, rows, inF, outF, g, outF, w, inF, betaDx, dx, inF),
                new GemmOperands(true, false, outF, inF, rows, g, outF, x, inF, 1f, dw, inF));
            return (dx, dw);
        }
        var reference = EngineThreads.With(1, Separate);
        bool threadable = 2.0 * rows * inF * outF >= Gemm.ParallelFlops && (long)rows * inF * outF > Gemm.SmallWork;
        foreach (int t in new[] { 1, 2, 3, 4 })
        {
            long before = ParallelChunks.ParallelChunksRun;
            var (dx, dw) = EngineThreads.With(t, Pair);
            if (t > 1 && threadable) Assert.True(ParallelChunks.ParallelChunksRun > before, $"the pair did not run in parallel at {t} threads");
            Assert.True(reference.Dx.AsSpan().SequenceEqual(dx), $"dx differs at {t} threads");
            Assert.True(reference.Dw.AsSpan().SequenceEqual(dw), $"dW differs at {t} threads");
        }
        Check(false, false, rows, inF, outF, 1f, g, outF, w, inF, betaDx, dx0, reference.Dx, inF, "pair dx");
    }

    [Fact]
    public void PairChecksEachProduct()
    {
        float[] a = new float[12], b = new float[12], c = new float[16], d = new float[16];
        var second = Assert.Throws<ArgumentException>(() => Gemm.SgemmPair(
            new GemmOperands(false, false, 2, 2, 3, a, 3, b, 2, 0f, c, 2),
            new GemmOperands(false, false, 4, 4, 4, a, 4, b, 4, 0f, d.AsSpan(0, 12), 4)));
        Assert.Equal("second product: c has length 12 but C (m x n = 4 x 4, ldc = 4) needs 16 elements. (Parameter 'c')", second.Message);
        var first = Assert.Throws<ArgumentException>(() => Gemm.SgemmPair(
            new GemmOperands(false, false, 2, 2, 3, a, 2, b, 2, 0f, c, 2),
            new GemmOperands(false, false, 2, 2, 3, a, 3, b, 2, 0f, d, 2)));
        Assert.Equal("first product: lda = 2 is smaller than the row width 3 of A stored m x k = 2 x 3. (Parameter 'lda')", first.Message);
        // One product writing what the other reads or writes: refused at any thread count.
        var overlap = Assert.Throws<ArgumentException>(() => Gemm.SgemmPair(
            new GemmOperands(false, false, 2, 2, 3, a, 3, b, 2, 0f, c, 2),
            new GemmOperands(false, false, 2, 2, 3, c, 3, b, 2, 0f, d, 2)));
        Assert.Contains("overlaps", overlap.Message, StringComparison.Ordinal);
        Assert.False(Gemm.Independent(new GemmOperands(false, false, 2, 2, 3, a, 3, b, 2, 0f, c.AsSpan(0, 4), 2),
            new GemmOperands(false, false, 2, 2, 3, a, 3, b, 2, 0f, c.AsSpan(2, 4), 2)));
        Assert.True(Gemm.Independent(new GemmOperands(false, false, 2, 2, 3, a, 3, b, 2, 0f, c.AsSpan(0, 4), 2),
            new GemmOperands(false, false, 2, 2, 3, a, 3, b, 2, 0f, c.AsSpan(4, 4), 2)));
    }

    [Fact]
    public void BatchedThreadCountDoesNotChangeResults()
    {
        int m = 128, n = 128, k = 160, batch = 64; // small items, dealt out to threads whole
        Assert.True(2.0 * m * n * k * batch >= 2 * Gemm.ParallelFlops);
        var rng = new Random(5);
        var a = Matrix(batch * m, k, k, rng);
        var b = Matrix(batch * n, k, k, rng);
        float[] Run()
        {
            var c = new float[batch * m * n];
            Gemm.SgemmStridedBatched(false, true, m, n, k, 1f, a, k, b, k, 0f, c, n, batch, m * k, n * k, m * n);
            return c;
        }
        var one = EngineThreads.With(1, Run);
        var two = EngineThreads.With(2, Run);
        Assert.True(one.AsSpan().SequenceEqual(two), "batched: Threads=1 and Threads=2 differ");
        var single = new float[m * n];
        Gemm.Sgemm(false, true, m, n, k, 1f, a.AsSpan(37 * m * k), k, b.AsSpan(37 * n * k), k, 0f, single, n);
        Assert.True(single.AsSpan().SequenceEqual(one.AsSpan(37 * m * n, m * n)), "batch item differs from a lone call");
    }

    [Property(MaxTest = 150)]
    public void RandomShapesMatchReference(byte mb, byte nb, byte kb, bool ta, bool tb, byte pads, int seed)
    {
        int m = 1 + mb % 70, n = 1 + nb % 70, k = 1 + kb % 90;
        float alpha = (seed & 3) == 0 ? 1f : 0.5f + (seed & 7);
        float beta = ((seed >> 3) & 3) switch { 0 => 0f, 1 => 1f, 2 => -0.25f, _ => 0f };
        RunCase(ta, tb, m, n, k, alpha, beta, pads & 3, (pads >> 2) & 7, (pads >> 5) & 7, seed, nanInC: beta == 0f && (seed & 32) != 0);
    }

    // ------------------------------------------------------------ argument checks

    private static ArgumentException Throws(Action call) => Assert.ThrowsAny<ArgumentException>(call);

    [Fact]
    public void NegativeDimensionIsRejected()
    {
        var e = Throws(() => Gemm.Sgemm(false, false, -1, 2, 2, 1f, new float[4], 2, new float[4], 2, 0f, new float[4], 2));
        Assert.Equal("m", e.ParamName);
        Assert.Contains("-1", e.Message);
    }

    [Fact]
    public void SmallLeadingDimensionsAreRejected()
    {
        var e = Throws(() => Gemm.Sgemm(false, false, 3, 4, 5, 1f, new float[100], 4, new float[100], 4, 0f, new float[100], 4));
        Assert.Equal("lda", e.ParamName);
        Assert.Contains("3 x 5", e.Message);
        e = Throws(() => Gemm.Sgemm(true, false, 3, 4, 5, 1f, new float[100], 2, new float[100], 4, 0f, new float[100], 4));
        Assert.Equal("lda", e.ParamName);
        Assert.Contains("transA", e.Message);
        e = Throws(() => Gemm.Sgemm(false, true, 3, 4, 5, 1f, new float[100], 5, new float[100], 4, 0f, new float[100], 4));
        Assert.Equal("ldb", e.ParamName);
        Assert.Contains("transB", e.Message);
        e = Throws(() => Gemm.Sgemm(false, false, 3, 4, 5, 1f, new float[100], 5, new float[100], 4, 0f, new float[100], 3));
        Assert.Equal("ldc", e.ParamName);
    }

    [Fact]
    public void ShortSpansAreRejectedWithShapeAndLength()
    {
        // A is 3 x 5 with lda 6: needs 2 * 6 + 5 = 17 elements.
        var e = Throws(() => Gemm.Sgemm(false, false, 3, 4, 5, 1f, new float[16], 6, new float[20], 4, 0f, new float[12], 4));
        Assert.Equal("a", e.ParamName);
        Assert.Contains("16", e.Message);
        Assert.Contains("17", e.Message);
        Assert.Contains("3 x 5", e.Message);
        e = Throws(() => Gemm.Sgemm(false, true, 3, 4, 5, 1f, new float[15], 5, new float[19], 5, 0f, new float[12], 4));
        Assert.Equal("b", e.ParamName);
        Assert.Contains("4 x 5", e.Message);
        e = Throws(() => Gemm.Sgemm(false, false, 3, 4, 5, 1f, new float[15], 5, new float[20], 4, 0f, new float[11], 4));
        Assert.Equal("c", e.ParamName);
        Assert.Contains("12", e.Message);
    }

    [Fact]
    public void BadBatchArgumentsAreRejected()
    {
        var e = Throws(() => Gemm.SgemmStridedBatched(false, false, 2, 2, 2, 1f, new float[8], 2, new float[8], 2, 0f, new float[8], 2, 2, 4, 4, 3));
        Assert.Equal("strideC", e.ParamName);
        e = Throws(() => Gemm.SgemmStridedBatched(false, false, 2, 2, 2, 1f, new float[7], 2, new float[8], 2, 0f, new float[8], 2, 2, 4, 4, 4));
        Assert.Equal("a", e.ParamName);
        Assert.Contains("batch = 2", e.Message);
        e = Throws(() => Gemm.SgemmStridedBatched(false, false, 2, 2, 2, 1f, new float[8], 2, new float[8], 2, 0f, new float[8], 2, -1, 4, 4, 4));
        Assert.Equal("batch", e.ParamName);
    }

    [Fact]
    public void NullPointersAreRejected()
    {
        var buf = new float[16];
        fixed (float* p = buf)
        {
            float* pp = p;
            var e = Assert.Throws<ArgumentNullException>(() => Gemm.Sgemm(false, false, 2, 2, 2, 1f, null, 2, pp, 2, 0f, pp, 2));
            Assert.Equal("a", e.ParamName);
        }
    }
}
