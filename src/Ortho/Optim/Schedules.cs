namespace Ortho.Optim;

/// <summary>Linear warmup to <see cref="MaxLr"/> then cosine decay to <see cref="MinLr"/> (nanoGPT's schedule).</summary>
public sealed class WarmupCosineSchedule
{
    /// <summary>Creates the schedule.</summary>
    public WarmupCosineSchedule(float maxLr, float minLr, int warmupSteps, int totalSteps)
    {
        if (warmupSteps < 0 || totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), $"warmup {warmupSteps} and total {totalSteps} steps must be >= 0 and > 0.");
        MaxLr = maxLr; MinLr = minLr; WarmupSteps = warmupSteps; TotalSteps = totalSteps;
    }

    /// <summary>Peak learning rate.</summary>
    public float MaxLr { get; }

    /// <summary>Final learning rate.</summary>
    public float MinLr { get; }

    /// <summary>Steps of linear warmup.</summary>
    public int WarmupSteps { get; }

    /// <summary>Total steps (the cosine reaches <see cref="MinLr"/> here).</summary>
    public int TotalSteps { get; }

    /// <summary>The learning rate of (0-based) step <paramref name="step"/>: (step+1)/warmup * max during warmup.</summary>
    public float At(int step)
    {
        if (step < WarmupSteps) return MaxLr * (step + 1) / WarmupSteps;
        double r = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        r = Math.Min(1, r);
        return (float)(MinLr + 0.5 * (1 + Math.Cos(Math.PI * r)) * (MaxLr - MinLr));
    }
}
