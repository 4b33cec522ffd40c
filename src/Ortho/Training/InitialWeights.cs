using Ortho.Models;
using Ortho.NN;

namespace Ortho.Training;

/// <summary>
/// Starting a run from a trained model's weights (<c>ortho train ... --init-from</c>): fine-tuning a swapped model, an
/// imported GPT-2, or continuing a finished run under a new recipe.
/// </summary>
public static class InitialWeights
{
    /// <summary>
    /// Copies every weight of <paramref name="source"/> into <paramref name="target"/> (a model built from the run's
    /// recipe). The architectures must be the same: the same kind, sizes and activation, except that a GPT may run on a
    /// shorter block than it was trained on (its position table cropped to the first rows, as nanoGPT's
    /// <c>crop_block_size</c> does) and a ConvNeXt on another image size. Attention heads are not in the weights: the
    /// caller decides them.
    /// </summary>
    /// <exception cref="ArgumentException">The architectures differ; the message names what differs.</exception>
    public static void Copy(Module source, Module target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var state = new Dictionary<string, Tensor>(source.StateDict());
        switch (source, target)
        {
            case (Gpt s, Gpt t):
                var (a, b) = (s.Config, t.Config);
                Same("vocab", a.Vocab, b.Vocab);
                Same("layers", a.Layers, b.Layers);
                Same("embd", a.Embd, b.Embd);
                Same("activation", a.Activation, b.Activation);
                if (b.Block > a.Block)
                    throw new ArgumentException($"the run's block of {b.Block} tokens is longer than the {a.Block} positions the initial model has.");
                if (b.Block < a.Block)
                {
                    const string wpe = "transformer.wpe.weight";
                    state[wpe] = Tensor.FromArray(state[wpe].Data[..(b.Block * b.Embd)], b.Block, b.Embd);
                }
                break;
            case (ConvNeXt s, ConvNeXt t):
                var (c, d) = (s.Config, t.Config);
                Same("input channels", c.InChans, d.InChans);
                Same("classes", c.Classes, d.Classes);
                Same("depths", string.Join(",", c.Depths), string.Join(",", d.Depths));
                Same("dims", string.Join(",", c.Dims), string.Join(",", d.Dims));
                Same("stem", c.Stem, d.Stem);
                Same("activation", c.Activation, d.Activation);
                break;
            default:
                throw new ArgumentException($"cannot start a {target.GetType().Name} from the weights of a {source.GetType().Name}.");
        }
        target.LoadStateDict(state);
    }

    private static void Same<T>(string what, T initial, T run)
    {
        if (!EqualityComparer<T>.Default.Equals(initial, run))
            throw new ArgumentException($"the initial model's {what} is {initial}, the run's {run}: the architecture must be the same.");
    }
}
