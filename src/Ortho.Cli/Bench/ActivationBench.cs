using System.Diagnostics;
using System.Globalization;
using Ortho.Activations;

namespace Ortho.Cli.Bench;

/// <summary>
/// Throughput of the activation kernels on a large float tensor: forward, and forward + backward (dx and all
/// parameter gradients), in million elements per second, after JIT warm-up, at each requested thread count; and as
/// memory traffic (GB/s: 8 bytes per element forward, read x and write y; 20 forward + backward, adding read x and dy
/// and write dx) next to a split memory copy moving the same bytes (the bandwidth ceiling, in percent).
/// </summary>
internal static class ActivationBench
{
    private sealed record Case(string Name, int Degree, Action Forward, Action ForwardBackward);

    /// <summary>Runs every case at every thread count and writes a table, or one JSON object per line.</summary>
    /// <param name="threads">Thread counts to measure (EngineSettings.Threads is restored afterwards).</param>
    /// <param name="json">One JSON object per line: {name, degree, elements, threads, fwd_melem_s, fwdbwd_melem_s, fwd_gb_s,
    /// fwdbwd_gb_s, fwd_of_memcpy, fwdbwd_of_memcpy} and the <see cref="BenchHeader"/> members.</param>
    /// <param name="output">Where to write.</param>
    /// <param name="elements">Tensor size (default 4M floats).</param>
    public static void Run(int[] threads, bool json, TextWriter output, long elements = 4 << 20)
    {
        ArgumentNullException.ThrowIfNull(threads);
        ArgumentNullException.ThrowIfNull(output);
        if (elements < 1 || elements > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(elements), elements, "elements must be in [1, 2^31).");
        int n = (int)elements;
        var x = new float[n];
        var dy = new float[n];
        var y = new float[n];
        var dx = new float[n];
        var rng = new Rng(1234);
        rng.FillNormal(x);
        rng.FillNormal(dy);

        var cases = new List<Case> { Copy(x, dy, y, dx), Gelu(x, dy, y, dx) };
        foreach (int d in new[] { 3, 8 }) cases.Add(Generic("hermite", ActivationParameters.Initial(ActivationKind.Hermite, d), x, dy, y, dx));
        cases.Add(Generic("hermite+clamp", ActivationParameters.Initial(ActivationSpec.Parse("hermite:8+clamp").Family, 8), x, dy, y, dx));
        foreach (int d in new[] { 5, 8 })
        {
            cases.Add(Fourier(d, learned: true, x, dy, y, dx));
            cases.Add(Fourier(d, learned: false, x, dy, y, dx));
        }
        foreach (int d in new[] { 5, 8 }) cases.Add(Generic("tropical", Perturbed(ActivationKind.Tropical, d), x, dy, y, dx));
        cases.Add(Generic("tropical_rational", ActivationParameters.Initial(ActivationKind.TropicalRational, 3, new Rng(7)), x, dy, y, dx));

        int saved = EngineSettings.Threads;
        try
        {
            if (!json)
            {
                BenchHeader.WriteTable(output);
                output.WriteLine($"{"activation",-22} {"degree",6} {"threads",7} {"fwd Melem/s",12} {"fwd+bwd Melem/s",16} {"fwd GB/s",9} {"of copy",8} {"f+b GB/s",9} {"of copy",8}   ({n:N0} floats)");
            }
            foreach (int t in threads)
            {
                EngineSettings.Threads = t;
                double copyFwd = 0, copyBoth = 0;
                foreach (var c in cases)
                {
                    double fwd = n / 1e6 / Seconds(c.Forward);
                    double both = n / 1e6 / Seconds(c.ForwardBackward);
                    if (c.Name == "memcpy") (copyFwd, copyBoth) = (fwd, both); // the first case
                    double fwdGb = fwd * ForwardBytes / 1e3, bothGb = both * ForwardBackwardBytes / 1e3;
                    double fwdShare = fwd / copyFwd, bothShare = both / copyBoth;
                    if (json)
                        output.WriteLine(BenchHeader.AddTo(string.Create(CultureInfo.InvariantCulture,
                            $"{{\"name\":\"{c.Name}\",\"degree\":{c.Degree},\"elements\":{n},\"threads\":{t},\"fwd_melem_s\":{fwd:F1},\"fwdbwd_melem_s\":{both:F1}," +
                            $"\"fwd_gb_s\":{fwdGb:F1},\"fwdbwd_gb_s\":{bothGb:F1},\"fwd_of_memcpy\":{fwdShare:F3},\"fwdbwd_of_memcpy\":{bothShare:F3}}}")));
                    else
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{c.Name,-22} {c.Degree,6} {t,7} {fwd,12:F1} {both,16:F1} {fwdGb,9:F1} {fwdShare,8:P0} {bothGb,9:F1} {bothShare,8:P0}"));
                    output.Flush();
                }
            }
        }
        finally { EngineSettings.Threads = saved; }
    }

    /// <summary>
    /// The copy's rates on <paramref name="elements"/> floats at the current thread count, in Melem/s: forward traffic
    /// (read x, write y) and forward + backward (adding read x and dy, write dx); the ceiling the activations' rows are
    /// given as shares of.
    /// </summary>
    internal static (double Forward, double ForwardBackward) CopyRates(int elements)
    {
        var x = new float[elements];
        var dy = new float[elements];
        var y = new float[elements];
        var dx = new float[elements];
        var copy = Copy(x, dy, y, dx);
        return (elements / 1e6 / Seconds(copy.Forward), elements / 1e6 / Seconds(copy.ForwardBackward));
    }

    // Median seconds per call after warm-up (>= 0.3 s or 10 calls, so tiered JIT reaches optimized code), over
    // >= 0.4 s and >= 5 calls.
    private static double Seconds(Action body)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 10 || sw.Elapsed.TotalSeconds < 0.3; i++) body();
        var times = new List<double>();
        sw.Restart();
        while (times.Count < 5 || sw.Elapsed.TotalSeconds < 0.4)
        {
            long t0 = Stopwatch.GetTimestamp();
            body();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static ActivationParameters Perturbed(ActivationKind kind, int degree)
    {
        var p = ActivationParameters.Initial(kind, degree);
        var rng = new Rng(99);
        foreach (var name in p.Names)
            for (int i = 0; i < p[name].Length; i++) p[name][i] += (float)(0.3 * (rng.NextDouble() - 0.5));
        return p;
    }

    private static Case Generic(string name, ActivationParameters p, float[] x, float[] dy, float[] y, float[] dx)
    {
        var g = new ActivationParameters(p.Family, p.Degree);
        return new Case(name, p.Degree,
            () => ActivationKernels.Forward(p, y, x),
            () =>
            {
                ActivationKernels.Forward(p, y, x);
                ActivationKernels.Backward(p, g, dx, x, dy);
            });
    }

    // learned: frequencies off the harmonic grid (one sincos per term) with their gradient; frozen: w_k = k (harmonic
    // recurrence: one sincos per element) and no frequency gradient.
    private static Case Fourier(int degree, bool learned, float[] x, float[] dy, float[] y, float[] dx)
    {
        var p = ActivationParameters.Initial(ActivationKind.Fourier, degree);
        if (learned)
        {
            var w = p[ActivationParameterNames.Fourier.Grid];
            for (int k = 0; k < degree; k++) w[k] *= 1 + 0.01f * (k + 1);
        }
        var g = new ActivationParameters(p.Kind, p.Degree);
        return new Case(learned ? "fourier_learned" : "fourier_frozen", degree,
            () => ActivationKernels.Forward(p, y, x),
            () =>
            {
                ActivationKernels.Forward(p, y, x);
                ActivationKernels.Backward(p, g, dx, x, dy, frequencyGradient: learned);
            });
    }

    // Bytes of compulsory traffic per element: forward reads x and writes y; backward reads x and dy and writes dx.
    private const int ForwardBytes = 8, ForwardBackwardBytes = 20;

    /// <summary>
    /// The memory-bandwidth ceiling: the same traffic as an elementwise forward (read x, write y) and backward
    /// (read x and dy, write dx) with no arithmetic, split over the threads as the kernels are.
    /// </summary>
    private static Case Copy(float[] x, float[] dy, float[] y, float[] dx) =>
        new("memcpy", 0, () => Kernels.ElementwiseKernels.Copy(x, y), () =>
        {
            Kernels.ElementwiseKernels.Copy(x, y);
            Kernels.ElementwiseKernels.Add(x, dy, dx);
        });

    /// <summary>Our fused GELU (erf form): the baseline every learnable activation is compared with.</summary>
    private static Case Gelu(float[] x, float[] dy, float[] y, float[] dx) =>
        new("gelu", 0, () => Kernels.GeluKernels.Forward(y, x), () =>
        {
            Kernels.GeluKernels.Forward(y, x);
            Kernels.GeluKernels.Backward(dx, x, dy);
        });
}
