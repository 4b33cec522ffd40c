namespace Ortho.Training;

/// <summary>One training step's numbers, reported to a progress callback and written to metrics.jsonl.</summary>
/// <param name="Step">The step just finished, counted from 1 (as metrics.jsonl counts).</param>
/// <param name="TotalSteps">Steps of the whole run.</param>
/// <param name="Loss">The step's training loss.</param>
/// <param name="Lr">The step's learning rate.</param>
/// <param name="MsPerStep">Milliseconds the step took.</param>
/// <param name="ItemsPerSecond">Tokens or images per second of the step.</param>
/// <param name="WallSeconds">Seconds of training so far, over every session of the run (a resume continues the count).</param>
public readonly record struct TrainProgress(int Step, int TotalSteps, float Loss, float Lr, double MsPerStep, double ItemsPerSecond, double WallSeconds = 0);

/// <summary>How a run ended and what it measured.</summary>
/// <param name="Steps">Steps done (the run's total unless interrupted).</param>
/// <param name="Interrupted">Stopped by cancellation; a checkpoint of <paramref name="Steps"/> steps is written.</param>
/// <param name="FinalTrainLoss">The last step's training loss.</param>
/// <param name="ValidationLoss">The final validation loss, if the task has one.</param>
/// <param name="TestAccuracy">The final test accuracy, if the task has one.</param>
/// <param name="MeanMsPerStep">Mean milliseconds per step (this session, after the first step).</param>
/// <param name="PeakWorkingSetBytes">Peak working set of the process.</param>
/// <param name="RunDirectory">Where checkpoint, metrics and model are.</param>
public sealed record TrainResult(int Steps, bool Interrupted, float FinalTrainLoss, double? ValidationLoss, double? TestAccuracy,
    double MeanMsPerStep, long PeakWorkingSetBytes, string RunDirectory)
{
    /// <summary>The run had finished before this call (a resume of a finished run): the numbers are the finished run's, read from its metrics.</summary>
    public bool AlreadyFinished { get; init; }

    /// <summary>Interrupted during the final evaluation: the checkpoint and model of the last step are written, the evaluation is not.</summary>
    public bool InterruptedInEvaluation { get; init; }
}

/// <summary>What became NaN or infinite in a training step.</summary>
public enum NonFiniteKind
{
    /// <summary>The batch's loss (nothing of the step reached the weights).</summary>
    Loss,
    /// <summary>A gradient (nothing of the step reached the weights).</summary>
    Gradient,
    /// <summary>The weights after the optimizer's update.</summary>
    Weights,
    /// <summary>The optimizer's state (moments) after the update.</summary>
    OptimizerState,
}

/// <summary>
/// The loss, a gradient, the weights or the optimizer state became NaN or infinite; says which, at which step (counted
/// as metrics.jsonl counts) and, where found, the first module or tensor concerned. No checkpoint holds such values.
/// </summary>
public sealed class NonFiniteLossException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="step">The step, counted from 1 as in metrics.jsonl.</param>
    /// <param name="kind">What became non-finite.</param>
    /// <param name="loss">The step's loss (NaN or infinite for <see cref="NonFiniteKind.Loss"/>).</param>
    /// <param name="where">The first module (loss) or tensor (otherwise) found non-finite, if any.</param>
    /// <param name="checkpointNote">What became of the checkpoints, appended to the message (the trainer's words).</param>
    public NonFiniteLossException(int step, NonFiniteKind kind, float loss, string? where, string? checkpointNote = null)
        : base(Describe(step, kind, loss, where) + (checkpointNote == null ? "" : " " + checkpointNote))
    {
        Step = step; Kind = kind; Loss = loss; Module = where;
    }

    /// <summary>The step, counted from 1 as in metrics.jsonl.</summary>
    public int Step { get; }

    /// <summary>What became non-finite.</summary>
    public NonFiniteKind Kind { get; }

    /// <summary>The step's loss.</summary>
    public float Loss { get; }

    /// <summary>Dotted name of the first module (loss) or tensor (gradient, weights, state) found non-finite, if any.</summary>
    public string? Module { get; }

    /// <summary>The same failure with what became of the checkpoints added to the message.</summary>
    public NonFiniteLossException WithCheckpointNote(string note) => new(Step, Kind, Loss, Module, note);

    private static string Describe(int step, NonFiniteKind kind, float loss, string? where) => kind switch
    {
        NonFiniteKind.Loss => $"The loss became {F(loss)} at step {step}; first non-finite output: {where ?? "(none found: the loss itself)"}. Nothing of step {step} reached the weights.",
        NonFiniteKind.Gradient => $"A gradient became non-finite at step {step} (loss {F(loss)}): {where ?? "gradients"}. Nothing of step {step} reached the weights.",
        NonFiniteKind.Weights => $"The weights became non-finite after the update of step {step} (loss {F(loss)}): {where ?? "a parameter"}.",
        _ => $"The optimizer state became non-finite after the update of step {step} (loss {F(loss)}): {where ?? "a state tensor"}.",
    };

    private static string F(float v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
