using Ortho.Autograd;
using Ortho.NN;
using Ortho.Optim;

namespace Ortho.Training;

/// <summary>
/// One guarded optimization step, the same for the trainer, the training benchmark and the tests: in a tensor scope,
/// zero the gradients, compute the batch's loss, stop if it is not finite, backpropagate; then clip (or just measure)
/// the global gradient norm, stop if it is not finite, and update the weights; then check that the weights are still
/// finite (an overflowing learning rate or weight decay). Nothing reaches the weights from a step that stopped on its
/// loss or gradients; a step that stopped on its weights says so.
/// </summary>
public sealed class TrainStep
{
    private readonly Parameter[] _parameters;
    private readonly long _count; // parameter elements
    private readonly string _optimizerName;
    private readonly double _optimizerBytes;

    /// <summary>Creates the step for <paramref name="model"/>'s parameters (taken once, here) and <paramref name="optimizer"/>.</summary>
    /// <param name="model">The model being trained.</param>
    /// <param name="optimizer">The optimizer over the model's parameters.</param>
    /// <param name="clip">Global gradient-norm clip; 0 measures the norm without clipping.</param>
    public TrainStep(Module model, Optimizer optimizer, float clip)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!(clip >= 0)) throw new ArgumentOutOfRangeException(nameof(clip), clip, "the gradient clip must be >= 0 (0: off).");
        Model = model;
        Optimizer = optimizer;
        Clip = clip;
        _parameters = model.Parameters().ToArray();
        _count = _parameters.Sum(p => (long)p.Length);
        _optimizerName = optimizer.GetType().Name.ToLowerInvariant();
        // AdamW reads the weight, gradient and both moments and writes the weight and both moments: 7 floats each.
        _optimizerBytes = optimizer is AdamW ? 7.0 * 4 * _count : 0;
    }


    /// <summary>The step of a task's recipe: its model, AdamW from <see cref="TrainRecipe.CreateOptimizer"/>, its clip.</summary>
    public static TrainStep ForTask(ITrainingTask task) => new(task.Model, task.Train.CreateOptimizer(task.Model), task.Train.Clip);

    /// <summary>The model.</summary>
    public Module Model { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Global gradient-norm clip (0: off).</summary>
    public float Clip { get; }

    /// <summary>
    /// Runs step <paramref name="step"/> at learning rate <paramref name="lr"/> on the loss that <paramref name="loss"/>
    /// computes (the forward pass of the current batch).
    /// </summary>
    /// <param name="step">The step number for the error message, counted as metrics.jsonl counts (from 1).</param>
    /// <param name="lr">The learning rate of this step.</param>
    /// <param name="loss">Computes the batch's scalar loss; called once, inside the step's tensor scope.</param>
    /// <param name="diagnose">When the loss is not finite: names where it went wrong (gradients are off), or returns null.
    /// By default <see cref="NonFinite.FirstNonFiniteModule"/> runs <paramref name="loss"/> again with every module of the
    /// model watched.</param>
    /// <returns>The loss and the gradient norm before clipping.</returns>
    /// <exception cref="NonFiniteLossException">The loss or a gradient is NaN or infinite (the weights are unchanged), or
    /// the weights are after the update (<see cref="NonFiniteKind.Weights"/>).</exception>
    public (float Loss, float GradNorm) Run(int step, float lr, Func<Tensor> loss, Func<string?>? diagnose = null)
    {
        Optimizer.Lr = lr;
        float value;
        // Under a profile (ortho bench train --profile) each stage below is charged to its own row.
        var profile = OpProfile.Current;
        profile?.Mark("batch", OpFamily.Other, StepPhase.Forward);
        using (Tensor.Scope())
        {
            Optimizer.ZeroGrad();
            profile?.Mark("zero_grad", OpFamily.Optimizer, StepPhase.Update, 4.0 * _count);
            var l = loss();
            value = l.Item();
            if (!float.IsFinite(value))
            {
                string? where;
                using (Tensor.NoGrad()) where = diagnose != null ? diagnose() : Diagnose(loss);
                throw new NonFiniteLossException(step, NonFiniteKind.Loss, value, where);
            }
            profile?.Mark("loss check", OpFamily.Other, StepPhase.Forward);
            l.Backward();
        }
        profile?.Mark("autograd tape", OpFamily.Other, StepPhase.Backward);
        // A non-finite gradient must not reach the weights (nor a checkpoint): stop before the update.
        float norm = Clip > 0 ? GradClip.ClipGradNorm(_parameters, Clip) : GradClip.GradNorm(_parameters);
        if (!float.IsFinite(norm))
        {
            var bad = Model.NamedParameters().FirstOrDefault(p => p.Parameter.Grad is { } g && !NonFinite.AllFinite(g.Data)).Name;
            throw new NonFiniteLossException(step, NonFiniteKind.Gradient, value, bad == null ? "gradients" : "gradient of " + bad);
        }
        profile?.Mark(Clip > 0 ? "grad norm + clip" : "grad norm", OpFamily.Optimizer, StepPhase.Update, 4.0 * _count);
        Optimizer.Step();
        profile?.Mark(_optimizerName, OpFamily.Optimizer, StepPhase.Update, _optimizerBytes);
        // A finite gradient can still overflow the update (a huge learning rate or weight decay): such weights must
        // not go on to the next step, nor into a checkpoint.
        foreach (var p in _parameters)
            if (!NonFinite.AllFinite(p.Data))
                throw new NonFiniteLossException(step, NonFiniteKind.Weights, value,
                    Model.NamedParameters().FirstOrDefault(n => !NonFinite.AllFinite(n.Parameter.Data)).Name);
        profile?.Mark("weights check", OpFamily.Other, StepPhase.Update, 4.0 * _count);
        return (value, norm);
    }

    // Its own method: a lambda capturing Run's parameter would allocate its closure on every step.
    private string? Diagnose(Func<Tensor> loss) => NonFinite.FirstNonFiniteModule(Model, () => loss());
}
