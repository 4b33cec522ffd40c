using Ortho.Kernels;
using Ortho.NN;

namespace Ortho.Optim;

/// <summary>Global gradient-norm clipping, as torch.nn.utils.clip_grad_norm_.</summary>
public static class GradClip
{
    /// <summary>
    /// Scales all gradients so that their joint L2 norm is at most <paramref name="maxNorm"/>; returns the norm
    /// before clipping (NaN or infinity if a gradient is not finite, in which case nothing is scaled).
    /// </summary>
    public static float ClipGradNorm(IEnumerable<Parameter> parameters, float maxNorm)
    {
        var ps = parameters.Where(p => p.Grad != null).ToList();
        float norm = GradNorm(ps);
        if (!float.IsFinite(norm)) return norm;
        float coef = maxNorm / (norm + 1e-6f);
        if (coef < 1f)
            foreach (var p in ps) System.Numerics.Tensors.TensorPrimitives.Multiply(p.Grad!.Data, coef, p.Grad.Data);
        return norm;
    }

    /// <summary>The joint L2 norm of all gradients (double accumulation, fixed order).</summary>
    public static float GradNorm(IEnumerable<Parameter> parameters)
    {
        double sq = 0;
        foreach (var p in parameters) if (p.Grad != null) sq += GradNormKernels.SumOfSquares(p.Grad.Data);
        return (float)Math.Sqrt(sq);
    }
}
