using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Ortho.Kernels;

namespace Ortho.Cli.Bench;

/// <summary>
/// SGEMM throughput: 1024^3, 2048^3 and the Linear layers of the default LM (C = 128, B x T = 2048
/// rows) in their three products (forward y = x W^T, backward dx = dy W, dW = dy^T x), in GFLOP/s; then each layer's
/// whole backward (dx and dW) as two calls in turn and as one <see cref="Gemm.SgemmPair"/>, timed batch by batch in
/// alternation so that both see the same moments of the host. With <c>cold</c>, every timed call first finds its
/// operands evicted from the caches (64 MB written elsewhere, untimed), as the layers of a training step find theirs.
/// Each shape is warmed up (about 0.5 s, so the JIT has tiered up) and then timed several times;
/// the median is reported. scripts/peer/bench_openblas.py measures the same shapes with NumPy/OpenBLAS.
/// </summary>
internal static class GemmBench
{
    /// <summary>One benchmarked product: C[m x n] = op(A) op(B) with op(A) m x k, op(B) k x n.</summary>
    /// <remarks>A <paramref name="Backward"/> shape is a Linear layer's backward: dx [M x N] = dy [M x K] W [K x N] and
    /// dW [K x N] += dy^T x (x [M x N]), twice the FLOPs of one product.</remarks>
    internal readonly record struct Shape(string Case, int M, int N, int K, bool TransA, bool TransB, bool Backward = false);

    /// <summary>The shapes measured, in order (scripts/peer/bench_openblas.py lists the same single products; the
    /// <c>.bwd</c> pairs are ours alone).</summary>
    internal static IReadOnlyList<Shape> Shapes { get; } = BuildShapes();

    private static Shape[] BuildShapes()
    {
        const int rows = 2048; // B16 x T128 tokens
        var list = new List<Shape>
        {
            new("square", 1024, 1024, 1024, false, false),
            new("square", 2048, 2048, 2048, false, false),
        };
        (string name, int cin, int cout)[] linears =
        [
            ("attn.c_attn", 128, 384),
            ("attn.c_proj", 128, 128),
            ("mlp.c_fc", 128, 512),
            ("mlp.c_proj", 512, 128),
        ];
        foreach (var (name, cin, cout) in linears)
        {
            list.Add(new($"{name}.fwd", rows, cout, cin, false, true));  // y = x W^T
            list.Add(new($"{name}.dx", rows, cin, cout, false, false));  // dx = dy W
            list.Add(new($"{name}.dW", cout, cin, rows, true, false));   // dW = dy^T x
        }
        foreach (var (name, cin, cout) in linears) list.Add(new($"{name}.bwd", rows, cin, cout, false, false, Backward: true));
        return list.ToArray();
    }

    /// <summary>Measures every shape at each thread count and writes one line (JSON) or table row per measurement.</summary>
    /// <param name="threads">Thread counts to measure (EngineSettings.Threads is set to each, then restored).</param>
    /// <param name="json">One JSON object per line (with the <see cref="BenchHeader"/> members) instead of a table.</param>
    /// <param name="output">Where to write.</param>
    /// <param name="cold">Evict the operands from the caches before every timed call.</param>
    public static void Run(int[] threads, bool json, TextWriter output, bool cold = false)
    {
        s_evict = cold ? new float[EvictFloats] : null;
        if (threads.Length == 0) threads = [EngineSettings.Threads];
        int saved = EngineSettings.Threads;
        if (!json)
        {
            BenchHeader.WriteTable(output);
            output.WriteLine($"{"case",-20} {"m",5} {"n",5} {"k",5} {"transA",6} {"transB",6} {"threads",7} {"GFLOP/s",8}");
        }
        try
        {
            foreach (var shape in Shapes)
            {
                using var buffers = new Buffers(shape);
                bool first = true;
                foreach (int t in threads)
                {
                    EngineSettings.Threads = t;
                    double warmup = first ? 0.5 : 0.1;
                    first = false;
                    if (shape.Backward)
                    {
                        var (calls, pair) = MeasureBackward(shape, buffers, warmup);
                        var pairShape = shape with { Case = shape.Case + ".pair" };
                        output.WriteLine(json ? BenchHeader.AddTo(Json(shape, t, calls)) : Row(shape, t, calls));
                        output.WriteLine(json ? BenchHeader.AddTo(Json(pairShape, t, pair)) : Row(pairShape, t, pair));
                    }
                    else
                    {
                        double gflops = Measure(shape, buffers, warmup);
                        output.WriteLine(json ? BenchHeader.AddTo(Json(shape, t, gflops)) : Row(shape, t, gflops));
                    }
                    output.Flush();
                }
            }
        }
        finally
        {
            EngineSettings.Threads = saved;
            s_evict = null;
        }
    }

    /// <summary>
    /// A square n^3 product kept ready to be timed one call at a time, between the steps of a training benchmark, so that
    /// the step and the reference rate see the same moments of a machine whose speed drifts (a shared host).
    /// </summary>
    internal sealed class SquareProbe : IDisposable
    {
        private readonly Shape _shape;
        private readonly Buffers _buffers;

        public SquareProbe(int n)
        {
            _shape = new Shape("square", n, n, n, false, false);
            _buffers = new Buffers(_shape);
        }

        /// <summary>Bytes of the operands (resident once touched).</summary>
        public long Bytes => 3L * _shape.M * _shape.N * sizeof(float);

        /// <summary>
        /// Warms the kernel at the current thread count (packing buffers, JIT tiers) for about <paramref name="seconds"/>,
        /// and with <paramref name="quietCalls"/> until the JIT has compiled nothing for that many calls of
        /// <see cref="TimeOne"/> (its own code is recompiled after 30 calls, then again after 30 more), for at most 3 s.
        /// </summary>
        public void WarmUp(double seconds, int quietCalls = 0)
        {
            var sw = Stopwatch.StartNew();
            var quiet = JitQuiet.Start();
            do
            {
                TimeOne();
                quiet.Tick();
            }
            while (sw.Elapsed.TotalSeconds < seconds || (quiet.Calls < quietCalls && sw.Elapsed.TotalSeconds < 3));
        }

        /// <summary>GFLOP/s of one call at the current thread count.</summary>
        public double TimeOne()
        {
            long t0 = Stopwatch.GetTimestamp();
            Call(_shape, _buffers);
            return 2.0 * _shape.M * _shape.N * _shape.K / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9;
        }

        public void Dispose() => _buffers.Dispose();
    }

    private static string Json(Shape s, int threads, double gflops) => string.Create(CultureInfo.InvariantCulture,
        $"{{\"case\":\"{s.Case}\",\"m\":{s.M},\"n\":{s.N},\"k\":{s.K},\"transA\":{(s.TransA ? "true" : "false")},\"transB\":{(s.TransB ? "true" : "false")},\"threads\":{threads},\"gflops\":{gflops:F1}}}");

    private static string Row(Shape s, int threads, double gflops) => string.Create(CultureInfo.InvariantCulture,
        $"{s.Case,-20} {s.M,5} {s.N,5} {s.K,5} {(s.TransA ? "T" : "N"),6} {(s.TransB ? "T" : "N"),6} {threads,7} {gflops,8:F1}");

    /// <summary>Warm up, calibrate a batch of calls lasting about 60 ms, then return the median of 7 timed batches.</summary>
    private static double Measure(Shape s, Buffers buf, double warmupSeconds)
    {
        int batch = Calibrate(() => Call(s, buf), warmupSeconds);
        var rates = new double[7];
        for (int r = 0; r < rates.Length; r++) rates[r] = Rate(() => Call(s, buf), batch, 2.0 * s.M * s.N * s.K);
        return Median(rates);
    }

    /// <summary>A layer's backward as two calls and as one pair: 9 batches of each, alternating; the two medians.</summary>
    private static (double Calls, double Pair) MeasureBackward(Shape s, Buffers buf, double warmupSeconds)
    {
        double flops = 4.0 * s.M * s.N * s.K;
        int batch = Calibrate(() => { BackwardCalls(s, buf); BackwardPair(s, buf); }, warmupSeconds);
        var calls = new double[9];
        var pair = new double[9];
        for (int r = 0; r < calls.Length; r++)
        {
            calls[r] = Rate(() => BackwardCalls(s, buf), batch, flops);
            pair[r] = Rate(() => BackwardPair(s, buf), batch, flops);
        }
        return (Median(calls), Median(pair));
    }

    // Runs body for about warmupSeconds (at least twice); returns how many calls take about 60 ms.
    private static int Calibrate(Action body, double warmupSeconds)
    {
        var sw = Stopwatch.StartNew();
        long calls = 0;
        while (sw.Elapsed.TotalSeconds < warmupSeconds || calls < 2)
        {
            body();
            calls++;
        }
        // Cold, each call also costs an eviction (a few ms): 8 calls a batch are enough, as each is timed alone.
        return (int)Math.Clamp(0.06 / (sw.Elapsed.TotalSeconds / calls), 1, s_evict == null ? 1_000_000 : 8);
    }

    /// <summary>64 MB: more than the last-level cache of the machines this runs on.</summary>
    private const int EvictFloats = 16 << 20;

    private static float[]? s_evict;

    private static double Rate(Action body, int batch, double flops)
    {
        if (s_evict is { } evict)
        {
            // Each call timed alone, after writing the eviction buffer (which also leaves dirty lines to write back,
            // as the ops before a layer do).
            double seconds = 0;
            for (int i = 0; i < batch; i++)
            {
                evict.AsSpan().Fill(i);
                long t1 = Stopwatch.GetTimestamp();
                body();
                seconds += Stopwatch.GetElapsedTime(t1).TotalSeconds;
            }
            return flops * batch / seconds / 1e9;
        }
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < batch; i++) body();
        return flops * batch / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9;
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        return values[values.Length / 2];
    }

    private static void BackwardCalls(Shape s, Buffers buf)
    {
        Gemm.Sgemm(InputGrad(s, buf));
        Gemm.Sgemm(WeightGrad(s, buf));
    }

    private static void BackwardPair(Shape s, Buffers buf) => Gemm.SgemmPair(InputGrad(s, buf), WeightGrad(s, buf));

    // dx [M x N] = g [M x K] W [K x N], written.
    private static unsafe GemmOperands InputGrad(Shape s, Buffers buf) =>
        new(false, false, s.M, s.N, s.K, new ReadOnlySpan<float>(buf.A, s.M * s.K), s.K, new ReadOnlySpan<float>(buf.B, s.K * s.N), s.N,
            0f, new Span<float>(buf.C, s.M * s.N), s.N);

    // dW [K x N] += g^T x, x [M x N].
    private static unsafe GemmOperands WeightGrad(Shape s, Buffers buf) =>
        new(true, false, s.K, s.N, s.M, new ReadOnlySpan<float>(buf.A, s.M * s.K), s.K, new ReadOnlySpan<float>(buf.X, s.M * s.N), s.N,
            1f, new Span<float>(buf.DW, s.K * s.N), s.N);

    private static unsafe void Call(Shape s, Buffers buf) =>
        Gemm.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1f, buf.A, s.TransA ? s.M : s.K,
            buf.B, s.TransB ? s.K : s.N, 0f, buf.C, s.N);

    /// <summary>Aligned operand buffers filled with values in [-1, 1).</summary>
    private sealed unsafe class Buffers : IDisposable
    {
        public readonly float* A, B, C, X, DW;

        public Buffers(Shape s)
        {
            A = Alloc((long)s.M * s.K);
            B = Alloc((long)s.K * s.N);
            C = Alloc((long)s.M * s.N);
            var rng = new Random(1234);
            Fill(A, (long)s.M * s.K, rng);
            Fill(B, (long)s.K * s.N, rng);
            new Span<float>(C, s.M * s.N).Clear();
            if (!s.Backward) return;
            X = Alloc((long)s.M * s.N);
            DW = Alloc((long)s.K * s.N);
            Fill(X, (long)s.M * s.N, rng);
            new Span<float>(DW, s.K * s.N).Clear();
        }

        private static float* Alloc(long n) => (float*)NativeMemory.AlignedAlloc((nuint)(n * sizeof(float)), 64);

        private static void Fill(float* p, long n, Random rng)
        {
            for (long i = 0; i < n; i++) p[i] = (float)(rng.NextDouble() * 2 - 1);
        }

        public void Dispose()
        {
            NativeMemory.AlignedFree(A);
            NativeMemory.AlignedFree(B);
            NativeMemory.AlignedFree(C);
            NativeMemory.AlignedFree(X);
            NativeMemory.AlignedFree(DW);
        }
    }
}
