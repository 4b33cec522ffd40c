using Ortho.Inference;

namespace Ortho.Models;

/// <summary>Text generation straight from a <see cref="Gpt"/> (see <see cref="GptGenerator"/>).</summary>
public static class GptGenerate
{
    /// <summary>Generates token ids after <paramref name="prompt"/>, lazily (one token per enumeration step), with a key/value cache.</summary>
    public static IEnumerable<int> Generate(this Gpt model, IReadOnlyList<int> prompt, GenerationOptions? options = null) =>
        new GptGenerator(model).Generate(prompt, options);

    /// <summary>
    /// Generates text after <paramref name="prompt"/> with the model's tokenizer (<see cref="Tokenizers.For"/>: bytes
    /// for Ortho's LMs, GPT-2's BPE for imported GPT-2 models) and returns the generated text (without the prompt).
    /// </summary>
    public static string Generate(this Gpt model, string prompt, GenerationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var tokenizer = Tokenizers.For(model.Config);
        return tokenizer.Decode(model.Generate(tokenizer.Encode(prompt), options).ToArray());
    }
}
