using Ortho.NN;

namespace Ortho.Training;

/// <summary>
/// What a <see cref="Trainer"/> needs from a task (language modelling, image classification): the model built from
/// the recipe, the batches and their loss, the end-of-run evaluation, and what identifies and resumes a run.
/// </summary>
public interface ITrainingTask
{
    /// <summary>The recipe's shared part: steps, batch, optimizer, schedule, clip, seeds, checkpoint interval.</summary>
    TrainRecipe Train { get; }

    /// <summary>The model, built from the recipe.</summary>
    Module Model { get; }

    /// <summary>Steps of the whole run.</summary>
    int TotalSteps { get; }

    /// <summary>Items (tokens or images) per step, for throughput.</summary>
    int ItemsPerStep { get; }

    /// <summary>The run's configuration as JSON, stored in checkpoints and model files; a resume must match it.</summary>
    string ConfigJson { get; }

    /// <summary>The training batch sampler's state (an opaque string) for checkpoints.</summary>
    string SamplerState { get; set; }

    /// <summary>Draws the next training batch.</summary>
    void NextBatch();

    /// <summary>The model's loss on the current batch (the caller opens the scope and backpropagates).</summary>
    Tensor Loss();

    /// <summary>
    /// Evaluates the model on the task's fixed evaluation set (no gradients; the training batches are not touched):
    /// always on its first quarter, the subset the loss curve is drawn from, and when <paramref name="full"/> on all
    /// of it. <paramref name="cancel"/> stops a long evaluation (<see cref="OperationCanceledException"/>).
    /// </summary>
    EvalResult Evaluate(bool full, CancellationToken cancel = default);
}

/// <summary>One evaluation's numbers: mean loss, accuracy (image tasks) and how many sequences or images it covered.</summary>
public readonly record struct Evaluation(double? Loss, double? Accuracy, int Items);

/// <summary>An evaluation on the fixed subset of the evaluation set and, when asked for, on the whole set.</summary>
public sealed record EvalResult(Evaluation Subset, Evaluation? Full);
