using Ortho.NN;

namespace Ortho.Optim;

/// <summary>A set of parameters sharing hyper-parameters (learning rate, weight decay).</summary>
public sealed class ParamGroup
{
    /// <summary>Creates a group.</summary>
    public ParamGroup(IEnumerable<Parameter> parameters, float? weightDecay = null, float? lr = null)
    {
        Parameters = parameters.ToList();
        WeightDecay = weightDecay;
        Lr = lr;
    }

    /// <summary>The parameters.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Weight decay for this group (null: the optimizer's default).</summary>
    public float? WeightDecay { get; set; }

    /// <summary>Learning rate for this group (null: the optimizer's <see cref="Optimizer.Lr"/>).</summary>
    public float? Lr { get; set; }
}

/// <summary>Base of the optimizers: parameter groups, a learning rate a scheduler can set, and ZeroGrad.</summary>
public abstract class Optimizer
{
    /// <summary>Creates the optimizer over groups.</summary>
    protected Optimizer(IEnumerable<ParamGroup> groups, float lr)
    {
        Groups = groups.ToList();
        if (Groups.Count == 0 || Groups.All(g => g.Parameters.Count == 0)) throw new ArgumentException("Optimizer: no parameters.");
        var dup = Groups.SelectMany(g => g.Parameters).GroupBy(p => p, ReferenceEqualityComparer.Instance).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"Optimizer: parameter {((Parameter)dup.Key!).Describe()} appears in more than one group.");
        if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, "learning rate must be >= 0");
        Lr = lr;
    }

    /// <summary>The parameter groups.</summary>
    public IReadOnlyList<ParamGroup> Groups { get; }

    /// <summary>The base learning rate (schedulers set this each step).</summary>
    public float Lr { get; set; }

    /// <summary>Number of completed <see cref="Step"/> calls.</summary>
    public int StepCount { get; protected set; }

    /// <summary>Updates every parameter that has a gradient.</summary>
    public abstract void Step();

    /// <summary>
    /// The parameters to update this step (requiring grad and holding a gradient), with their index over all groups
    /// (the index of their optimizer state) and their group's learning rate and weight decay.
    /// </summary>
    protected IEnumerable<(Parameter Parameter, int Index, float Lr, float WeightDecay)> UpdatableParameters(float defaultWeightDecay)
    {
        int i = 0;
        foreach (var g in Groups)
        {
            float lr = g.Lr ?? Lr, wd = g.WeightDecay ?? defaultWeightDecay;
            foreach (var p in g.Parameters)
            {
                if (p.Grad != null && p.RequiresGrad) yield return (p, i, lr, wd);
                i++;
            }
        }
    }

    /// <summary>Zeroes every parameter's gradient (keeping the storage, so steady-state steps do not allocate).</summary>
    public void ZeroGrad()
    {
        foreach (var g in Groups) foreach (var p in g.Parameters) p.ZeroGrad();
    }

    /// <summary>The optimizer's per-parameter state tensors by name (for checkpoints), e.g. "0.exp_avg".</summary>
    public abstract IEnumerable<(string Name, Tensor Value)> State();

    /// <summary>Restores the step count and state tensors written by <see cref="State"/>.</summary>
    public void LoadState(int stepCount, IReadOnlyDictionary<string, Tensor> state)
    {
        var own = State().ToList();
        var missing = own.Where(s => !state.ContainsKey(s.Name)).Select(s => s.Name).ToList();
        if (missing.Count > 0) throw new InvalidDataException("Optimizer state is missing: " + string.Join(", ", missing));
        foreach (var (name, t) in own)
        {
            var src = state[name];
            if (src.Length != t.Length) throw new InvalidDataException($"Optimizer state '{name}' has {src.Length} values, expected {t.Length}.");
            src.Data.CopyTo(t.Data);
        }
        StepCount = stepCount;
    }
}
