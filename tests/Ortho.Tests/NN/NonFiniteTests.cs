using Ortho;
using Ortho.Models;
using Ortho.NN;
using Xunit;

namespace Ortho.Tests.NN;

public class NonFiniteTests
{
    /// <summary>Multiplies by <see cref="Factor"/>: NaN or infinity on demand, finite otherwise.</summary>
    private sealed class Scale : UnaryModule
    {
        public float Factor { get; set; } = 1f;
        protected override Tensor ForwardCore(Tensor x) => x * Factor;
    }

    /// <summary>x + mlp(x) with the MLP a Sequential(Linear, Scale, Gelu, Linear); <see cref="Between"/> scales between its calls.</summary>
    private sealed class Block : UnaryModule
    {
        public Block(int dim, Rng rng)
        {
            Mlp = RegisterModule("mlp", new Sequential(new Linear(dim, 2 * dim, rng: rng), new Scale(), new Gelu(), new Linear(2 * dim, dim, rng: rng)));
        }
        public Sequential Mlp { get; }
        public float Between { get; set; } = 1f;
        protected override Tensor ForwardCore(Tensor x) => x + Mlp[3].Forward(Mlp[2].Forward(Mlp[1].Forward(Mlp[0].Forward(x))) * Between);
    }

    /// <summary>A Gpt-like stack whose forward takes token ids, so it fires no hooks of its own.</summary>
    private sealed class Stack : Module
    {
        public Stack(Rng rng)
        {
            Wte = RegisterModule("wte", new Embedding(10, 4, rng));
            H = RegisterModule("h", new ModuleList<Block>([new Block(4, rng), new Block(4, rng)]));
        }
        public Embedding Wte { get; }
        public ModuleList<Block> H { get; }
        public float Shift { get; set; }
        public Tensor Forward(int[] ids)
        {
            var x = Wte.Forward(ids, 1, ids.Length) + Shift;
            foreach (var b in H) x = b.Forward(x);
            return x;
        }
    }

    private static string? Diagnose(Stack s) => NonFinite.FirstNonFiniteModule(s, () => s.Forward([1, 2, 3]));

    [Fact]
    public void NamesTheFirstModuleWhoseOwnCodeMadeANonFiniteValue()
    {
        var s = new Stack(new Rng(0));
        Assert.Null(Diagnose(s));
        ((Scale)s.H[1].Mlp[1]).Factor = float.NaN;
        Assert.Equal("h.1.mlp.1", Diagnose(s));
        ((Scale)s.H[0].Mlp[1]).Factor = float.PositiveInfinity;
        Assert.Equal("h.0.mlp.1", Diagnose(s)); // the earlier one in execution order
        ((Scale)s.H[0].Mlp[1]).Factor = 1f;
        s.H[0].Between = float.NaN; // made by the block's own code, between its submodules
        Assert.Equal("h.0", Diagnose(s));
        s.Shift = float.NaN; // made by the model's own forward, which fires no hooks
        Assert.Equal("Stack", Diagnose(s));
        s.H[1].Mlp[0].Parameters().First()[0, 0] = float.NaN;
        Assert.Equal("parameter h.1.mlp.0.weight", Diagnose(s));
    }

    [Fact]
    public void LeavesNoHooksBehindAndRunsWithoutGradients()
    {
        var s = new Stack(new Rng(1));
        bool recorded = true;
        Assert.Null(NonFinite.FirstNonFiniteModule(s, () => recorded = s.Forward([1]).RequiresGrad));
        Assert.False(recorded);
        Assert.All(s.NamedModules(), m => Assert.False(m.Module.HasForwardHooks));
        Assert.True(s.Forward([1]).RequiresGrad);
    }

    [Fact]
    public void NamesTheGptModuleThatOverflowed()
    {
        var gpt = new Gpt(new GptConfig(Vocab: 16, Block: 8, Layers: 2, Heads: 2, Embd: 16, Activation: "hermite:3"), new Rng(3));
        int[] ids = [1, 5, 7, 2, 9, 3];
        string? Diagnose() => NonFinite.FirstNonFiniteModule(gpt, () => gpt.Loss(ids, ids, 1, ids.Length));
        Assert.Null(Diagnose());

        // A huge expansion weight (on one input channel: LayerNorm outputs sum to zero) overflows the cubic activation.
        var cfc = gpt.Transformer.H[1].Mlp.CFc.Weight;
        var saved = cfc.ToArray();
        for (int i = 0; i < cfc.Size(0); i++) cfc[i, 0] = 1e14f;
        Assert.Equal("transformer.h.1.mlp.act", Diagnose());
        saved.CopyTo(cfc.Data);

        // Token and position embeddings that are finite apiece overflow in their sum, in Gpt's own forward.
        gpt.Transformer.Wte.Weight[ids[0], 0] = 3e38f;
        gpt.Transformer.Wpe.Weight[0, 0] = 3e38f;
        Assert.Equal("Gpt", Diagnose());

        gpt.Transformer.H[0].Ln2.Weight![3] = float.NaN;
        Assert.Equal("parameter transformer.h.0.ln_2.weight", Diagnose());
    }

    [Fact]
    public void NamesTheConvNeXtModuleThatOverflowed()
    {
        var net = new ConvNeXt(new ConvNeXtConfig(1, 10, [1, 1], [8, 16], 2, "hermite:3", 8), new Rng(4));
        var images = Tensor.RandN(new Rng(5), [2, 1, 8, 8]).Keep();
        Assert.Null(NonFinite.FirstNonFiniteModule(net, () => net.Forward(images)));

        var block = (ConvNeXtBlock)net.Stages[1][0];
        var saved = block.Pwconv1.Weight.ToArray();
        for (int i = 0; i < block.Pwconv1.Weight.Size(0); i++) block.Pwconv1.Weight[i, 0] = 1e14f;
        Assert.Equal("stages.1.0.act", NonFinite.FirstNonFiniteModule(net, () => net.Forward(images)));

        // A huge layer scale overflows the block's own product before the residual add.
        saved.CopyTo(block.Pwconv1.Weight.Data);
        block.Pwconv2.Bias!.Data.Fill(10f);
        block.Gamma.Data.Fill(3e38f);
        Assert.Equal("stages.1.0", NonFinite.FirstNonFiniteModule(net, () => net.Forward(images)));

        images[1, 0, 2, 3] = float.NaN;
        Assert.Equal("input", NonFinite.FirstNonFiniteModule(net, () => net.Forward(images)));

        net.Head.Weight[0, 0] = float.PositiveInfinity;
        Assert.Equal("parameter head.weight", NonFinite.FirstNonFiniteModule(net, () => net.Forward(images)));
    }
}
