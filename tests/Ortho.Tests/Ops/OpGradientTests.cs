using Ortho;
using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests.Ops;

/// <summary>Finite-difference checks of every core op's backward.</summary>
public class OpGradientTests
{
    private static Tensor R(ulong seed, params int[] shape) => Tensor.RandN(new Rng(seed), shape);
    private static Tensor Pos(ulong seed, params int[] shape) => Tensor.Uniform(new Rng(seed), shape, 0.5f, 2f);

    public static TheoryData<string> Cases => new()
    {
        "add", "add_broadcast_row", "add_broadcast_col", "sub_broadcast", "mul_broadcast", "div_broadcast", "scalar_ops",
        "neg", "exp", "log", "sqrt", "pow", "tanh", "sigmoid", "relu", "silu", "gelu", "gelu_tanh",
        "sum_all", "mean_all", "sum_axis", "mean_axis_keep", "max_all", "max_axis",
        "matmul", "matmul_tA", "matmul_tB", "matmul_tAtB", "matmul_batched", "matmul_batched_shared_b", "matmul_batched_tA_shared_b",
        "matmul_shared_a", "reshape", "permute", "transpose", "slice", "concat", "split", "linear", "embedding", "attention", "self_attention_fused", "patch_conv", "depthwise_conv7", "global_avg_pool", "conv2d_general", "softmax", "log_softmax", "layer_norm", "layer_norm_no_affine", "cross_entropy", "cross_entropy_ignore", "dropout_eval",
        // One tensor read by several ops: the first gradient to reach it is written (a GEMM with beta = 0, a copy), the rest added.
        "add_self", "residual_linear", "linear_residual", "linear_residual_self", "linear_residual_chain", "linear_twice", "linear_self", "reshape_twice", "gelu_residual",
        // Pass-throughs into intermediates share the upstream gradient buffer instead of copying it; later
        // contributions then accumulate into the shared buffer.
        "share_residual", "share_self_add", "share_sub", "share_reshape", "share_residual_chain",
        // Element-wise ops on intermediates compute dx over dy in the upstream gradient's buffer.
        "inplace_unary_chain", "inplace_shared_input", "inplace_after_share",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FiniteDifferences(string op)
    {
        // Fresh gradient buffers that a backward pass writes instead of adding to start as NaN here: an element it
        // forgets to write fails the check.
        Tensor.PoisonFreshGradients = true;
        try { Check(op); }
        finally { Tensor.PoisonFreshGradients = false; }
    }

    private static void Check(string op)
    {
        switch (op)
        {
            case "add": GradCheck.Check(t => t[0] + t[1], [R(1, 3, 4), R(2, 3, 4)]); break;
            case "add_broadcast_row": GradCheck.Check(t => t[0] + t[1], [R(1, 2, 3, 4), R(2, 4)]); break;
            case "add_broadcast_col": GradCheck.Check(t => t[0] + t[1], [R(1, 3, 1), R(2, 1, 5)]); break;
            case "sub_broadcast": GradCheck.Check(t => t[0] - t[1], [R(1, 2, 1, 4), R(2, 3, 1)]); break;
            case "mul_broadcast": GradCheck.Check(t => t[0] * t[1], [R(1, 2, 3, 4), R(2, 3, 1)]); break;
            case "div_broadcast": GradCheck.Check(t => t[0] / t[1], [R(1, 2, 3), Pos(2, 3)]); break;
            case "scalar_ops": GradCheck.Check(t => (2f - t[0] * 3f + 1f) / 2f, [R(1, 5)]); break;
            case "neg": GradCheck.Check(t => -t[0], [R(1, 5)]); break;
            case "exp": GradCheck.Check(t => t[0].Exp(), [R(1, 7)], h: 1e-3); break;
            case "log": GradCheck.Check(t => t[0].Log(), [Pos(1, 7)], h: 1e-3); break;
            case "sqrt": GradCheck.Check(t => t[0].Sqrt(), [Pos(1, 7)], h: 1e-3); break;
            case "pow": GradCheck.Check(t => t[0].Pow(2.5f), [Pos(1, 7)], h: 1e-3); break;
            case "tanh": GradCheck.Check(t => t[0].Tanh(), [R(1, 9)], h: 1e-3); break;
            case "sigmoid": GradCheck.Check(t => t[0].Sigmoid(), [R(1, 9)], h: 1e-3); break;
            case "relu": GradCheck.Check(t => t[0].Relu(), [R(1, 9)], h: 1e-3); break;
            case "silu": GradCheck.Check(t => t[0].Silu(), [R(1, 9)], h: 1e-3); break;
            case "gelu": GradCheck.Check(t => t[0].Gelu(), [R(1, 9)], h: 1e-3); break;
            case "gelu_tanh": GradCheck.Check(t => t[0].GeluTanh(), [R(1, 9)], h: 1e-3); break;
            case "sum_all": GradCheck.Check(t => t[0].Sum(), [R(1, 3, 4)]); break;
            case "mean_all": GradCheck.Check(t => t[0].Mean(), [R(1, 3, 4)]); break;
            case "sum_axis": GradCheck.Check(t => t[0].Sum(1), [R(1, 2, 3, 4)]); break;
            case "mean_axis_keep": GradCheck.Check(t => t[0].Mean(-1, keepDim: true), [R(1, 2, 3, 4)]); break;
            case "max_all": GradCheck.Check(t => t[0].Max(), [R(1, 3, 4)], h: 1e-3); break;
            case "max_axis": GradCheck.Check(t => t[0].Max(1), [R(1, 2, 5, 3)], h: 1e-3); break;
            case "matmul": GradCheck.Check(t => Tensor.MatMul(t[0], t[1]), [R(1, 3, 4), R(2, 4, 5)]); break;
            case "matmul_tA": GradCheck.Check(t => Tensor.MatMul(t[0], t[1], transA: true), [R(1, 4, 3), R(2, 4, 5)]); break;
            case "matmul_tB": GradCheck.Check(t => Tensor.MatMul(t[0], t[1], transB: true), [R(1, 3, 4), R(2, 5, 4)]); break;
            case "matmul_tAtB": GradCheck.Check(t => Tensor.MatMul(t[0], t[1], true, true), [R(1, 4, 3), R(2, 5, 4)]); break;
            case "matmul_batched": GradCheck.Check(t => Tensor.MatMul(t[0], t[1]), [R(1, 2, 3, 4), R(2, 2, 4, 5)]); break;
            case "matmul_batched_shared_b": GradCheck.Check(t => Tensor.MatMul(t[0], t[1], transB: true), [R(1, 2, 3, 4), R(2, 5, 4)]); break;
            case "matmul_batched_tA_shared_b": GradCheck.Check(t => Tensor.MatMul(t[0], t[1], transA: true), [R(1, 2, 4, 3), R(2, 4, 5)]); break;
            case "matmul_shared_a": GradCheck.Check(t => Tensor.MatMul(t[0], t[1]), [R(1, 3, 4), R(2, 2, 4, 5)]); break;
            case "reshape": GradCheck.Check(t => t[0].Reshape(4, -1) * t[1], [R(1, 2, 6), R(2, 4, 3)]); break;
            case "permute": GradCheck.Check(t => t[0].Permute(2, 0, 1), [R(1, 2, 3, 4)]); break;
            case "transpose": GradCheck.Check(t => t[0].Transpose(0, 1), [R(1, 3, 5)]); break;
            case "slice": GradCheck.Check(t => t[0].Slice(1, 1, 2), [R(1, 2, 4, 3)]); break;
            case "concat": GradCheck.Check(t => Tensor.Concat([t[0], t[1]], 1), [R(1, 2, 3), R(2, 2, 4)]); break;
            case "split": GradCheck.Check(t => t[0].Split([1, 3], 0)[1] * 2f, [R(1, 4, 3)]); break;
            case "linear": GradCheck.Check(t => Functional.Linear(t[0], t[1], t[2]), [R(1, 2, 3, 4), R(2, 5, 4), R(3, 5)]); break;
            case "embedding": GradCheck.Check(t => Functional.Embedding(t[0], [2, 0, 2, 1], 2, 2), [R(1, 3, 4)]); break;
            case "attention": GradCheck.Check(t => Functional.CausalAttention(t[0], t[1], t[2]), [R(1, 1, 2, 5, 4), R(2, 1, 2, 5, 4), R(3, 1, 2, 5, 4)], h: 1e-3); break;
            case "self_attention_fused": GradCheck.Check(t => Functional.CausalSelfAttention(t[0], 2), [R(1, 2, 5, 12)], h: 1e-3); break;
            case "patch_conv": GradCheck.Check(t => Functional.PatchConvNhwc(t[0], t[1], t[2], 2), [R(1, 2, 4, 6, 3), R(2, 5, 3, 2, 2), R(3, 5)]); break;
            case "depthwise_conv7": GradCheck.Check(t => Functional.DepthwiseConv7Nhwc(t[0], t[1], t[2]), [R(1, 1, 5, 4, 3), R(2, 3, 1, 7, 7), R(3, 3)]); break;
            case "global_avg_pool": GradCheck.Check(t => Functional.GlobalAvgPool(t[0]), [R(1, 2, 3, 4, 5)]); break;
            case "conv2d_general": GradCheck.Check(t => Functional.Conv2d(t[0], t[1], t[2], stride: 2, padding: 1, groups: 2), [R(1, 2, 4, 5, 5), R(2, 6, 2, 3, 3), R(3, 6)]); break;
            case "softmax": GradCheck.Check(t => Functional.Softmax(t[0]), [R(1, 3, 5)], h: 1e-3); break;
            case "log_softmax": GradCheck.Check(t => Functional.LogSoftmax(t[0]), [R(1, 3, 5)], h: 1e-3); break;
            case "layer_norm": GradCheck.Check(t => Functional.LayerNorm(t[0], t[1], t[2]), [R(1, 3, 8), R(2, 8), R(3, 8)], h: 1e-3); break;
            case "layer_norm_no_affine": GradCheck.Check(t => Functional.LayerNorm(t[0], null, null), [R(1, 2, 6)], h: 1e-3); break;
            case "cross_entropy": GradCheck.Check(t => Functional.CrossEntropy(t[0], [1, 0, 4]), [R(1, 3, 5)], h: 1e-3); break;
            case "cross_entropy_ignore": GradCheck.Check(t => Functional.CrossEntropy(t[0], [1, -100, 4]), [R(1, 3, 5)], h: 1e-3); break;
            case "add_self": GradCheck.Check(t => t[0] + t[0], [R(1, 3, 4)]); break;
            case "residual_linear": GradCheck.Check(t => t[0] + Functional.Linear(t[0], t[1], t[2]), [R(1, 2, 3, 4), R(2, 4, 4), R(3, 4)]); break;
            // The residual sum fused into the product: a separate residual, the input itself as the residual (the product
            // reads the output gradient before the residual takes its buffer), and a chain of blocks sharing the stream.
            case "linear_residual": GradCheck.Check(t => Functional.LinearResidual(t[0], t[1], t[2], t[3]), [R(1, 2, 3, 4), R(2, 5, 4), R(3, 5), R(4, 2, 3, 5)]); break;
            // An intermediate (not a leaf), so the residual may take the output gradient's buffer: the products must
            // have read it first.
            case "linear_residual_self":
                GradCheck.Check(t =>
                {
                    var h = t[0].Tanh();
                    return Functional.LinearResidual(h, t[1], t[2], h) * h;
                }, [R(1, 2, 3, 4), R(2, 4, 4), R(3, 4)]);
                break;
            case "linear_residual_chain":
                GradCheck.Check(t =>
                {
                    var x = t[0];
                    for (int i = 0; i < 2; i++) x = Functional.LinearResidual(Functional.LayerNorm(x, null, null).Tanh(), t[1], null, x);
                    return x * x;
                }, [R(1, 2, 3, 4), R(2, 4, 4)]);
                break;
            case "linear_self": GradCheck.Check(t => Functional.Linear(t[0], t[0]), [R(1, 4, 4)]); break;
            case "linear_twice": GradCheck.Check(t => Functional.Linear(t[0], t[1], t[2]) * Functional.Linear(t[0], t[3]), [R(1, 2, 3, 4), R(2, 5, 4), R(3, 5), R(4, 5, 4)]); break;
            case "gelu_residual": GradCheck.Check(t => t[0].Gelu() * t[0].GeluTanh() + t[0], [R(1, 9)], h: 1e-3); break;
            case "reshape_twice": GradCheck.Check(t => t[0].Reshape(4, -1) * t[0].Reshape(4, -1), [R(1, 2, 6)]); break;
            case "share_residual": GradCheck.Check(t => { var u = t[0] * t[1]; return (u + u.Tanh()) * u; }, [R(1, 3, 4), R(2, 3, 4)], h: 1e-3); break;
            case "share_self_add": GradCheck.Check(t => { var u = t[0].Tanh(); return (u + u) * u; }, [R(1, 7)], h: 1e-3); break;
            case "share_sub": GradCheck.Check(t => { var u = t[0].Sigmoid(); return (u - u.Tanh()) * u - (u.Exp() - u); }, [R(1, 7)], h: 1e-3); break;
            case "share_reshape": GradCheck.Check(t => { var u = t[0].Tanh(); return (u.Reshape(4, -1) * t[1]).Reshape(2, 6) + u; }, [R(1, 2, 6), R(2, 4, 3)], h: 1e-3); break;
            case "share_residual_chain":
                GradCheck.Check(t =>
                {
                    var x = t[0] * 1.5f;
                    for (int i = 0; i < 2; i++) x = x + Functional.Linear(Functional.LayerNorm(x, null, null), t[1], t[2]).Tanh();
                    return x;
                }, [R(1, 2, 3, 4), R(2, 4, 4), R(3, 4)], h: 1e-3);
                break;
            case "inplace_unary_chain": GradCheck.Check(t => (t[0] * t[1]).Gelu().Tanh().Sigmoid().Silu() * t[0], [R(1, 3, 5), R(2, 3, 5)], h: 1e-3); break;
            case "inplace_shared_input": GradCheck.Check(t => { var u = t[0].Exp(); return u.Gelu() * u.Silu() + u.Relu() + u.GeluTanh(); }, [R(1, 11)], h: 1e-3); break;
            case "inplace_after_share": GradCheck.Check(t => { var u = (t[0] * 2f).Tanh(); return (u + u.Gelu()).Reshape(2, 3).Sigmoid(); }, [R(1, 6)], h: 1e-3); break;
            case "dropout_eval": GradCheck.Check(t => Functional.Dropout(t[0], 0.5f, training: false, new Rng(1)), [R(1, 6)]); break;
            default: throw new ArgumentException(op);
        }
    }

    /// <summary>
    /// W W^T: the input and the weight are one tensor, so a linear layer's two backward products write one gradient
    /// buffer. Threaded (a shape worth a thread each), they must still run one after the other: the same bits at 1 and
    /// 2 threads, and g W + g^T W.
    /// </summary>
    [Fact]
    public void LinearOfWeightWithItselfGetsBothGradientsAtAnyThreadCount()
    {
        const int n = 300;
        var g = Tensor.RandN(new Rng(5), [n, n]);
        float[] Grad()
        {
            var w = Tensor.RandN(new Rng(4), [n, n]);
            w.RequiresGrad = true;
            Functional.Linear(w, w).Backward(g);
            return w.Grad!.Data.ToArray();
        }
        var one = EngineThreads.With(1, Grad);
        var two = EngineThreads.With(2, Grad);
        Assert.True(one.AsSpan().SequenceEqual(two), "W W^T: the gradient differs between 1 and 2 threads");
        var wv = Tensor.RandN(new Rng(4), [n, n]).Data.ToArray();
        var gv = g.Data.ToArray();
        for (int i = 0; i < n; i += 37)
            for (int j = 0; j < n; j += 41)
            {
                double e = 0; // (g W)[i, j] + (g^T W)[i, j]
                for (int k = 0; k < n; k++) e += (double)gv[i * n + k] * wv[k * n + j] + (double)gv[k * n + i] * wv[k * n + j];
                Assert.True(Math.Abs(two[i * n + j] - e) <= 1e-3 * (1 + Math.Abs(e)), $"dW[{i},{j}] = {two[i * n + j]}, expected {e}");
            }
    }
}
