using Ortho.Data;
using Ortho.Models;

namespace Ortho.Inference;

/// <summary>The tokenizer a GPT was trained with, told by its vocabulary size.</summary>
public static class Tokenizers
{
    /// <summary>
    /// <see cref="ByteTokenizer"/> for a vocabulary of 256 (Ortho's byte-level LMs), <see cref="Gpt2Tokenizer"/> for
    /// 50,257 (GPT-2 checkpoints imported from Hugging Face).
    /// </summary>
    /// <exception cref="ArgumentException">Another vocabulary size.</exception>
    public static ITokenizer For(GptConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Vocab switch
        {
            ByteTokenizer.VocabSize => ByteTokenizer.Instance,
            Gpt2Tokenizer.EndOfTextId + 1 => Gpt2Tokenizer.Instance,
            _ => throw new ArgumentException($"no tokenizer for a vocabulary of {config.Vocab} tokens: Ortho knows bytes (256) and GPT-2's BPE (50257)."),
        };
    }
}
