using System.Runtime.Intrinsics;

namespace Ortho.Kernels.Simd;

/// <summary>
/// Kernel work written once for every width: <see cref="SimdDispatch.Run{TJob}(ref TJob)"/> calls
/// <see cref="Run{TV, TOps}"/> with the width's vector type and operations (<see cref="ISimd{TV}"/>).
/// </summary>
internal interface ISimdJob
{
    /// <summary>
    /// Whether the job has a Vector128 path. Jobs without one (the default) run <see cref="SimdWidth.Scalar"/> where
    /// Vector128 would be chosen (the row, GEMM, attention and convolution kernels, which go straight from Vector256 to
    /// scalar code on machines without AVX2).
    /// </summary>
    static virtual bool HasV128Path => false;

    /// <summary>The work at one width.</summary>
    void Run<TV, TOps>() where TV : unmanaged where TOps : struct, ISimd<TV>;
}

/// <summary>
/// The one place a vector width is chosen. A kernel puts its work in an <see cref="ISimdJob"/> struct and calls
/// <see cref="Run{TJob}(ref TJob)"/> once per call (or per parallel chunk); the job then runs generically at
/// <see cref="Current"/>: the widest accelerated width of the machine (<see cref="Best"/>), unless a caller has forced
/// another with <see cref="Force"/>.
/// </summary>
/// <remarks>
/// <see cref="Force"/> is an ambient, scoped override held in an <see cref="AsyncLocal{T}"/>: it applies to the calling
/// thread's code and flows into the work it starts (the parallel chunks of a kernel run on other
/// threads, awaited tasks), never to unrelated threads. It exists so tests can run every width in one process
/// (compare each vector path with the scalar one); the environment switches (<c>DOTNET_EnableAVX512=0</c>,
/// <c>DOTNET_EnableAVX2=0</c>) still lower <see cref="Best"/> for the whole process. When no scope is open anywhere the
/// dispatch costs one static read.
/// </remarks>
internal static class SimdDispatch
{
    private static readonly AsyncLocal<SimdWidth> Forced = new();   // default(SimdWidth) = 0: nothing forced
    private static int _openScopes;

    /// <summary>The widest hardware-accelerated width of this machine (as lowered by the DOTNET_Enable* switches).</summary>
    public static SimdWidth Best =>
        Vector512.IsHardwareAccelerated ? SimdWidth.V512 :
        Vector256.IsHardwareAccelerated ? SimdWidth.V256 :
        Vector128.IsHardwareAccelerated ? SimdWidth.V128 : SimdWidth.Scalar;

    /// <summary>Every width that can run here: <see cref="SimdWidth.Scalar"/> and the accelerated vector widths, narrowest first.</summary>
    public static IReadOnlyList<SimdWidth> Available { get; } =
        new[] { SimdWidth.Scalar, SimdWidth.V128, SimdWidth.V256, SimdWidth.V512 }.Where(w => w <= Best).ToArray();

    /// <summary>The width kernels run with here and now: the innermost <see cref="Force"/> scope's, else <see cref="Best"/>.</summary>
    public static SimdWidth Current
    {
        get
        {
            if (Volatile.Read(ref _openScopes) == 0) return Best;
            SimdWidth forced = Forced.Value;
            return forced == 0 ? Best : forced;
        }
    }

    /// <summary>
    /// Makes kernels run with <paramref name="width"/> until the returned scope is disposed
    /// (<c>using (SimdDispatch.Force(SimdWidth.V256)) { ... }</c>). Scopes nest; disposing restores the previous width.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="width"/> is not in <see cref="Available"/>.</exception>
    public static ForcedWidth Force(SimdWidth width)
    {
        if (!Available.Contains(width))
            throw new ArgumentOutOfRangeException(nameof(width), width,
                $"{width} is not available on this machine (available: {string.Join(", ", Available)}).");
        var scope = new ForcedWidth(Forced.Value);
        Forced.Value = width;
        Interlocked.Increment(ref _openScopes);
        return scope;
    }

    /// <summary>The width <typeparamref name="TJob"/> runs with now: <see cref="Current"/>, with Vector128 lowered to scalar for jobs without a Vector128 path.</summary>
    public static SimdWidth WidthFor<TJob>() where TJob : struct, ISimdJob
    {
        SimdWidth w = Current;
        return w == SimdWidth.V128 && !TJob.HasV128Path ? SimdWidth.Scalar : w;
    }

    /// <summary>Runs <paramref name="job"/> at <see cref="WidthFor{TJob}"/>.</summary>
    public static void Run<TJob>(ref TJob job) where TJob : struct, ISimdJob
    {
        switch (WidthFor<TJob>())
        {
            case SimdWidth.V512: job.Run<Vector512<float>, Simd512>(); break;
            case SimdWidth.V256: job.Run<Vector256<float>, Simd256>(); break;
            case SimdWidth.V128: job.Run<Vector128<float>, Simd128>(); break;
            default: job.Run<float, SimdScalar>(); break;
        }
    }

    /// <summary>The scope returned by <see cref="Force"/>; disposing it restores the width in force before.</summary>
    public readonly struct ForcedWidth : IDisposable
    {
        private readonly SimdWidth _previous;

        internal ForcedWidth(SimdWidth previous) => _previous = previous;

        /// <summary>Ends the scope.</summary>
        public void Dispose()
        {
            Forced.Value = _previous;
            Interlocked.Decrement(ref _openScopes);
        }
    }
}
