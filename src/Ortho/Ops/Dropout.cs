namespace Ortho;

public static partial class Functional
{
    /// <summary>Zeroes elements with probability <paramref name="p"/> and scales the rest by 1/(1-p) when training.</summary>
    public static Tensor Dropout(Tensor x, float p, bool training, Rng rng)
    {
        if (p < 0 || p >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1).");
        if (!training || p == 0) return x;
        var mask = Tensor.Empty(x.Shape);
        var md = mask.Data;
        rng.FillUniform(md);
        float scale = 1f / (1f - p);
        for (int i = 0; i < md.Length; i++) md[i] = md[i] >= p ? scale : 0f;
        return x * mask;
    }
}
