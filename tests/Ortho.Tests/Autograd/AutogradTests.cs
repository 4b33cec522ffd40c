using Ortho;
using Ortho.NN;
using Xunit;

namespace Ortho.Tests.Autograd;

[CollectionDefinition("pool", DisableParallelization = true)]
public class PoolCollection { }

[Collection("pool")]
public class AutogradTests
{
    [Fact]
    public void GradientAccumulatesWhenATensorIsUsedTwice()
    {
        var x = Tensor.FromArray([1f, 2f, 3f], 3);
        x.RequiresGrad = true;
        var y = (x * x + x).Sum(); // d/dx = 2x + 1
        y.Backward();
        Assert.Equal(new[] { 3f, 5f, 7f }, x.Grad!.ToArray());
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCallsUntilZeroed()
    {
        var x = Tensor.FromArray([2f], 1);
        x.RequiresGrad = true;
        (x * 3f).Sum().Backward();
        (x * 3f).Sum().Backward();
        Assert.Equal(6f, x.Grad!.Item());
        x.ZeroGrad();
        Assert.Equal(0f, x.Grad!.Item());
    }

    [Fact]
    public void NonScalarBackwardNeedsAGradient()
    {
        var x = Tensor.FromArray([1f, 2f], 2);
        x.RequiresGrad = true;
        var y = x * 2f;
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("scalar", e.Message);
        y.Backward(Tensor.FromArray([1f, 10f], 2));
        Assert.Equal(new[] { 2f, 20f }, x.Grad!.ToArray());
    }

    [Fact]
    public void GradientShapeMismatchIsReported()
    {
        var x = Tensor.Ones(2, 3);
        x.RequiresGrad = true;
        var y = x * 2f;
        var e = Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones(3, 2)));
        Assert.Contains("[3, 2]", e.Message);
        Assert.Contains("[2, 3]", e.Message);
    }

    [Fact]
    public void BackwardTwiceThroughAReleasedGraphThrows()
    {
        var x = Tensor.Ones(2);
        x.RequiresGrad = true;
        var y = (x.Exp() * 2f).Sum();
        y.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("released", e.Message);
    }

    [Fact]
    public void RetainGraphAllowsASecondBackward()
    {
        var x = Tensor.FromArray([1f], 1);
        x.RequiresGrad = true;
        var y = (x * 5f).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(10f, x.Grad!.Item());
    }

    [Fact]
    public void RetainGraphTwiceThroughSharedAndInPlaceGradients()
    {
        // Residual adds and reshapes share gradient buffers, element-wise ops compute dx over dy: with the graph kept,
        // a second backward must give exactly the same gradients again.
        var x = Tensor.FromArray([0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f], 6);
        x.RequiresGrad = true;
        var u = (x * 2f).Tanh();
        var y = ((u + u.Gelu()).Reshape(2, 3).Sigmoid() * u.Reshape(2, 3).Exp()).Sum();
        y.Backward(retainGraph: true);
        var first = x.Grad!.Data.ToArray();
        x.Grad = null;
        y.Backward();
        Assert.Equal(first, x.Grad!.Data.ToArray());
    }

    [Fact]
    public void UserGradientIntoAnElementwiseRootIsNotChanged()
    {
        var x = Tensor.FromArray([0.5f, -1f, 2f], 3);
        x.RequiresGrad = true;
        var g = Tensor.FromArray([1f, 2f, -3f], 3);
        var y = (x * 3f).Gelu();
        y.Backward(g);
        Assert.Equal([1f, 2f, -3f], g.Data.ToArray());
        var viaSum = Tensor.FromArray([0.5f, -1f, 2f], 3);
        viaSum.RequiresGrad = true;
        ((viaSum * 3f).Gelu() * Tensor.FromArray([1f, 2f, -3f], 3)).Sum().Backward();
        Assert.Equal(viaSum.Grad!.Data.ToArray(), x.Grad!.Data.ToArray());
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Tensor.Ones(3);
        x.RequiresGrad = true;
        Tensor y;
        using (Tensor.NoGrad()) y = (x * 2f).Sum();
        Assert.False(y.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.True(Tensor.IsGradEnabled);
    }

    [Fact]
    public void DetachStopsGradientsAndSharesStorage()
    {
        var x = Tensor.FromArray([1f, 2f], 2);
        x.RequiresGrad = true;
        var d = x.Detach();
        Assert.False(d.RequiresGrad);
        var y = (x * d).Sum(); // gradient only through the first factor
        y.Backward();
        Assert.Equal(new[] { 1f, 2f }, x.Grad!.ToArray());
        d.Data[0] = 9f;
        Assert.Equal(9f, x.Data[0]);
    }

    [Fact]
    public void OpErrorsNameTheOpAndBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Ones(2, 3) + Tensor.Ones(4, 3));
        Assert.Contains("add", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 3]", e.Message);
        var m = Assert.Throws<ArgumentException>(() => Tensor.MatMul(Tensor.Ones(2, 3), Tensor.Ones(4, 5)));
        Assert.Contains("MatMul", m.Message);
        Assert.Contains("[2, 3]", m.Message);
        Assert.Contains("[4, 5]", m.Message);
    }

    [Fact]
    public void ScopeReturnsStorageToThePoolAndKeepRetainsTensors()
    {
        var w = new Parameter(Tensor.Ones(64, 64).Data, 64, 64);
        for (int i = 0; i < 3; i++)
        {
            using var scope = Tensor.Scope();
            var x = Tensor.Ones(8, 64);
            var loss = Functional.Linear(x, w).Exp().Mean();
            loss.Backward();
        }
        long before = TensorPool.Allocated;
        using (Tensor.Scope())
        {
            var x = Tensor.Ones(8, 64);
            Functional.Linear(x, w).Exp().Mean().Backward();
        }
        Assert.Equal(before, TensorPool.Allocated); // steady state: all storage came from the pool
        Tensor kept;
        using (Tensor.Scope()) kept = (Tensor.Ones(3) * 2f).Sum().Keep();
        Assert.Equal(6f, kept.Item());
        Assert.NotNull(w.Grad);
    }

    [Fact]
    public void ReleasedTensorsSayHowToKeepThem()
    {
        Tensor t;
        using (Tensor.Scope()) t = Tensor.Ones(4);
        var e = Assert.Throws<ObjectDisposedException>(() => t.Data[0]);
        Assert.Contains("Keep()", e.Message);
    }
}

[Collection("pool")]
public class ScopeOwnershipTests
{
    [Fact]
    public void KeepOnlyMovesTensorsTheCurrentScopeOwns()
    {
        var p = new Parameter(4);
        Tensor outer;
        using (Tensor.Scope())
        {
            outer = Tensor.Ones(3);
            using (Tensor.Scope())
            {
                p.Keep();      // unscoped: stays unscoped
                outer.Keep();  // owned by the outer scope: stays there
            }
            Assert.Equal(3f, outer.Sum().Item());
        }
        p.Data[0] = 1f; // still alive after both scopes
        Assert.Throws<ObjectDisposedException>(() => outer.Data[0]);
    }

    [Fact]
    public void ModulesBuiltInsideAScopeKeepTheirBuffers()
    {
        Ortho.Activations.HermiteActivation h;
        using (Tensor.Scope()) h = new Ortho.Activations.HermiteActivation(3);
        Assert.Equal(3, h.StateDict().Count);
        Assert.Equal(1f, h.StateDict()["coeffs"].Data[0]);
    }

    [Fact]
    public void BackwardAfterTheScopeEndedSaysWhatToDo()
    {
        var w = new Parameter(Tensor.Ones(4, 4).Data, 4, 4);
        Tensor loss;
        using (Tensor.Scope())
        {
            var y = Functional.Linear(Tensor.Ones(2, 4), w).Exp();
            loss = y.Sum();
            y.Keep(); // kept, but its history is dropped
            Assert.True(y.IsLeaf);
            loss = (loss * 1f).Keep();
        }
        Assert.True(loss.IsLeaf);
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
    }
}
