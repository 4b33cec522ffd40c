using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using Ortho.Activations;

namespace Ortho.Cli.Bench;

/// <summary>
/// What one vector instruction costs beside multiply-adds on this core (AVX-512). Twelve independent multiply-add chains
/// run alone, then with twelve independent chains of another instruction (multiply, add, xor, shift, the remainder of a
/// rounding, one-table permute, two-table permute) in the same loop; the time the second kind adds, over what twelve multiply-adds take, is its cost
/// in multiply-add issue slots (1: it competes for the same units; 0: it runs beside them for free). A loop's instruction
/// counts times these costs bound its rate; a loop that runs well below its bound is held up elsewhere (the latency of
/// its dependent chains, for one). The learned-frequency Fourier loops' bounds are printed beside their measured rates,
/// and as a share of a copy of the same bytes from memory: a bound below half the copy means no schedule of these
/// instructions reaches half the memory's rate on one thread.
/// </summary>
internal static class IssueSlotBench
{
    private const int Iterations = 4_000_000, Chains = 12, Repeats = 5;

    // Vector instructions per term and vector of 16 floats in the learned-frequency Fourier loops, counted in the JIT's
    // listing of FourierKernels.GeneralForward / GeneralBackward at Vector512 (loads and broadcasts not counted: they
    // issue on the load units). Multiply-class: multiplies and multiply-adds; then the remainder's vreduceps, the
    // addition that carries the half-turn's parity, the sign's shift and xors. Recount them when those loops change.
    private static readonly (string Loop, int Mul, int Reduce, int Add, int Shift, int Xor)[] FourierCounts =
    [
        ("forward", 7, 1, 1, 1, 1),
        ("backward", 15, 1, 1, 1, 2),
    ];

    public static void Run(bool json, TextWriter output)
    {
        // The kernels' width, not only the instruction set: .NET may run 256-bit vectors on an AVX-512 machine, and then
        // the Fourier rows would compare 8-lane loops with a 16-lane bound.
        if (!Avx512F.IsSupported || !Avx512DQ.IsSupported || EngineSettings.VectorLanes != 16)
        {
            string why = $"needs AVX-512 with the kernels at 16 lanes (here: {(Avx512F.IsSupported ? "AVX-512" : "no AVX-512")}, {EngineSettings.VectorLanes} lanes); nothing measured.";
            output.WriteLine(json ? BenchHeader.AddTo(JsonSerializer.Serialize(new { skipped = why })) : "bench slots: " + why);
            return;
        }
        if (!json)
        {
            BenchHeader.WriteTable(output);
            output.WriteLine($"{"instruction",-12} {"alone ns",9} {"with 12 fma ns",15} {"fma slots",10}   ({Chains} independent chains of each per iteration; best of {Repeats})");
        }
        // Half a second of multiply-adds first: the core's clock rises under load, and the first runs of a process
        // measured a baseline 20-30% slow (2.0-2.2 ns against 1.7).
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 0.5) Alone<Fma>();
        double fma = Best(Alone<Fma>);
        var cost = new Dictionary<string, double>();
        foreach (var (name, alone, together) in new (string, Func<double>, Func<double>)[]
        {
            ("vfmadd", () => fma, WithFma<Fma>), // the check: twelve more multiply-adds cost 1 slot each
            ("vmulps", Alone<Mul>, WithFma<Mul>),
            ("vaddps", Alone<Add>, WithFma<Add>),
            ("vxorps", Alone<Xor>, WithFma<Xor>),
            ("vpslld", Alone<Shift>, WithFma<Shift>),
            ("vreduceps", Alone<Reduce>, WithFma<Reduce>),
            ("vpermps", Alone<Permute>, WithFma<Permute>),
            ("vpermt2ps", Alone<Permute2>, WithFma<Permute2>),
        })
        {
            double a = Best(alone), t = Best(together), slots = (t - fma) / fma;
            cost[name] = slots;
            Row(output, json, name, a, t, slots);
        }

        // The learned Fourier's bound at these rates, beside its measured rate: forward, and forward + backward.
        const int degree = 5;
        double fmaNs = fma / Chains;
        int saved = EngineSettings.Threads;
        double forwardUs, bothUs, copyForward, copyBoth;
        try
        {
            EngineSettings.Threads = 1;
            (forwardUs, bothUs) = MeasureFourier(degree);
            // A copy of the same bytes on 16M floats, beyond the caches: what "half the memory's rate" asks of the
            // kernel, beside the bound its arithmetic sets.
            (copyForward, copyBoth) = ActivationBench.CopyRates(CopyElements);
        }
        finally { EngineSettings.Threads = saved; }
        double forwardSlots = Slots(FourierCounts[0], cost), bothSlots = forwardSlots + Slots(FourierCounts[1], cost);
        if (!json) output.WriteLine();
        foreach (var (pass, slots, us, copy) in new[] { ("forward", forwardSlots, forwardUs, copyForward), ("forward+backward", bothSlots, bothUs, copyBoth) })
        {
            double bound = 1e3 / (degree * slots * fmaNs / 16), measured = FourierElements / us;
            output.WriteLine(json
                ? BenchHeader.AddTo(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"kernel\":\"fourier_learned\",\"degree\":{degree},\"pass\":\"{pass}\",\"fma_slots_per_term\":{slots:F2},\"bound_melem_s\":{bound:F1},\"measured_melem_s\":{measured:F1}," +
                    $"\"copy_melem_s\":{copy:F1},\"bound_of_copy\":{bound / copy:F3}}}"))
                : string.Create(CultureInfo.InvariantCulture,
                    $"fourier_learned-{degree} {pass,-17} {slots,6:F2} multiply-add slots a term and vector of 16: bound {bound,5:F0} Melem/s, measured {measured,5:F0} ({measured / bound:P0}; {FourierElements:N0} floats, 1 thread); the bound is {bound / copy:P0} of a copy of the same bytes from memory ({copy:F0} Melem/s)"));
        }
    }

    // A loop's multiply-add slots a term: its multiply-class instructions, and the others at their measured costs (a cost
    // measured below zero, timing noise around a free instruction, counts as zero).
    private static double Slots((string Loop, int Mul, int Reduce, int Add, int Shift, int Xor) counts, Dictionary<string, double> cost) =>
        counts.Mul + counts.Reduce * Math.Max(0, cost["vreduceps"]) + counts.Add * Math.Max(0, cost["vaddps"])
        + counts.Shift * Math.Max(0, cost["vpslld"]) + counts.Xor * Math.Max(0, cost["vxorps"]);

    private static void Row(TextWriter output, bool json, string name, double alone, double together, double slots) =>
        output.WriteLine(json
            ? BenchHeader.AddTo(string.Create(CultureInfo.InvariantCulture,
                $"{{\"instruction\":\"{name}\",\"alone_ns\":{alone:F3},\"with_fma_ns\":{together:F3},\"fma_slots\":{slots:F2}}}"))
            : string.Create(CultureInfo.InvariantCulture, $"{name,-12} {alone,9:F3} {together,15:F3} {slots,10:F2}"));

    private static double Best(Func<double> run)
    {
        run();
        double best = double.MaxValue;
        for (int r = 0; r < Repeats; r++) best = Math.Min(best, run());
        return best;
    }

    private const int FourierElements = 1 << 16, CopyElements = 1 << 24;

    // Microseconds a call of the learned-frequency Fourier's forward, and of its forward + backward, take on 65,536 floats
    // (in L2), at the engine's thread count (the caller sets one).
    private static (double Forward, double Both) MeasureFourier(int degree)
    {
        const int n = FourierElements;
        var x = new float[n];
        var dy = new float[n];
        var y = new float[n];
        var dx = new float[n];
        new Rng(3).FillNormal(x);
        new Rng(4).FillNormal(dy);
        var p = ActivationParameters.Initial(ActivationKind.Fourier, degree);
        var w = p[ActivationParameterNames.Fourier.Grid];
        for (int k = 0; k < degree; k++) w[k] *= 1 + 0.01f * (k + 1); // off the harmonic grid: one sine and cosine per term
        var g = new ActivationParameters(p.Kind, p.Degree);
        double forward = Best(() => PerCall(() => ActivationKernels.Forward(p, y, x)));
        double both = Best(() => PerCall(() =>
        {
            ActivationKernels.Forward(p, y, x);
            ActivationKernels.Backward(p, g, dx, x, dy, frequencyGradient: true);
        }));
        return (forward, both);
    }

    private static double PerCall(Action call)
    {
        const int calls = 50;
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) call();
        return Stopwatch.GetElapsedTime(t0).TotalMicroseconds / calls;
    }

    private interface IOp
    {
        static abstract Vector512<float> Apply(Vector512<float> v, Vector512<float> a, Vector512<float> b, Vector512<float> one, Vector512<int> index);
    }

    private readonly struct Skip : IOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(Vector512<float> v, Vector512<float> a, Vector512<float> b, Vector512<float> one, Vector512<int> index) => v;
    }

    private readonly struct Fma : IOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(Vector512<float> v, Vector512<float> a, Vector512<float> b, Vector512<float> one, Vector512<int> index) => Avx512F.FusedMultiplyAdd(v, a, b);
    }

    private readonly struct Mul : IOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(Vector512<float> v, Vector512<float> a, Vector512<float> b, Vector512<float> one, Vector512<int> index) => Avx512F.Multiply(v, one); // by 1: a product that neither grows nor underflows
    }

    private readonly struct Add : IOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(Vector512<float> v, Vector512<float> a, Vector512<float> b, Vector512<float> one, Vector512<int> index) => Avx512F.Add(v, a);
    }

    private readonly struct Xor : IOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(Vector512<float> v, Vector512<float> a, Vector512<float> b, Vector512<float> one, Vector512<int> index) => v ^ a;
    }

    private readonly struct Shift : IOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(Vector512<float> v, Vector512<float> a, Vector512<float> b, Vector512<float> one, Vector512<int> index) =>
            Avx512F.ShiftLeftLogical(v.AsInt32(), 1).AsSingle();
    }

    private readonly struct Reduce : IOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(Vector512<float> v, Vector512<float> a, Vector512<float> b, Vector512<float> one, Vector512<int> index) =>
            Avx512DQ.Reduce(v, 0);
    }

    private readonly struct Permute : IOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(Vector512<float> v, Vector512<float> a, Vector512<float> b, Vector512<float> one, Vector512<int> index) =>
            Avx512F.PermuteVar16x32(v, index);
    }

    private readonly struct Permute2 : IOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(Vector512<float> v, Vector512<float> a, Vector512<float> b, Vector512<float> one, Vector512<int> index) =>
            Avx512F.PermuteVar16x32x2(v, index, a);
    }

    // ns per iteration of 12 chains of TOp, alone.
    // ns per iteration of 12 chains of TOp alone, and beside 12 multiply-add chains.
    private static double Alone<TOp>() where TOp : struct, IOp => Time<TOp, Skip>();

    private static double WithFma<TOp>() where TOp : struct, IOp => Time<Fma, TOp>();

    private static double Time<TFirst, TSecond>() where TFirst : struct, IOp where TSecond : struct, IOp
    {
        long t0 = Stopwatch.GetTimestamp();
        Sink = Loop<TFirst, TSecond>(Iterations);
        return Stopwatch.GetElapsedTime(t0).TotalNanoseconds / Iterations;
    }

    // 12 chains of TFirst and 12 of TSecond (Skip: none; its chains compile to nothing). The loop alone, with no call in
    // the method: a call would make the JIT keep the chains in memory.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop<TFirst, TSecond>(int iterations) where TFirst : struct, IOp where TSecond : struct, IOp
    {
        // From fields, so the JIT cannot fold them as constants. a x + b converges to 1; x + a grows by 4M at most.
        Vector512<float> a = Vector512.Create(A), b = Vector512.Create(B), one = Vector512.Create(One);
        var index = Vector512.Create(3);
        Vector512<float> f0 = a, f1 = a + b, f2 = a - b, f3 = a * a, f4 = a * b, f5 = b, f6 = b + b, f7 = a + a, f8 = f1 * a, f9 = f2 * a, f10 = f3 * a, f11 = f4 * a;
        Vector512<float> e0 = f0, e1 = f1, e2 = f2, e3 = f3, e4 = f4, e5 = f5, e6 = f6, e7 = f7, e8 = f8, e9 = f9, e10 = f10, e11 = f11;
        for (int i = 0; i < iterations; i++)
        {
            f0 = TFirst.Apply(f0, a, b, one, index); f1 = TFirst.Apply(f1, a, b, one, index); f2 = TFirst.Apply(f2, a, b, one, index);
            f3 = TFirst.Apply(f3, a, b, one, index); f4 = TFirst.Apply(f4, a, b, one, index); f5 = TFirst.Apply(f5, a, b, one, index);
            f6 = TFirst.Apply(f6, a, b, one, index); f7 = TFirst.Apply(f7, a, b, one, index); f8 = TFirst.Apply(f8, a, b, one, index);
            f9 = TFirst.Apply(f9, a, b, one, index); f10 = TFirst.Apply(f10, a, b, one, index); f11 = TFirst.Apply(f11, a, b, one, index);
            e0 = TSecond.Apply(e0, a, b, one, index); e1 = TSecond.Apply(e1, a, b, one, index); e2 = TSecond.Apply(e2, a, b, one, index);
            e3 = TSecond.Apply(e3, a, b, one, index); e4 = TSecond.Apply(e4, a, b, one, index); e5 = TSecond.Apply(e5, a, b, one, index);
            e6 = TSecond.Apply(e6, a, b, one, index); e7 = TSecond.Apply(e7, a, b, one, index); e8 = TSecond.Apply(e8, a, b, one, index);
            e9 = TSecond.Apply(e9, a, b, one, index); e10 = TSecond.Apply(e10, a, b, one, index); e11 = TSecond.Apply(e11, a, b, one, index);
        }
        return (f0 + f1 + f2 + f3 + f4 + f5 + f6 + f7 + f8 + f9 + f10 + f11 + e0 + e1 + e2 + e3 + e4 + e5 + e6 + e7 + e8 + e9 + e10 + e11).ToScalar();
    }

    // Keeps the chains' results alive.
    private static float Sink;
    private static float A = 0.999f, B = 1e-3f, One = 1f;
}
