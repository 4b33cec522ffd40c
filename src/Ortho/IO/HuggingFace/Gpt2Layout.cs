using Ortho.Models;

namespace Ortho.IO.HuggingFace;

/// <summary>How a Hugging Face GPT-2 checkpoint maps onto Ortho's <see cref="Gpt"/>, as <see cref="Gpt2Import.InferConfig"/> found it.</summary>
/// <param name="Config">The model: vocabulary from <c>wte</c>'s rows, block from <c>wpe</c>'s rows, n_embd from their width,
/// layers from the highest <c>h.N</c>, heads and activation as <paramref name="HeadsSource"/> and <paramref name="ActivationSource"/> say.</param>
/// <param name="HeadsSource">Where the number of heads came from (the argument, config.json, or GPT-2's standard sizes).</param>
/// <param name="ActivationSource">Where the activation came from (config.json's <c>activation_function</c>, or GPT-2's default).</param>
/// <param name="KeyPrefix">"transformer." when the file's keys carry that prefix (GPT2LMHeadModel), else "" (GPT2Model).</param>
/// <param name="Keys">Every Ortho state-dict key with the file key it is read from.</param>
/// <param name="IgnoredKeys">File keys that are not weights and are skipped: the causal-mask buffers
/// <c>h.N.attn.bias</c> and <c>h.N.attn.masked_bias</c> of older files, and <c>lm_head.weight</c> (tied to <c>wte.weight</c>; checked equal when the data is read).</param>
public sealed record Gpt2Layout(GptConfig Config, string HeadsSource, string ActivationSource, string KeyPrefix,
    IReadOnlyDictionary<string, string> Keys, IReadOnlyList<string> IgnoredKeys);

/// <summary>A GPT-2 read by <see cref="Gpt2Import.Read"/>: the model (in evaluation mode) and how the file mapped onto it.</summary>
/// <param name="Model">The model with the checkpoint's weights.</param>
/// <param name="Layout">The inferred configuration and key mapping.</param>
/// <param name="Dtypes">The dtypes of the weights in the file (e.g. F32, or F16 and BF16, converted to float32 exactly).</param>
public sealed record Gpt2ImportResult(Gpt Model, Gpt2Layout Layout, IReadOnlyList<string> Dtypes);
