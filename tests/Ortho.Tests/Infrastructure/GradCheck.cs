using Ortho;
using Xunit.Sdk;

namespace Ortho.Tests.Infrastructure;

/// <summary>
/// Central finite-difference checks of our backward against our forward. The probe loss is sum(y * r) for a
/// fixed random r, accumulated in double; float forward evaluations limit the step to ~1e-2, hence the tolerances.
/// </summary>
public static class GradCheck
{
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double h = 1e-2, double atol = 2e-3, double rtol = 1e-2, ulong seed = 7)
    {
        foreach (var t in inputs) { t.RequiresGrad = true; t.Grad = null; }
        var y = f(inputs);
        var r = Tensor.RandN(new Rng(seed), y.Shape);
        (y * r).Sum().Backward();
        var analytic = inputs.Select(t => t.Grad?.ToArray() ?? new float[t.Length]).ToArray();

        using var _ = Tensor.NoGrad();
        double Loss()
        {
            var yy = f(inputs).Data;
            var rr = r.Data;
            double acc = 0;
            for (int i = 0; i < yy.Length; i++) acc += (double)yy[i] * rr[i];
            return acc;
        }
        for (int k = 0; k < inputs.Length; k++)
        {
            var d = inputs[k].Data;
            for (int i = 0; i < d.Length; i++)
            {
                float orig = d[i];
                d[i] = (float)(orig + h); double plus = Loss();
                d[i] = (float)(orig - h); double minus = Loss();
                d[i] = orig;
                double num = (plus - minus) / (2 * h);
                double an = analytic[k][i];
                if (!(Math.Abs(an - num) <= atol + rtol * Math.Abs(num)))
                    throw new XunitException($"grad of input {k} [{i}]: analytic {an:G6}, numeric {num:G6}");
            }
        }
    }
}
