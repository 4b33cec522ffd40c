using System.CommandLine;
using System.Globalization;
using Ortho.Activations;
using Ortho.IO;
using Ortho.NN;
using Ortho.Training;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho inspect FILE</c>: for every learnable activation of a trained model (model.safetensors or a checkpoint),
/// its parameters, E[f], E[f^2], E[f'^2] under N(0, 1) and the paper's forward/backward gains.
/// <c>ortho inspect --activation hermite:3</c> shows the same for one activation at initialization.
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<string?>("file") { Description = "model.safetensors or checkpoint.safetensors from a training run.", Arity = ArgumentArity.ZeroOrOne };
        var act = new Option<string?>("--activation") { Description = "Inspect one activation at initialization instead (e.g. hermite:3)." };
        var sigma = new Option<double>("--sigma") { Description = "Input standard deviation for the moments.", DefaultValueFactory = _ => 1.0 };
        var cmd = new Command("inspect", "Show the learnable activations of a model: parameters, moments and gains.") { file, act, sigma };
        cmd.SetAction(p =>
        {
            var s = p.GetValue(sigma);
            if (!(double.IsFinite(s) && s > 0)) throw new ArgumentException($"--sigma must be a finite number > 0, got {s.ToString(CultureInfo.InvariantCulture)}.");
            if (p.GetValue(act) is string && p.GetValue(file) is string given)
                throw new ArgumentException($"inspect: give a model file ({given}) or --activation, not both.");
            if (p.GetValue(act) is string spec)
            {
                var m = ActivationSpec.Parse(spec).Create(new Rng(0));
                if (m is not LearnableActivation la) throw new ArgumentException($"'{spec}' has no learnable parameters to inspect.");
                Print([("(init)", la)], s);
                return 0;
            }
            var path = p.GetValue(file) ?? throw new ArgumentException("inspect: give a model file or --activation.");
            var model = Load(path);
            var acts = model.NamedModules().Where(x => x.Module is LearnableActivation).Select(x => (x.Name, (LearnableActivation)x.Module)).ToList();
            if (acts.Count == 0) { Console.WriteLine($"{path}: the model has no learnable activations."); return 0; }
            Print(acts, s);
            return 0;
        });
        return cmd;
    }

    /// <summary>Rebuilds the model from the file's config metadata and loads its weights.</summary>
    private static Module Load(string path)
    {
        var f = SafeTensorsFile.Read(path);
        bool checkpoint = f.Metadata.TryGetValue("format", out var fmt) && fmt == Checkpoint.Format;
        // The config is checked against the file's tensor shapes before the model is allocated.
        var model = ModelConfig.CreateFor(f, checkpoint ? "model." : "");
        model.LoadStateDict(StateDictFile.ToTensors(f, checkpoint ? "model." : ""));
        return model;
    }

    private static void Print(IEnumerable<(string Name, LearnableActivation Act)> acts, double sigma)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Moments under x ~ N(0, {sigma * sigma:G4}); gains: forward Var[x]/E[f^2], backward Var[x]/E[f'^2]."));
        Console.WriteLine($"{"module",-32} {"activation",-20} {"E[f]",9} {"E[f^2]",9} {"E[f'^2]",9} {"fwd gain",9} {"bwd gain",9}");
        foreach (var (name, a) in acts)
        {
            var m = a.Moments(sigma);
            Console.WriteLine($"{name,-32} {a.Spec,-20} {F(m.Mean),9} {F(m.SecondMoment),9} {F(m.DerivativeSecondMoment),9} {F(m.ForwardGain),9} {F(m.BackwardGain),9}");
            foreach (var (pn, p) in a.NamedParameters())
                Console.WriteLine($"    {pn} = [{string.Join(", ", p.ToArray().Select(v => v.ToString("G5", CultureInfo.InvariantCulture)))}]");
        }
    }

    private static string F(double v) => v.ToString("F5", CultureInfo.InvariantCulture);
}
