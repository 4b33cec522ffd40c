namespace Ortho.Training;

/// <summary>One training step's numbers, reported to a progress callback and written to metrics.jsonl.</summary>
public readonly record struct TrainProgress(int Step, int TotalSteps, float Loss, float Lr, double MsPerStep, double ItemsPerSecond);

/// <summary>How a run ended and what it measured.</summary>
public sealed record TrainResult(int Steps, bool Interrupted, float FinalTrainLoss, double? ValidationLoss, double? TestAccuracy,
    double MeanMsPerStep, long PeakWorkingSetBytes, string RunDirectory);

/// <summary>The loss became NaN or infinite; names the first module whose output did. The last good checkpoint is kept.</summary>
public sealed class NonFiniteLossException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteLossException(int step, float loss, string? module)
        : base($"Loss became {loss} at step {step}; first non-finite output: {module ?? "(none found: the loss itself)"}. The last checkpoint was left intact.")
    {
        Step = step; Module = module;
    }

    /// <summary>The step (0-based).</summary>
    public int Step { get; }

    /// <summary>Dotted name of the first module whose output was non-finite, if found.</summary>
    public string? Module { get; }
}
