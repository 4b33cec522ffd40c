namespace Ortho.Kernels;

// Scalar placeholders with the fused kernels' signatures; replaced when the kern-nn branch lands.
internal static class AdamWKernels
{
    public static void Step(Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v, float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        float bc1 = 1 - MathF.Pow(beta1, step), bc2 = 1 - MathF.Pow(beta2, step);
        float stepSize = lr / bc1, bc2Sqrt = MathF.Sqrt(bc2);
        for (int i = 0; i < param.Length; i++)
        {
            param[i] *= 1 - lr * weightDecay;
            m[i] = beta1 * m[i] + (1 - beta1) * grad[i];
            v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i];
            param[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) / bc2Sqrt + eps);
        }
    }
}
internal static class GradNormKernels
{
    public static double SumOfSquares(ReadOnlySpan<float> x) { double s = 0; foreach (var v in x) s += (double)v * v; return s; }
}
