using Ortho.Data;
using Ortho.Inference;
using Ortho.Kernels;
using Ortho.Models;
using Xunit;

namespace Ortho.Tests.Viz;

/// <summary>Sampling with the key/value cache against full forward passes; seeds, greedy decoding, top-k, streaming text.</summary>
public class GenerationTests
{
    /// <summary>A tiny GPT with weights large enough that attention and logits are far from uniform.</summary>
    internal static Gpt TinyGpt(string activation = "hermite:3", int block = 16, int layers = 2, ulong seed = 3)
    {
        var model = new Gpt(new GptConfig(256, block, layers, 2, 16, activation), new Rng(seed));
        var rng = new Rng(seed + 100);
        foreach (var (_, p) in model.NamedParameters())
            if (p.Rank >= 2) rng.FillNormal(p.Data, 0f, 0.3f);
        model.Eval();
        return model;
    }

    private static (List<int> Tokens, List<float[]> Logits) Run(Gpt model, int[] prompt, GenerationOptions o)
    {
        var logits = new List<float[]>();
        var tokens = new GptGenerator(model).Generate(prompt, o, (_, l) => logits.Add(l.ToArray())).ToList();
        return (tokens, logits);
    }

    [Theory]
    [InlineData(0, 1.0f, 0)]   // default shift (a quarter of the block), plain sampling
    [InlineData(1, 0.8f, 5)]   // slide by one token: a full recompute for every token past the block
    [InlineData(7, 1.5f, 0)]
    [InlineData(16, 1.0f, 3)]  // slide by a whole block: the context restarts from the newest token
    public void CachedGenerationMatchesFullForwardAtEveryStep(int shift, float temperature, int topK)
    {
        var model = TinyGpt();
        int[] prompt = [72, 101, 108, 108, 111];
        var o = new GenerationOptions { MaxNewTokens = 45, Temperature = temperature, TopK = topK, Seed = 11, WindowShift = shift };
        var cached = Run(model, prompt, o);
        var full = Run(model, prompt, o with { UseCache = false });
        Assert.Equal(45, cached.Tokens.Count);
        Assert.Equal(full.Tokens, cached.Tokens);
        for (int i = 0; i < cached.Logits.Count; i++)
            for (int j = 0; j < 256; j++)
                Assert.True(Math.Abs(cached.Logits[i][j] - full.Logits[i][j]) <= 1e-4f + 1e-4f * Math.Abs(full.Logits[i][j]),
                    $"step {i}, logit {j}: cached {cached.Logits[i][j]} vs full {full.Logits[i][j]}");
        Assert.True(cached.Tokens.Distinct().Count() > 3, "the tiny model should not be stuck on one token");
    }

    [Fact]
    public void PromptLongerThanTheBlockSeesItsLastBlock()
    {
        var model = TinyGpt();
        var prompt = Enumerable.Range(0, 40).Select(i => 97 + i % 26).ToArray();
        var o = new GenerationOptions { MaxNewTokens = 10, Temperature = 0 };
        var cached = Run(model, prompt, o);
        var lastBlock = Run(model, prompt[^16..], o with { UseCache = false });
        Assert.Equal(lastBlock.Tokens, cached.Tokens);
    }

    [Fact]
    public void SameSeedSameTokensOtherSeedOtherTokens()
    {
        var model = TinyGpt();
        int[] prompt = [1, 2, 3];
        var o = new GenerationOptions { MaxNewTokens = 30, Seed = 5 };
        var a = model.Generate(prompt, o).ToList();
        var b = model.Generate(prompt, o).ToList();
        var c = model.Generate(prompt, o with { Seed = 6 }).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void TemperatureZeroIsGreedyAndTopOneIsGreedyToo()
    {
        var model = TinyGpt();
        int[] prompt = [10, 20, 30];
        var greedy = Run(model, prompt, new GenerationOptions { MaxNewTokens = 25, Temperature = 0 });
        for (int i = 0; i < greedy.Tokens.Count; i++)
            Assert.Equal(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(greedy.Logits[i]), greedy.Tokens[i]);
        var top1 = model.Generate(prompt, new GenerationOptions { MaxNewTokens = 25, Temperature = 2f, TopK = 1, Seed = 9 }).ToList();
        Assert.Equal(greedy.Tokens, top1);
    }

    [Fact]
    public void StopTokenEndsGeneration()
    {
        var model = TinyGpt();
        var first = model.Generate([5, 6], new GenerationOptions { MaxNewTokens = 20, Seed = 2 }).ToList();
        var stopped = model.Generate([5, 6], new GenerationOptions { MaxNewTokens = 20, Seed = 2, StopToken = first[3] }).ToList();
        Assert.Equal(first.Take(first.IndexOf(first[3]) + 1), stopped);
    }

    [Fact]
    public void SamplerFollowsTheSoftmaxAndTopK()
    {
        float[] logits = [0f, 1f, 2f, -1f];
        const int n = 40000;
        foreach (var (t, k) in new[] { (1f, 0), (0.5f, 0), (2f, 2) })
        {
            var s = new TokenSampler(t, k, seed: 1);
            var counts = new int[4];
            for (int i = 0; i < n; i++) counts[s.Sample(logits)]++;
            var w = logits.Select((l, i) => k > 0 && i is not (1 or 2) ? 0 : Math.Exp(l / t)).ToArray();
            for (int i = 0; i < 4; i++)
            {
                double p = w[i] / w.Sum();
                Assert.InRange(counts[i] / (double)n, p - 0.01, p + 0.01);
            }
        }
        Assert.Throws<ArgumentException>(() => new TokenSampler().Sample([0f, float.NaN]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampler(-1f));
    }

    [Fact]
    public void DecoderRejectsContextsThatDoNotFit()
    {
        var d = new GptDecoder(TinyGpt());
        Assert.Throws<InvalidOperationException>(() => d.Append(1));
        Assert.Throws<ArgumentException>(() => d.Prefill(new int[17]));
        d.Prefill(new int[16]);
        Assert.Throws<InvalidOperationException>(() => d.Append(1));
        Assert.Throws<ArgumentException>(() => TinyGpt().Generate([], new GenerationOptions()).ToList());
        Assert.Throws<ArgumentException>(() => TinyGpt().Generate([300], new GenerationOptions()).ToList());
    }

    [Fact]
    public void DecodeAttentionEqualsTheLastRowOfCausalAttention()
    {
        const int t = 37, h = 3, d = 8, c = h * d;
        var rng = new Rng(1);
        var qkv = new float[t * 3 * c];
        rng.FillNormal(qkv, 0, 1.5f);
        var y = new float[t * c];
        var lse = new float[h * t];
        CausalAttentionKernels.ForwardFusedQkv(y, lse, qkv, 1, t, h, d);
        var keys = new float[t * c];
        var values = new float[t * c];
        for (int j = 0; j < t; j++)
        {
            qkv.AsSpan(j * 3 * c + c, c).CopyTo(keys.AsSpan(j * c));
            qkv.AsSpan(j * 3 * c + 2 * c, c).CopyTo(values.AsSpan(j * c));
        }
        var last = new float[c];
        DecodeKernels.Attention(last, qkv.AsSpan((t - 1) * 3 * c, c), keys, values, new float[t], t, h, d);
        for (int i = 0; i < c; i++) Assert.Equal(y[(t - 1) * c + i], last[i], 1e-5f);
    }

    [Fact]
    public void TextStreamHoldsBackUnfinishedCharacters()
    {
        var s = new TokenTextStream(ByteTokenizer.Instance);
        var euro = ByteTokenizer.Encode("a€b");
        Assert.Equal([97, 0xE2, 0x82, 0xAC, 98], euro);
        Assert.Equal(["a", "", "", "€", "b"], euro.Select(s.Push).ToArray());
        Assert.Equal("", s.Flush());
        Assert.Equal("", s.Push(0xE2));
        Assert.Equal("\uFFFD", s.Flush());
        Assert.Equal("\uFFFDz", s.Push(0xFF) + s.Push('z'));
    }

    [Fact]
    public void TextStreamOfGpt2TokensRebuildsTheText()
    {
        const string text = "naïve café: 😀 → 東京";
        var tokenizer = Gpt2Tokenizer.Instance;
        var s = new TokenTextStream(tokenizer);
        var pieces = tokenizer.Encode(text).Select(s.Push).ToList();
        Assert.Equal(text, string.Concat(pieces) + s.Flush());
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
    }

    [Fact]
    public void TokenizerFollowsTheVocabulary()
    {
        Assert.Same(ByteTokenizer.Instance, Tokenizers.For(new GptConfig(Vocab: 256)));
        Assert.Equal("gpt2", Tokenizers.For(new GptConfig(Vocab: 50257)).Name);
        Assert.Contains("1000", Assert.Throws<ArgumentException>(() => Tokenizers.For(new GptConfig(Vocab: 1000))).Message);
    }

    [Fact]
    public void GenerateTextReturnsTheContinuationOnly()
    {
        var model = TinyGpt();
        string text = model.Generate("Hi", new GenerationOptions { MaxNewTokens = 12, Temperature = 0 });
        var ids = model.Generate(ByteTokenizer.Encode("Hi"), new GenerationOptions { MaxNewTokens = 12, Temperature = 0 }).ToArray();
        Assert.Equal(ByteTokenizer.Decode(ids), text);
    }
}
