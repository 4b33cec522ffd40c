using System.Diagnostics;

namespace Ortho.Kernels;

/// <summary>
/// The engine's own worker threads: <see cref="EngineSettings.ParallelFor"/> hands chunks to them. A worker that has
/// finished a job spins for <see cref="EngineSettings.SpinMicroseconds"/> before it sleeps, so the next dispatch of a
/// training step (a few hundred microseconds later, after some serial work) costs about a microsecond instead of the
/// ~100 us it takes the .NET thread pool to wake a sleeping thread. That wake-up, paid by every GEMM of a small model,
/// used to cost a fifth of each split product. The calling thread works too: each thread starts with its own chunk (the
/// caller chunk 0, worker i chunk i), so kernels split alike keep their data in one core's cache, and the rest are
/// claimed one at a time, so a worker that is late to wake loses its chunk to the caller instead of holding the job up.
/// </summary>
/// <remarks>
/// One job at a time: a call made while another thread's job holds the pool runs on
/// <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>, and a call from inside a chunk runs its chunks
/// serially. Which thread runs a chunk never changes a result: kernels make their chunks write disjoint outputs or
/// fixed-order partials. A chunk that throws is reported (the first one, in an <see cref="AggregateException"/>) after
/// every chunk has run.
/// </remarks>
internal static class WorkerPool
{
    private sealed class Job(Action<int> body, int chunks, int workers)
    {
        public readonly Action<int> Body = body;
        // The caller's ambient state (a forced SIMD width is an AsyncLocal) goes with the chunks, as Parallel.For's does.
        public readonly ExecutionContext? Context = ExecutionContext.Capture();
        public readonly int Chunks = chunks, Workers = workers;
        // Participant p (0 = the caller, worker i = i + 1) runs chunk p first, so that consecutive kernels split the same
        // way find their chunk's data in the cache of the core that wrote it; the chunks past the participants, and the
        // first chunk of a participant that is late to wake, go to whoever asks first.
        private readonly int[] _firstTaken = new int[Math.Min(chunks, workers + 1)];
        private int _next = workers + 1;
        private int Done;
        public Exception? Error;

        /// <summary>Runs this participant's own chunk, then claims the others until none are left.</summary>
        public void Work(int participant)
        {
            if (participant < _firstTaken.Length) TryRun(ref _firstTaken[participant], participant);
            int c;
            while ((c = Interlocked.Increment(ref _next) - 1) < Chunks) Run(c);
            for (int p = 0; p < _firstTaken.Length; p++) TryRun(ref _firstTaken[p], p);
        }

        private void TryRun(ref int taken, int chunk)
        {
            if (Volatile.Read(ref taken) == 0 && Interlocked.Exchange(ref taken, 1) == 0) Run(chunk);
        }

        private void Run(int chunk)
        {
            try { Body(chunk); }
            catch (Exception e) { Interlocked.CompareExchange(ref Error, e, null); }
            if (Interlocked.Increment(ref Done) == Chunks) Finished.Set();
        }
    }

    private static readonly object Gate = new();
    // Set by whichever thread finishes a job's last chunk. The caller polls it for up to SpinMicroseconds, as the workers
    // poll for work (a worker's last chunk usually ends tens of microseconds after the caller's, and a blocked caller
    // takes as long to wake as a sleeping worker), then blocks: if the host has taken a worker's vCPU away mid-chunk, the
    // caller does not burn the CPU that worker may be waiting for for longer than that.
    private static readonly ManualResetEventSlim Finished = new(false, spinCount: 0);
    private static Job? _job;
    private static int _workers, _epoch, _sleepers, _busy;
    [ThreadStatic] private static bool t_inside;

    /// <summary>Runs <paramref name="body"/>(c) for c in [0, <paramref name="chunks"/>) on the caller and up to <paramref name="threads"/> - 1 workers.</summary>
    public static void For(int chunks, int threads, Action<int> body)
    {
        if (t_inside)
        {
            for (int i = 0; i < chunks; i++) body(i);
            return;
        }
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
            return;
        }
        t_inside = true;
        try
        {
            StartWorkers(threads - 1);
            Finished.Reset();
            var job = new Job(body, chunks, threads - 1);
            Volatile.Write(ref _job, job);
            Interlocked.Increment(ref _epoch);
            if (Volatile.Read(ref _sleepers) > 0)
                lock (Gate) Monitor.PulseAll(Gate);
            job.Work(0);
            WaitForLastChunk();
            Volatile.Write(ref _job, null); // keep neither the closure nor the context alive after the call
            if (job.Error != null) throw new AggregateException(job.Error);
        }
        finally
        {
            t_inside = false;
            Volatile.Write(ref _busy, 0);
        }
    }

    private static void WaitForLastChunk()
    {
        if (!Finished.IsSet)
        {
            long until = Stopwatch.GetTimestamp() + EngineSettings.SpinMicroseconds * Stopwatch.Frequency / 1_000_000;
            while (!Finished.IsSet && Stopwatch.GetTimestamp() < until) Thread.SpinWait(16);
        }
        Finished.Wait();
    }

    // Called only by the thread holding the pool, so the count needs no lock.
    private static void StartWorkers(int count)
    {
        for (; _workers < count; _workers++)
        {
            int index = _workers;
            new Thread(() => Loop(index)) { IsBackground = true, Name = $"Ortho worker {index + 1}" }
                .UnsafeStart(); // no captured context: each job brings its caller's
        }
    }

    private static void Loop(int index)
    {
        t_inside = true;
        var clean = ExecutionContext.Capture()!;
        int seen = Volatile.Read(ref _epoch);
        bool worked = false;
        while (true)
        {
            // Only a worker that took part in the last job expects the next one soon; the others (more workers than
            // the current thread count needs) go back to sleep at once.
            long spinUntil = worked ? Stopwatch.GetTimestamp() + EngineSettings.SpinMicroseconds * Stopwatch.Frequency / 1_000_000 : 0;
            while (Volatile.Read(ref _epoch) == seen)
            {
                if (Stopwatch.GetTimestamp() < spinUntil)
                {
                    Thread.SpinWait(16);
                    continue;
                }
                // The sleeper count is raised before the epoch is read again, and the caller bumps the epoch before it
                // reads the count: either the caller sees a sleeper and pulses, or this thread sees the new epoch.
                lock (Gate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (Volatile.Read(ref _epoch) == seen) Monitor.Wait(Gate);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            seen = Volatile.Read(ref _epoch);
            var job = Volatile.Read(ref _job);
            worked = job != null && index < job.Workers;
            if (worked)
            {
                ExecutionContext.Restore(job!.Context ?? clean);
                job.Work(index + 1);
            }
        }
    }
}
