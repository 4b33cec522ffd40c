using Ortho.Kernels.Simd;

namespace Ortho;

/// <summary>Process-wide engine settings: the thread count used by kernels, and the vector width they run with.</summary>
/// <remarks>
/// Kernels split their work over the engine's own worker threads in chunks of tens of microseconds or more (a dispatch
/// to a spinning worker costs about a microsecond), and every reduction uses a fixed-order second stage so results do
/// not depend on <see cref="Threads"/>.
/// </remarks>
public static class EngineSettings
{
    private static int _threads = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Maximum number of threads a kernel may use (at least 1). Defaults to the processor count.</summary>
    public static int Threads
    {
        get => _threads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "Threads must be at least 1.");
            _threads = value;
        }
    }

    /// <summary>
    /// Float lanes of the vector width the kernels run with: 16 (Vector512, AVX-512), 8 (Vector256, AVX2), 4 (Vector128:
    /// the learnable activations, sine/cosine and decoding; the other kernels run scalar code there) or 1 (scalar). The
    /// widest the hardware accelerates, as lowered by <c>DOTNET_EnableAVX512=0</c> and <c>DOTNET_EnableAVX2=0</c>.
    /// </summary>
    public static int VectorLanes => (int)SimdDispatch.Best;

    private static int _spinMicroseconds = 2000;

    /// <summary>
    /// How long (microseconds) an engine worker thread keeps polling for the next chunk of work before it sleeps.
    /// Default 2000: a training step's parallel regions follow each other within that, so a dispatch costs about a
    /// microsecond instead of a thread wake-up (~100 us on a VM). The calling thread likewise polls up to that long for
    /// the workers' last chunks of a region before it blocks. The price is that the workers that took part in the last
    /// parallel region keep their cores busy for that long after it; 0 makes them (and the caller) sleep at once. Keep
    /// <see cref="Threads"/> at or below the number of cores: a spinning worker on a shared core slows the caller.
    /// </summary>
    public static int SpinMicroseconds
    {
        get => _spinMicroseconds;
        set
        {
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "SpinMicroseconds must be at least 0.");
            _spinMicroseconds = value;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> for each chunk index in [0, <paramref name="chunks"/>), on up to
    /// <see cref="Threads"/> threads; serially when one thread is allowed or there is one chunk.
    /// Kernels size their chunks with one policy (<c>ParallelChunks</c>: tens of microseconds of work or more each).
    /// </summary>
    public static void ParallelFor(int chunks, Action<int> body)
    {
        int threads = Math.Min(_threads, chunks);
        if (threads <= 1)
        {
            for (int i = 0; i < chunks; i++) body(i);
            return;
        }
        // Under a profile, the time in parallel regions is charged as such to the op that runs them.
        var profile = Autograd.OpProfile.Current;
        long start = profile == null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        Kernels.WorkerPool.For(chunks, threads, body);
        profile?.AddParallel(System.Diagnostics.Stopwatch.GetTimestamp() - start);
    }
}
