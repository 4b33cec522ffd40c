using System.CommandLine;
using System.Globalization;
using Ortho.Activations;
using Ortho.IO;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho inspect FILE</c>: what a model file holds (who wrote it; the architecture, read from Ortho's config metadata
/// or, for PyTorch and torchortho files, inferred from the keys and shapes, saying what the weights cannot tell) and,
/// for every learnable activation, its parameters, E[f], E[f^2], E[f'^2] under N(0, 1) and the paper's
/// forward/backward gains. Reads Ortho model files and checkpoints, <c>ortho fit --out</c> files, and GPT, ConvNeXt or
/// single-activation state dicts written by PyTorch. <c>ortho inspect --activation hermite:3</c> shows one activation
/// at initialization.
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<string?>("file") { Description = "A model file: Ortho's model.safetensors or checkpoint.safetensors, an 'ortho fit --out' file, or a PyTorch/torchortho state dict.", Arity = ArgumentArity.ZeroOrOne };
        var act = new Option<string?>("--activation") { Description = "Inspect one activation at initialization instead (e.g. hermite:3)." };
        var sigma = new Option<double>("--sigma") { Description = "Input standard deviation for the moments.", DefaultValueFactory = _ => 1.0 };
        var heads = new Option<int?>("--heads") { Description = "GPT attention heads, for a Hugging Face GPT-2 file whose heads nothing tells." };
        var cmd = new Command("inspect", "Show what a model file holds and its learnable activations: parameters, moments and gains.") { file, act, sigma, heads };
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
            var loaded = ModelFile.Load(path, new ModelFileHints { Heads = p.GetValue(heads) });
            Console.WriteLine($"{path}: {SourceText(loaded.Source)}");
            Console.WriteLine($"  {loaded.Describe()}");
            foreach (var note in loaded.Notes) Console.WriteLine($"  - {note}");
            var acts = loaded.Model.NamedModules().Where(x => x.Module is LearnableActivation).Select(x => (x.Name, (LearnableActivation)x.Module)).ToList();
            if (acts.Count == 0) { Console.WriteLine("The model has no learnable activations."); return 0; }
            Print(acts, s);
            return 0;
        });
        return cmd;
    }

    internal static string SourceText(ModelFileSource source) => source switch
    {
        ModelFileSource.Ortho => "Ortho model file (config metadata)",
        ModelFileSource.OrthoCheckpoint => "Ortho training checkpoint",
        ModelFileSource.Activation => "one activation's parameters",
        ModelFileSource.HuggingFace => "Hugging Face GPT-2 checkpoint",
        _ => "PyTorch state dict (no Ortho config; architecture inferred from the keys and shapes)",
    };

    private static void Print(IEnumerable<(string Name, LearnableActivation Act)> acts, double sigma)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Moments under x ~ N(0, {sigma * sigma:G4}); gains: forward Var[x]/E[f^2], backward Var[x]/E[f'^2]."));
        Console.WriteLine($"{"module",-32} {"activation",-20} {"E[f]",9} {"E[f^2]",9} {"E[f'^2]",9} {"fwd gain",9} {"bwd gain",9}");
        foreach (var (name, a) in acts)
        {
            var m = a.Moments(sigma);
            Console.WriteLine($"{(name.Length == 0 ? "(activation)" : name),-32} {a.Spec,-20} {F(m.Mean),9} {F(m.SecondMoment),9} {F(m.DerivativeSecondMoment),9} {F(m.ForwardGain),9} {F(m.BackwardGain),9}");
            foreach (var (pn, p) in a.NamedParameters())
                Console.WriteLine($"    {pn} = [{string.Join(", ", p.ToArray().Select(v => v.ToString("G5", CultureInfo.InvariantCulture)))}]");
        }
    }

    private static string F(double v) => v.ToString("F5", CultureInfo.InvariantCulture);
}
