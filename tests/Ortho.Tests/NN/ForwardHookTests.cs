using Ortho;
using Ortho.Models;
using Ortho.NN;
using Xunit;

namespace Ortho.Tests.NN;

public class ForwardHookTests
{
    [Fact]
    public void HooksFireOncePerCallAndTheHandleRemovesThem()
    {
        var m = new Linear(3, 2, rng: new Rng(0));
        int pre = 0, post = 0;
        Tensor? seenIn = null, seenOut = null;
        var hPre = m.RegisterForwardPreHook((module, input) => { Assert.Same(m, module); pre++; seenIn = input; });
        var hPost = m.RegisterForwardHook((module, input, output) => { Assert.Same(m, module); post++; seenOut = output; });
        Assert.True(m.HasForwardHooks);
        var x = Tensor.Ones(4, 3);
        var y = m.Forward(x);
        Assert.Same(x, seenIn);
        Assert.Same(y, seenOut);
        m.Forward(x);
        Assert.Equal((2, 2), (pre, post));

        hPost.Dispose();
        m.Forward(x);
        Assert.Equal((3, 2), (pre, post));
        hPre.Dispose();
        hPre.Dispose(); // a second Dispose removes nothing more
        Assert.False(m.HasForwardHooks);
        m.Forward(x);
        Assert.Equal((3, 2), (pre, post));
    }

    /// <summary>
    /// A GPT block's residual sums ride on its output projections' GEMMs unless a hook wants a branch's own output: then
    /// the branch runs as a module and the sum as an add. Both give the same bits, and the hooks see the branch's output.
    /// </summary>
    [Fact]
    public void GptBranchesWithHooksGiveTheFusedBitsAndTheirOwnOutputs()
    {
        var gpt = new Gpt(new GptConfig(Vocab: 16, Block: 8, Layers: 2, Heads: 2, Embd: 16, Activation: "hermite:3"), new Rng(3));
        int[] ids = [1, 5, 7, 2, 9, 3, 3, 0, 4, 8, 15, 6, 2, 2, 1, 11];
        int[] targets = [5, 7, 2, 9, 3, 3, 0, 4, 8, 15, 6, 2, 2, 1, 11, 12];
        float[] fused = gpt.Forward(ids, 2, 8).Data.ToArray();
        float[][] Gradients()
        {
            gpt.ZeroGrad();
            gpt.Loss(ids, targets, 2, 8).Backward();
            return gpt.Parameters().Select(p => p.Grad!.Data.ToArray()).ToArray();
        }
        var fusedGrads = Gradients();
        var block = gpt.Transformer.H[1];
        Tensor? attnIn = null, attnOut = null, projIn = null, projOut = null;
        using var h1 = block.Attn.RegisterForwardHook((_, input, output) => { attnIn = input; attnOut = output; });
        using var h2 = block.Mlp.CProj.RegisterForwardHook((_, input, output) => { projIn = input; projOut = output; });
        Assert.Equal(fused, gpt.Forward(ids, 2, 8).Data.ToArray());
        Assert.Equal(fusedGrads, Gradients());
        // The hooks saw the branches' own outputs, not the residual sums.
        Assert.Equal(block.Attn.Forward(attnIn!).Data.ToArray(), attnOut!.Data.ToArray());
        Assert.Equal(block.Mlp.CProj.Forward(projIn!).Data.ToArray(), projOut!.Data.ToArray());
    }

    [Fact]
    public void NestedModulesFireInExecutionOrder()
    {
        var seq = new Sequential(new Linear(2, 2, rng: new Rng(1)), new Gelu());
        var events = new List<string>();
        var handles = new List<IDisposable>();
        foreach (var (name, m) in seq.NamedModules())
        {
            string n = name.Length == 0 ? "seq" : name;
            handles.Add(m.RegisterForwardPreHook((_, _) => events.Add("pre " + n)));
            handles.Add(m.RegisterForwardHook((_, _, _) => events.Add("post " + n)));
        }
        seq.Forward(Tensor.Ones(1, 2));
        Assert.Equal(new[] { "pre seq", "pre 0", "post 0", "pre 1", "post 1", "post seq" }, events);
        handles.ForEach(h => h.Dispose());
        Assert.All(seq.NamedModules(), m => Assert.False(m.Module.HasForwardHooks));
    }

    [Fact]
    public void HooksRunInRegistrationOrderAndMayRemoveThemselves()
    {
        var m = new Relu();
        var events = new List<string>();
        IDisposable? self = null;
        self = m.RegisterForwardHook((_, _, _) => { events.Add("a"); self!.Dispose(); });
        using var b = m.RegisterForwardHook((_, _, _) => events.Add("b"));
        m.Forward(Tensor.Ones(1));
        m.Forward(Tensor.Ones(1));
        Assert.Equal(new[] { "a", "b", "b" }, events);
    }

    /// <summary>A module whose forward takes no tensor (an embedding's indices) fires its hooks with a null input.</summary>
    [Fact]
    public void EmbeddingFiresHooksWithANullInput()
    {
        var e = new Embedding(5, 3, new Rng(2));
        int calls = 0;
        using var h = e.RegisterForwardHook((_, input, output) => { Assert.Null(input); Assert.Equal(new[] { 2, 3 }, output.Shape); calls++; });
        e.Forward([1, 4], 2);
        Assert.Equal(1, calls);
    }
}
