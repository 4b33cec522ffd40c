using System.Globalization;

namespace Ortho.Autograd;

/// <summary>The op families a training step's time is split into by <see cref="OpProfile"/>.</summary>
public enum OpFamily
{
    /// <summary>Matrix products: Linear layers and MatMul.</summary>
    Gemm,
    /// <summary>Fused causal attention.</summary>
    Attention,
    /// <summary>Convolutions (general, patchify, depthwise 7x7).</summary>
    Conv,
    /// <summary>Layer normalization.</summary>
    LayerNorm,
    /// <summary>Classic and learnable activation functions.</summary>
    Activation,
    /// <summary>The fused cross-entropy loss.</summary>
    CrossEntropy,
    /// <summary>Embedding lookups.</summary>
    Embedding,
    /// <summary>Element-wise arithmetic, reductions, softmax, pooling and shape ops.</summary>
    Elementwise,
    /// <summary>Zeroing gradients, the gradient norm and clipping, the optimizer's update.</summary>
    Optimizer,
    /// <summary>Everything else: the batch, the autograd tape's bookkeeping, finiteness checks, unrecognized ops.</summary>
    Other,
}

/// <summary>The part of a training step an op ran in.</summary>
public enum StepPhase
{
    /// <summary>The batch and the forward pass up to the loss.</summary>
    Forward,
    /// <summary>Back-propagation through the tape.</summary>
    Backward,
    /// <summary>Gradient norm, clipping and the optimizer step.</summary>
    Update,
}

/// <summary>
/// What one recorded op costs, from its name and its operands' shapes: its family, a label (GEMMs and attention by
/// shape), and the floating-point operations and compulsory memory traffic of its forward and backward passes.
/// FLOPs are counted for matrix work only (GEMM, attention, convolution: 2 per multiply-add); memory-bound ops count
/// bytes instead: their inputs read once and outputs written once, in float32.
/// </summary>
internal readonly record struct OpCost(OpFamily Family, string Label, double ForwardFlops, double ForwardBytes, double BackwardFlops, double BackwardBytes)
{
    /// <summary>The cost of op <paramref name="op"/> that made <paramref name="output"/> from <paramref name="inputs"/>
    /// (<paramref name="activation"/>: the op said it is an activation function).</summary>
    public static OpCost Of(string op, Tensor[] inputs, Tensor output, bool activation = false)
    {
        var x = inputs.Length > 0 ? inputs[0] : output;
        double n = output.Length;
        switch (op)
        {
            case "linear" or "linear_residual":
            {
                // The residual sum rides on the product's tiles: one more read of an output-sized operand forward.
                var w = inputs[1];
                double inF = w.Size(1), outF = w.Size(0), rows = x.Length / Math.Max(1, w.Size(1));
                double f = 2 * rows * inF * outF;
                double residualBytes = op == "linear_residual" ? 4 * n : 0;
                return new(OpFamily.Gemm, Fmt($"linear {rows}x{inF}->{outF}"), f, 4 * (x.Length + w.Length + n) + residualBytes,
                    f * (Grad(x) + Grad(w)), 4 * (n + x.Length + w.Length) * (Grad(x) + Grad(w)));
            }
            case "matmul":
            {
                var b = inputs[1];
                int nCols = output.Size(-1), m = output.Size(-2);
                double batch = n / ((double)m * nCols);
                double k = x.Length / (m * (x.Rank == 2 ? 1 : batch));
                double f = 2 * batch * m * nCols * k;
                return new(OpFamily.Gemm, Fmt($"matmul {batch}x{m}x{nCols}x{k}"), f, 4 * (x.Length + b.Length + n),
                    f * (Grad(x) + Grad(b)), 4 * (n + x.Length + b.Length) * (Grad(x) + Grad(b)));
            }
            case "causal_self_attention" or "causal_attention":
            {
                // y [B, T, C] (or [B, H, T, D]): QK^T and PV over the causal half, T(T+1)/2 pairs per row of C channels.
                int t = op == "causal_attention" ? output.Size(2) : output.Size(1);
                double bc = n / t; // B * C
                double f = 2 * 2 * bc * t * (t + 1) / 2.0;
                // Backward recomputes the scores, then dV, dP, dQ and dK: five products to the forward's two.
                return new(OpFamily.Attention, Fmt($"attention T={t} C={n / t / output.Size(0)} B={output.Size(0)}"), f,
                    4 * (x.Length + n), 2.5 * f, 4 * (2 * x.Length + 2 * n));
            }
            case "conv2d" or "patch_conv" or "depthwise_conv7":
            {
                var w = inputs[1];
                double perOutput = w.Length / (double)w.Size(0); // Cin/groups x KH x KW
                double f = 2 * n * perOutput;
                return new(OpFamily.Conv, $"{op} {string.Join("x", x.Shape)} * {string.Join("x", w.Shape)}", f, 4 * (x.Length + w.Length + n),
                    f * (Grad(x) + Grad(w)), 4 * (n + x.Length + w.Length) * (Grad(x) + Grad(w)));
            }
            case "layer_norm":
                return Memory(OpFamily.LayerNorm, op, n, 2, 3);
            case "cross_entropy":
                return Memory(OpFamily.CrossEntropy, op, x.Length, 1, 2);
            case "embedding":
                return Memory(OpFamily.Embedding, op, n, 2, 3);
            case "reshape":
                return new(OpFamily.Elementwise, op, 0, 0, 0, 0); // a view
        }
        if (activation)
            return Memory(OpFamily.Activation, op, n, 2, 3);
        double operands = n;
        foreach (var i in inputs) operands += i.Length;
        return new(IsElementwise(op) ? OpFamily.Elementwise : OpFamily.Other, op, 0, 4 * operands, 0, 4 * operands);
    }

    private static readonly HashSet<string> ElementwiseOps =
    [
        "add", "sub", "mul", "div", "add_scalar", "sub_scalar", "rsub_scalar", "mul_scalar", "div_scalar", "neg",
        "exp", "log", "sqrt", "pow", "sum", "mean", "max", "softmax", "log_softmax", "permute", "slice", "concat", "global_avg_pool",
    ];

    private static bool IsElementwise(string op) => ElementwiseOps.Contains(op);

    /// <summary>A memory-bound op over <paramref name="n"/> elements moving that many floats per pass this many times.</summary>
    private static OpCost Memory(OpFamily family, string op, double n, int forwardPasses, int backwardPasses) =>
        new(family, op, 0, 4 * n * forwardPasses, 0, 4 * n * backwardPasses);

    private static int Grad(Tensor t) => t.RequiresGrad ? 1 : 0;

    private static string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
