using System.Diagnostics;
using System.Globalization;

namespace Ortho.Cli.Bench;

/// <summary>
/// What a parallel region costs on this machine: a region of two 100 us chunks (timed by the clock, so the chunks'
/// own length does not depend on what the other vCPU does) started after a stretch of serial work, through the
/// engine's worker threads (<see cref="EngineSettings.ParallelFor"/>) and through <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>;
/// the overhead is the region's time less 100 us, median and 90th percentile of 200 regions. Then GELU's forward and a
/// copy of 1M floats (in cache) on one and two threads, which shows whether arithmetic-bound work gains from the
/// second thread as a memory-bound one does; and the same copy from memory (a ring of 64 buffers of 4 MB, each call
/// to the next pair, so neither side is in cache), the rate a training step's memory-bound ops get on the tensors
/// they write for the first time in a step.
/// </summary>
internal static class DispatchBench
{
    private const double ChunkMicroseconds = 100;
    private static readonly double[] SerialMicroseconds = [0, 20, 200, 2000, 20000];

    public static void Run(bool json, TextWriter output)
    {
        int saved = EngineSettings.Threads;
        try
        {
            EngineSettings.Threads = 2;
            if (!json)
            {
                BenchHeader.WriteTable(output);
                output.WriteLine($"{"dispatcher",-14} {"serial us",10} {"median us",10} {"p90 us",8}   (overhead of a region of two {ChunkMicroseconds:F0} us chunks after serial work)");
            }
            var options = new ParallelOptions { MaxDegreeOfParallelism = 2 };
            foreach (double serial in SerialMicroseconds)
            {
                Report(output, json, "engine", serial, Overheads(serial, () => EngineSettings.ParallelFor(2, _ => Busy(ChunkMicroseconds))));
                Report(output, json, "Parallel.For", serial, Overheads(serial, () => Parallel.For(0, 2, options, _ => Busy(ChunkMicroseconds))));
            }
            const int n = 1 << 20;
            var x = new float[n];
            var y = new float[n];
            new Rng(1).FillNormal(x);
            var ring = new float[64][];
            for (int i = 0; i < ring.Length; i++)
            {
                ring[i] = new float[n];
                ring[i].AsSpan().Fill(i); // touch every page before timing
            }
            int next = 0;
            if (!json) output.WriteLine($"{"kernel",-14} {"threads",10} {"median us",10} {"GB/s",8}   (1M floats; GB/s of 8 bytes an element)");
            foreach (int t in new[] { 1, 2 })
            {
                EngineSettings.Threads = t;
                Kernel(output, json, "gelu_forward", t, () => Kernels.GeluKernels.Forward(y, x));
                Kernel(output, json, "copy", t, () => Kernels.ElementwiseKernels.Copy(x, y));
                Kernel(output, json, "copy_memory", t, () =>
                {
                    next = (next + 2) % ring.Length;
                    Kernels.ElementwiseKernels.Copy(ring[next], ring[next + 1]);
                });
            }
        }
        finally { EngineSettings.Threads = saved; }
    }

    private static double[] Overheads(double serialUs, Action region)
    {
        for (int i = 0; i < 20; i++) region();
        var t = new double[200];
        for (int i = 0; i < t.Length; i++)
        {
            Busy(serialUs);
            long t0 = Stopwatch.GetTimestamp();
            region();
            t[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds - ChunkMicroseconds;
        }
        Array.Sort(t);
        return t;
    }

    private static void Kernel(TextWriter output, bool json, string name, int threads, Action body)
    {
        for (int i = 0; i < 50; i++) body();
        var t = new double[200];
        for (int i = 0; i < t.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            body();
            t[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        Array.Sort(t);
        double gbs = 8.0 * (1 << 20) / t[100] * 1e-3;
        output.WriteLine(json
            ? BenchHeader.AddTo(string.Create(CultureInfo.InvariantCulture, $"{{\"kernel\":\"{name}\",\"threads\":{threads},\"median_us\":{t[100]:F1},\"gb_per_s\":{gbs:F1}}}"))
            : string.Create(CultureInfo.InvariantCulture, $"{name,-14} {threads,10} {t[100],10:F1} {gbs,8:F1}"));
    }

    private static void Report(TextWriter output, bool json, string dispatcher, double serial, double[] t) =>
        output.WriteLine(json
            ? BenchHeader.AddTo(string.Create(CultureInfo.InvariantCulture,
                $"{{\"dispatcher\":\"{dispatcher}\",\"serial_us\":{serial},\"median_us\":{t[t.Length / 2]:F1},\"p90_us\":{t[t.Length * 9 / 10]:F1}}}"))
            : string.Create(CultureInfo.InvariantCulture, $"{dispatcher,-14} {serial,10:F0} {t[t.Length / 2],10:F1} {t[t.Length * 9 / 10],8:F1}"));

    private static void Busy(double microseconds)
    {
        long end = Stopwatch.GetTimestamp() + (long)(microseconds * Stopwatch.Frequency / 1e6);
        while (Stopwatch.GetTimestamp() < end) { }
    }
}
