using System.Runtime;

namespace Ortho.Cli.Bench;

/// <summary>
/// Counts how many calls in a row the JIT has compiled nothing, for warm-ups that wait until the runtime's tiered
/// recompiling is over: it compiles a method unoptimized, again with profiling probes after 30 calls, and optimized
/// after 30 more, so a stretch of more than 30 quiet calls means the code timed next is the code that stays.
/// </summary>
internal struct JitQuiet
{
    private long _compiled;

    /// <summary>Calls since the JIT last compiled a method (counted by <see cref="Tick"/>).</summary>
    public int Calls { get; private set; }

    /// <summary>Starts counting from the methods compiled so far.</summary>
    public static JitQuiet Start() => new() { _compiled = JitInfo.GetCompiledMethodCount() };

    /// <summary>After a call: one more quiet call, or back to 0 when the JIT compiled something during it.</summary>
    public void Tick()
    {
        long now = JitInfo.GetCompiledMethodCount();
        Calls = now == _compiled ? Calls + 1 : 0;
        _compiled = now;
    }
}
