using Ortho;
using Ortho.Activations;
using Xunit;

namespace Ortho.Tests.Activations;

/// <summary>
/// The built-in families declare <see cref="ActivationFamily.BackwardInPlace"/>: their backward must give the same
/// input and parameter gradients with dx and dy one buffer as with two, since the tape then computes dx over dy.
/// </summary>
public class ActivationInPlaceTests
{
    [Theory]
    [InlineData("hermite:3", true)]
    [InlineData("hermite:6", true)]
    [InlineData("hermite:4+clamp", true)]
    [InlineData("fourier:5", true)]  // learned frequencies: the general path
    [InlineData("fourier:5", false)] // harmonic frequencies at init: the recurrence path
    [InlineData("tropical:5", true)]
    [InlineData("tropical_rational:3", true)]
    public void BackwardInPlaceEqualsTwoBuffers(string spec, bool perturb)
    {
        var s = ActivationSpec.Parse(spec);
        var family = s.Family;
        Assert.True(family.BackwardInPlace);
        IParameterSpans p = family.Initial(s.Degree, new Rng(7));
        // Move every parameter off its initial value (for Fourier, off the harmonic frequencies) so the general paths run.
        var rng = new Rng(8);
        for (int i = 0; perturb && i < family.Parameters.Count; i++)
            foreach (ref float v in p[i]) v += 0.1f * ((float)rng.NextDouble() - 0.5f);
        int n = 100_003; // several parallel blocks and a scalar tail
        var x = new float[n];
        new Rng(9).FillNormal(x, 0f, 1.5f);
        var dy = new float[n];
        new Rng(10).FillNormal(dy, 0f, 1f);

        var dx = new float[n];
        IParameterSpans g1 = Zeros(family, s.Degree);
        family.Backward(dx, g1, x, dy, p, s.Degree, needDx: true, accumulateDx: false);

        var inPlace = (float[])dy.Clone();
        IParameterSpans g2 = Zeros(family, s.Degree);
        family.Backward(inPlace, g2, x, inPlace, p, s.Degree, needDx: true, accumulateDx: false);

        Assert.Equal(dx, inPlace);
        for (int i = 0; i < family.Parameters.Count; i++) Assert.Equal(g1[i].ToArray(), g2[i].ToArray());
    }

    private static ActivationParameters Zeros(ActivationFamily family, int degree) => new(family, degree);
}
