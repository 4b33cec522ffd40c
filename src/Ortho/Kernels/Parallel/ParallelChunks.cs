using Ortho.Kernels.Simd;

namespace Ortho.Kernels;

/// <summary>Work on items [start, end) of a parallel kernel.</summary>
internal interface IRangeJob
{
    /// <summary>Processes items [start, end).</summary>
    void Run(int start, int end);
}

/// <summary>Work on items [start, end) of a parallel kernel, written once for every SIMD width (see <see cref="ISimdJob"/>).</summary>
internal interface ISimdRangeJob
{
    /// <summary>As <see cref="ISimdJob.HasV128Path"/>.</summary>
    static virtual bool HasV128Path => false;

    /// <summary>Processes items [start, end) at one width.</summary>
    void Run<TV, TOps>(int start, int end) where TV : unmanaged where TOps : struct, ISimd<TV>;
}

/// <summary>
/// The engine's one scheduling policy: how a kernel's work is cut into chunks for <see cref="EngineSettings.ParallelFor"/>.
/// A kernel states its work as <c>items</c> (rows, elements, blocks, (batch, head) pairs...) and an estimate of the total
/// work in some unit of its own (elements, flops); with more than one thread it gets as many chunks as hold at least
/// <c>minWorkPerChunk</c> each (tens of microseconds or more: a dispatch to the spinning workers of <see cref="WorkerPool"/> costs about a microsecond, a woken one ~100 us), never more than the items or a cap, and
/// chunk c covers items [<see cref="Start"/>(c), <see cref="Start"/>(c + 1)), an even split. One chunk runs inline on the
/// calling thread without allocating.
/// </summary>
/// <remarks>
/// Chunks only decide scheduling. Kernels keep their results independent of it: elementwise and row kernels write
/// disjoint outputs, and reductions across items sum per fixed block whose layout depends only on the shape
/// (<see cref="FixedBlocks"/>, or a kernel's own block partition), combining the blocks in order afterwards.
/// </remarks>
internal readonly struct ParallelChunks
{
    [ThreadStatic] private static long t_parallelChunksRun;

    private readonly int _align;

    private ParallelChunks(int items, int count, int align)
    {
        Items = items;
        Count = count;
        _align = align;
    }

    /// <summary>Items in all.</summary>
    public int Items { get; }

    /// <summary>Number of chunks (1: the work runs inline on the calling thread).</summary>
    public int Count { get; }

    /// <summary>
    /// Test hook: chunks that kernels called from this thread have run in parallel (with <see cref="Count"/> &gt; 1) so
    /// far. A test reads it before and after a call to prove the parallel path ran.
    /// </summary>
    public static long ParallelChunksRun => t_parallelChunksRun;

    /// <summary>
    /// Plans <paramref name="items"/> items of <paramref name="totalWork"/> work in all: floor(totalWork /
    /// <paramref name="minWorkPerChunk"/>) chunks, at least 1, at most <paramref name="maxChunks"/> and the items; 1 when
    /// <see cref="EngineSettings.Threads"/> is 1. Chunk boundaries are multiples of <paramref name="align"/> (a power of two).
    /// </summary>
    public static ParallelChunks Plan(int items, double totalWork, double minWorkPerChunk, int maxChunks = int.MaxValue, int align = 1)
    {
        int count = 1;
        if (EngineSettings.Threads > 1 && items > 1)
            count = (int)Math.Max(1, Math.Min(Math.Floor(totalWork / minWorkPerChunk), Math.Min(items, maxChunks)));
        return new ParallelChunks(items, count, align);
    }

    /// <summary>Elements of work per chunk of the row kernels (normalization, softmax, cross-entropy): roughly 20-60 us.</summary>
    public const int RowChunkElements = 1 << 16;

    /// <summary>The chunks of a row kernel over <paramref name="rows"/> rows of <paramref name="cols"/> elements (whole rows each).</summary>
    public static ParallelChunks Rows(int rows, int cols) => Plan(rows, (double)rows * cols, RowChunkElements, EngineSettings.Threads);

    /// <summary>First item of chunk <paramref name="chunk"/> (<see cref="Items"/> for chunk = <see cref="Count"/>).</summary>
    public int Start(int chunk) =>
        chunk >= Count ? Items : (int)((long)Items * chunk / Count) & -_align;

    /// <summary>Adds to <see cref="ParallelChunksRun"/> for a parallel region a kernel ran itself (not through a plan).</summary>
    internal static void CountParallel(int chunks)
    {
        if (chunks > 1) t_parallelChunksRun += chunks;
    }

    /// <summary>Runs <paramref name="job"/> over every chunk.</summary>
    public void Run<TJob>(TJob job) where TJob : struct, IRangeJob
    {
        if (Count == 1) job.Run(0, Items);
        else RunParallel(job);
    }

    /// <summary>Runs <paramref name="body"/>(start, end) over every chunk (for kernels whose chunks allocate anyway).</summary>
    public void Run(Action<int, int> body) => Run(new DelegateJob(body));

    /// <summary>Chooses the SIMD width once (<see cref="SimdDispatch"/>), on the calling thread, then runs <paramref name="job"/> over every chunk at it.</summary>
    public void RunSimd<TJob>(TJob job) where TJob : struct, ISimdRangeJob
    {
        var chunks = new SimdChunks<TJob> { Plan = this, Job = job };
        SimdDispatch.Run(ref chunks);
    }

    private void RunParallel<TJob>(TJob job) where TJob : struct, IRangeJob
    {
        var plan = this;
        EngineSettings.ParallelFor(Count, c =>
        {
            var local = job;
            local.Run(plan.Start(c), plan.Start(c + 1));
        });
        t_parallelChunksRun += Count;
    }

    private struct SimdChunks<TJob> : ISimdJob where TJob : struct, ISimdRangeJob
    {
        public ParallelChunks Plan;
        public TJob Job;

        public static bool HasV128Path => TJob.HasV128Path;

        public void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV>
        {
            if (Plan.Count == 1) Job.Run<TV, TOps>(0, Plan.Items);
            else Plan.RunParallel(new AtWidth<TJob, TV, TOps> { Job = Job });
        }
    }

    private struct AtWidth<TJob, TV, TOps> : IRangeJob
        where TJob : struct, ISimdRangeJob where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        public TJob Job;

        public void Run(int start, int end) => Job.Run<TV, TOps>(start, end);
    }

    private readonly struct DelegateJob(Action<int, int> body) : IRangeJob
    {
        public void Run(int start, int end) => body(start, end);
    }
}
