using Ortho.Activations;
using Ortho.Kernels.Simd;

namespace Ortho.Tests.Activations;

/// <summary>
/// Test helpers: random parameters and inputs, a runner over the kind-generic kernels, and double-precision
/// reference forwards written from the paper's formulas independently of the library code.
/// </summary>
internal static class ActivationTestKit
{
    public sealed record Result(float[] Y, float[] Dx, ActivationParameters Grads);

    /// <summary>Forward and backward at <paramref name="width"/> (default: the machine's best).</summary>
    public static Result Run(ActivationParameters p, float[] x, float[] dy, SimdWidth? width = null)
    {
        using var forced = SimdDispatch.Force(width ?? SimdDispatch.Best);
        var y = new float[x.Length];
        ActivationKernels.Forward(p, y, x);
        var g = new ActivationParameters(p.Family, p.Degree);
        var dx = new float[x.Length];
        ActivationKernels.Backward(p, g, dx, x, dy, needDx: true, accumulateDx: false, frequencyGradient: true);
        return new Result(y, dx, g);
    }

    /// <summary>Initial parameters, optionally perturbed (Fourier: perturbed grid leaves the harmonic path).</summary>
    public static ActivationParameters Params(ActivationKind kind, int degree, ulong seed, bool perturb) => Params((ActivationFamily)kind, degree, seed, perturb);

    /// <summary>Initial parameters of any family (e.g. a variant such as hermite+clamp), optionally perturbed.</summary>
    public static ActivationParameters Params(ActivationFamily family, int degree, ulong seed, bool perturb)
    {
        var rng = new Rng(seed);
        var p = ActivationParameters.Initial(family, degree, rng);
        if (!perturb) return p;
        foreach (var name in p.Names)
        {
            var v = p[name];
            for (int i = 0; i < v.Length; i++) v[i] += (float)(0.4 * (rng.NextDouble() - 0.5));
        }
        return p;
    }

    public static float[] Normal(int n, ulong seed, float std = 1.5f)
    {
        var v = new float[n];
        new Rng(seed).FillNormal(v, 0, std);
        return v;
    }

    public static IEnumerable<SimdWidth> VectorWidths() => SimdDispatch.Available.Where(w => w != SimdWidth.Scalar);

    /// <summary>f(x) in double straight from the paper's formulas (independent of the library's code).</summary>
    public static double Reference(ActivationKind kind, int n, IReadOnlyDictionary<string, double[]> q, double x)
    {
        switch (kind)
        {
            case ActivationKind.Hermite:
            {
                // He_0 = 1, He_1 = x, He_{k+1} = x He_k - k He_{k-1}; phi_k = He_k / k!.
                var a = q["coefficients"];
                double he0 = 1, he1 = x, fact = 1, f = a[0] + a[1] * x;
                for (int k = 1; k < n; k++)
                {
                    double he2 = x * he1 - k * he0;
                    fact *= k + 1;
                    f += a[k + 1] * he2 / fact;
                    he0 = he1; he1 = he2;
                }
                return f;
            }
            case ActivationKind.Fourier:
            {
                double f = q["fundamental"][0], fact = 1;
                for (int k = 1; k <= n; k++)
                {
                    fact *= k;
                    f += q["coefficients"][k - 1] * Math.Cos(q["grid"][k - 1] * x - q["phases"][k - 1]) / fact;
                }
                return f;
            }
            case ActivationKind.Tropical:
            {
                double best = double.NegativeInfinity;
                for (int k = 0; k <= n; k++) best = Math.Max(best, k * x + q["coefficients"][k]);
                return Math.Sqrt(2) / n * best;
            }
            default:
            {
                double num = double.NegativeInfinity, den = double.NegativeInfinity;
                for (int k = 0; k <= n; k++)
                {
                    num = Math.Max(num, q["powers_num"][k] * x + q["coefficients_num"][k]);
                    den = Math.Max(den, q["powers_denom"][k] * x + q["coefficients_denom"][k]);
                }
                return num - den;
            }
        }
    }

    public static Dictionary<string, double[]> ToDouble(ActivationParameters p) =>
        p.Names.ToDictionary(n => n, n => p[n].Select(v => (double)v).ToArray());
}
