using Ortho;
using Ortho.Models;
using Xunit;

namespace Ortho.Tests.Models;

/// <summary>The presets have the published parameter counts, so the architectures match the originals.</summary>
public class PresetTests
{
    [Fact]
    public void Gpt2SmallHas124MParameters() =>
        Assert.Equal(124_439_808, new Gpt(GptConfig.Gpt2Small(), new Rng(0)).ParameterCount()); // nanoGPT's count (tied head)

    [Fact]
    public void ConvNeXtTinyHas28_6MParameters() =>
        Assert.Equal(28_589_128, new ConvNeXt(ConvNeXtConfig.Tiny(), new Rng(0)).ParameterCount()); // as the reference ConvNeXt-T

    [Fact]
    public void LearnableActivationsAddTheirFewParametersPerLayer()
    {
        long gelu = new Gpt(GptConfig.DefaultLm("gelu"), new Rng(0)).ParameterCount();
        Assert.Equal(gelu + 4 * 4, new Gpt(GptConfig.DefaultLm("hermite:3"), new Rng(0)).ParameterCount());
        Assert.Equal(gelu + 4 * (1 + 3 * 5), new Gpt(GptConfig.DefaultLm("fourier:5"), new Rng(0)).ParameterCount());
        long cg = new ConvNeXt(ConvNeXtConfig.FashionMnist(), new Rng(0)).ParameterCount();
        Assert.Equal(cg + 6 * 6, new ConvNeXt(ConvNeXtConfig.FashionMnist("tropical:5"), new Rng(0)).ParameterCount());
    }

    [Fact]
    public void BadConfigsNameTheProblem()
    {
        Assert.Contains("divisible", Assert.Throws<ArgumentException>(() => new Gpt(new GptConfig(Embd: 130, Heads: 4))).Message);
        Assert.Contains("activation", Assert.Throws<FormatException>(() => new Gpt(new GptConfig(Activation: "swish"))).Message);
        var e = Assert.Throws<ArgumentException>(() => new Gpt(GptConfig.DefaultLm()).Forward(new int[200], 1, 200));
        Assert.Contains("block size", e.Message);
    }
}
