namespace Ortho.Kernels;

// Scalar placeholders with the fused kernels' signatures; replaced when the kern-nn branch lands.
internal static class TanhKernels
{
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) { for (int i = 0; i < x.Length; i++) y[i] = MathF.Tanh(x[i]); }
    public static void BackwardFromOutput(Span<float> dx, ReadOnlySpan<float> y, ReadOnlySpan<float> dy) { for (int i = 0; i < dx.Length; i++) dx[i] += dy[i] * (1 - y[i] * y[i]); }
}
internal static class SigmoidKernels
{
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) { for (int i = 0; i < x.Length; i++) y[i] = 1f / (1f + MathF.Exp(-x[i])); }
    public static void BackwardFromOutput(Span<float> dx, ReadOnlySpan<float> y, ReadOnlySpan<float> dy) { for (int i = 0; i < dx.Length; i++) dx[i] += dy[i] * y[i] * (1 - y[i]); }
}
internal static class ReluKernels
{
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) { for (int i = 0; i < x.Length; i++) y[i] = MathF.Max(x[i], 0); }
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) { for (int i = 0; i < dx.Length; i++) dx[i] += x[i] > 0 ? dy[i] : 0; }
}
internal static class SiluKernels
{
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) { for (int i = 0; i < x.Length; i++) y[i] = x[i] / (1f + MathF.Exp(-x[i])); }
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) { for (int i = 0; i < dx.Length; i++) { float s = 1f / (1f + MathF.Exp(-x[i])); dx[i] += dy[i] * s * (1 + x[i] * (1 - s)); } }
}
internal static class GeluKernels
{
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) { for (int i = 0; i < x.Length; i++) y[i] = (float)(0.5 * x[i] * (1 + Erf(x[i] / Math.Sqrt(2)))); }
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) { for (int i = 0; i < dx.Length; i++) { double v = x[i]; dx[i] += dy[i] * (float)(0.5 * (1 + Erf(v / Math.Sqrt(2))) + v * Math.Exp(-0.5 * v * v) / Math.Sqrt(2 * Math.PI)); } }
    private static double Erf(double z) { double t = 1 / (1 + 0.5 * Math.Abs(z)); double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))); return z >= 0 ? 1 - r : r - 1; }
}
internal static class GeluTanhKernels
{
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) { for (int i = 0; i < x.Length; i++) { double v = x[i]; y[i] = (float)(0.5 * v * (1 + Math.Tanh(0.7978845608 * (v + 0.044715 * v * v * v)))); } }
    public static void Backward(Span<float> dx, ReadOnlySpan<float> x, ReadOnlySpan<float> dy) { for (int i = 0; i < dx.Length; i++) { double v = x[i]; double u = 0.7978845608 * (v + 0.044715 * v * v * v); double t = Math.Tanh(u); dx[i] += dy[i] * (float)(0.5 * (1 + t) + 0.5 * v * (1 - t * t) * 0.7978845608 * (1 + 3 * 0.044715 * v * v)); } }
}
