using System.Diagnostics;

namespace Ortho.Autograd;

/// <summary>
/// Where a training step's time goes, op by op. While a profile runs on a thread (<see cref="Start"/>), every op
/// recorded on the tape, every node's backward and the step's own marks (<see cref="Mark"/>) charge the time since
/// the previous one to a row: one row per op and operand shapes (a GEMM or attention per shape) and phase. Between
/// <see cref="BeginStep"/> and <see cref="EndStep"/> the marks are continuous, so the rows add up to the steps' time.
/// Time inside <see cref="EngineSettings.ParallelFor"/> regions that ran on several threads is counted apart
/// (<see cref="OpProfileRow.ParallelTicks"/>): the rest of a row's time kept all but one thread idle.
/// When no profile runs, the tape's only cost is one static field check per op.
/// </summary>
/// <remarks>
/// The profile belongs to the thread that started it: ops on other threads are not seen (kernels running their
/// work items on worker threads are timed whole, on the calling thread). After the rows exist, profiling allocates
/// nothing per step.
/// </remarks>
public sealed class OpProfile : IDisposable
{
    private static int s_sessions;
    [ThreadStatic] private static OpProfile? t_current;

    private readonly Dictionary<RowKey, OpProfileRow> _rows = [];
    private readonly List<OpProfileRow> _order = [];
    private readonly OpProfileRow _tape, _untracked, _unknownBackward;
    private long _last, _stepStart, _stepTicks, _parallel;
    private bool _inStep, _disposed;

    private OpProfile()
    {
        _tape = Row(new RowKey("autograd tape", StepPhase.Backward), OpFamily.Other, "autograd tape", 0, 0);
        _unknownBackward = Row(new RowKey("backward of ops recorded before the profile", StepPhase.Backward), OpFamily.Other,
            "backward of ops recorded before the profile", 0, 0);
        _untracked = Row(new RowKey("step end", StepPhase.Update), OpFamily.Other, "step end", 0, 0);
    }

    /// <summary>The profile running on this thread, or null (one static read when no profile runs anywhere).</summary>
    public static OpProfile? Current => s_sessions > 0 ? t_current : null;

    /// <summary>Starts profiling this thread's ops; dispose the result (on this thread) to stop.</summary>
    /// <exception cref="InvalidOperationException">A profile already runs on this thread.</exception>
    public static OpProfile Start()
    {
        if (t_current != null) throw new InvalidOperationException("OpProfile: a profile is already running on this thread; dispose it first.");
        var p = new OpProfile();
        t_current = p;
        Interlocked.Increment(ref s_sessions);
        return p;
    }

    /// <summary>Completed steps (<see cref="EndStep"/> calls).</summary>
    public int Steps { get; private set; }

    /// <summary>Wall time of the completed steps, BeginStep to EndStep, in seconds.</summary>
    public double StepSeconds => _stepTicks / (double)Stopwatch.Frequency;

    /// <summary>The rows in the order they first ran.</summary>
    public IReadOnlyList<OpProfileRow> Rows => _order;

    /// <summary>Matrix FLOPs per completed step (GEMM, attention, convolution).</summary>
    public double FlopsPerStep => Steps == 0 ? 0 : _order.Sum(r => r.Flops * r.Calls) / Steps;

    /// <summary>Starts timing a step: the time from here to the first mark is charged to that mark's row.</summary>
    public void BeginStep()
    {
        if (_inStep) throw new InvalidOperationException("OpProfile: BeginStep inside a step; call EndStep first.");
        _inStep = true;
        _parallel = 0;
        _stepStart = _last = Stopwatch.GetTimestamp();
    }

    /// <summary>Ends the step: the time since the last mark goes to the "step end" row.</summary>
    public void EndStep()
    {
        if (!_inStep) throw new InvalidOperationException("OpProfile: EndStep without BeginStep.");
        Charge(_untracked);
        _inStep = false;
        _stepTicks += _last - _stepStart;
        Steps++;
    }

    /// <summary>
    /// Charges the time since the last mark to the row <paramref name="label"/> (work that is not a recorded op: the
    /// batch, zeroing gradients, clipping, the optimizer step); <paramref name="bytes"/> is its memory traffic per call.
    /// </summary>
    public void Mark(string label, OpFamily family, StepPhase phase, double bytes = 0)
    {
        if (!_inStep) return;
        var key = new RowKey(label, phase);
        if (!_rows.TryGetValue(key, out var row)) row = Row(key, family, label, 0, bytes);
        Charge(row);
    }

    /// <summary>The tape hook: op <paramref name="op"/> has just computed <paramref name="output"/> (its forward time is charged).</summary>
    /// <returns>The op's row, for its node's backward; null outside a step.</returns>
    internal OpProfileRow? Forward(string op, Tensor[] inputs, Tensor output, bool activation)
    {
        if (!_inStep) return null;
        long now = Stopwatch.GetTimestamp();
        var key = RowKey.Of(op, inputs, output);
        if (!_rows.TryGetValue(key, out var row))
        {
            var c = OpCost.Of(op, inputs, output, activation);
            row = Row(key, c.Family, c.Label, c.ForwardFlops, c.ForwardBytes);
            row.Backward = Row(key with { Phase = StepPhase.Backward }, c.Family, c.Label, c.BackwardFlops, c.BackwardBytes);
        }
        Charge(row, now);
        return row;
    }

    /// <summary>The tape hook before a node's backward: the time since the last mark is the tape's bookkeeping.</summary>
    internal void BeforeBackward() => Charge(_tape);

    /// <summary>The tape hook after a node's backward: charged to the backward row of <paramref name="forward"/>.</summary>
    internal void AfterBackward(OpProfileRow? forward) => Charge(forward?.Backward is { } b && b.Owner == this ? b : _unknownBackward);

    /// <summary>
    /// The engine's hook: <paramref name="ticks"/> were spent in a region split over several threads, charged as
    /// parallel time to the row of the next mark (the op that ran it).
    /// </summary>
    internal void AddParallel(long ticks)
    {
        if (_inStep) _parallel += ticks;
    }

    /// <summary>Stops profiling (on the thread that started it).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (t_current != this) throw new InvalidOperationException("OpProfile: dispose the profile on the thread that started it.");
        _disposed = true;
        t_current = null;
        Interlocked.Decrement(ref s_sessions);
    }

    private OpProfileRow Row(RowKey key, OpFamily family, string label, double flops, double bytes)
    {
        var row = new OpProfileRow(this, key, family, label, flops, bytes);
        _rows.Add(key, row);
        _order.Add(row);
        return row;
    }

    private void Charge(OpProfileRow row) => Charge(row, Stopwatch.GetTimestamp());

    private void Charge(OpProfileRow row, long now)
    {
        if (!_inStep) return;
        row.Calls++;
        row.Ticks += now - _last;
        row.ParallelTicks += _parallel;
        _parallel = 0;
        _last = now;
    }
}

/// <summary>One row of an <see cref="OpProfile"/>: an op (at one set of operand shapes) or a mark, in one phase.</summary>
public sealed class OpProfileRow
{
    internal OpProfileRow(OpProfile owner, RowKey key, OpFamily family, string label, double flops, double bytes) =>
        (Owner, Key, Family, Label, Flops, Bytes) = (owner, key, family, label, flops, bytes);

    internal OpProfile Owner { get; }

    internal RowKey Key { get; }

    /// <summary>The op family.</summary>
    public OpFamily Family { get; }

    /// <summary>The phase.</summary>
    public StepPhase Phase => Key.Phase;

    /// <summary>The op's name, with the shapes for GEMMs, attention and convolutions.</summary>
    public string Label { get; }

    /// <summary>Matrix FLOPs per call (0 for memory-bound work).</summary>
    public double Flops { get; }

    /// <summary>Compulsory memory traffic per call, in bytes (0 when not estimated).</summary>
    public double Bytes { get; }

    /// <summary>Times charged.</summary>
    public long Calls { get; internal set; }

    /// <summary>Total time charged, in <see cref="Stopwatch"/> ticks.</summary>
    public long Ticks { get; internal set; }

    /// <summary>Total time charged, in seconds.</summary>
    public double Seconds => Ticks / (double)Stopwatch.Frequency;

    /// <summary>The part of <see cref="Ticks"/> spent in regions split over several threads.</summary>
    public long ParallelTicks { get; internal set; }

    /// <summary>The part of <see cref="Seconds"/> spent in regions split over several threads.</summary>
    public double ParallelSeconds => ParallelTicks / (double)Stopwatch.Frequency;

    /// <summary>For a forward op's row, its backward's row.</summary>
    internal OpProfileRow? Backward { get; set; }
}

/// <summary>What tells rows apart: the op (or mark label), the phase, the output's and first two inputs' sizes, which inputs need gradients.</summary>
internal readonly record struct RowKey(string Op, StepPhase Phase, int OutLength = 0, int OutLast = 0, int In0Length = 0, int In0Last = 0,
    int In1Length = 0, int In1Last = 0, int Grads = 0)
{
    public static RowKey Of(string op, Tensor[] inputs, Tensor output)
    {
        int grads = 0;
        for (int i = 0; i < inputs.Length && i < 30; i++) if (inputs[i].RequiresGrad) grads |= 1 << i;
        var a = inputs.Length > 0 ? inputs[0] : null;
        var b = inputs.Length > 1 ? inputs[1] : null;
        return new RowKey(op, StepPhase.Forward, output.Length, Last(output), a?.Length ?? 0, Last(a), b?.Length ?? 0, Last(b), grads);
    }

    private static int Last(Tensor? t) => t is { Rank: > 0 } ? t.ShapeSpan[^1] : 0;
}
