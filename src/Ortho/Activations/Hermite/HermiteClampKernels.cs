using System.Runtime.CompilerServices;
using Ortho.Kernels;
using Ortho.Kernels.Simd;

namespace Ortho.Activations;

/// <summary>
/// torchortho's learnable soft clamp, applied to x before the Hermite basis when the activation is built with
/// <c>clamp=True</c>: s(x) = (sigmoid(x) - 1/2) 2L, L = <c>clamp.lim_val</c> (a learnable scalar, init sqrt(3)).
/// </summary>
/// <remarks>
/// The clamp has no kernels of its own: <see cref="HermiteKernels.ForwardClamped"/> and
/// <see cref="HermiteKernels.BackwardClamped"/> map x through it (<see cref="SoftClamp"/>) tile by tile inside the
/// Hermite kernel pass and chain its derivatives there (ds/dx = 2L sigma (1 - sigma), ds/dL = sigma - (1 - sigma)),
/// so a clamped activation reads x once and writes y once, like an unclamped one. This class holds the double
/// evaluation used by fitting, moments and checks.
/// </remarks>
public static class HermiteClampKernels
{
    /// <summary>s(x) and ds/dx in double precision (for evaluation, fitting and checks).</summary>
    public static double Evaluate(double x, double limit, out double derivative)
    {
        // e = exp(-|x|): sigma - (1 - sigma) = sign(x) (1 - e) / (1 + e), sigma (1 - sigma) = e / (1 + e)^2.
        double e = Math.Exp(-Math.Abs(x)), d = 1 + e;
        derivative = 2 * limit * e / (d * d);
        return Math.CopySign(limit * (1 - e) / d, x);
    }
}

/// <summary>
/// What the Hermite basis is evaluated at, as a type argument of the Hermite kernels (the operator-struct pattern):
/// x itself (<see cref="NoClamp"/>) or the soft clamp s(x) (<see cref="SoftClamp"/>). <see cref="IsIdentity"/> is a
/// constant of each instantiation: with it the kernels run their plain loops (the same machine code as without the
/// clamp); otherwise they map a tile of x to s (and ds/dx, ds/dL) with <see cref="Map{TV, TOps}(TV, TV)"/> and run the
/// same loops over the tile.
/// </summary>
internal interface IHermiteInput
{
    /// <summary>True when s = x: no chain rule, no limit gradient.</summary>
    static abstract bool IsIdentity { get; }

    /// <summary>s(x) per lane.</summary>
    static abstract TV Map<TV, TOps>(TV x, TV limit) where TV : unmanaged where TOps : struct, ISimd<TV>;

    /// <summary>s(x) per lane, with ds/dx and ds/dL.</summary>
    static abstract TV Map<TV, TOps>(TV x, TV limit, out TV dsdx, out TV dsdLimit) where TV : unmanaged where TOps : struct, ISimd<TV>;
}

/// <summary>s = x.</summary>
internal struct NoClamp : IHermiteInput
{
    public static bool IsIdentity => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Map<TV, TOps>(TV x, TV limit) where TV : unmanaged where TOps : struct, ISimd<TV> => x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Map<TV, TOps>(TV x, TV limit, out TV dsdx, out TV dsdLimit) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        dsdx = TOps.Splat(1f);
        dsdLimit = TOps.Zero;
        return x;
    }
}

/// <summary>
/// s = L (sigma - (1 - sigma)) with sigma and 1 - sigma each accurate in both tails (<see cref="VMath.SigmoidPair{TV, TOps}"/>,
/// the same bits at every width), so s saturates cleanly at +-L.
/// </summary>
internal struct SoftClamp : IHermiteInput
{
    public static bool IsIdentity => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Map<TV, TOps>(TV x, TV limit) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV sig = VMath.SigmoidPair<TV, TOps>(x, out TV c);
        return TOps.Mul(limit, TOps.Sub(sig, c));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Map<TV, TOps>(TV x, TV limit, out TV dsdx, out TV dsdLimit) where TV : unmanaged where TOps : struct, ISimd<TV>
    {
        TV sig = VMath.SigmoidPair<TV, TOps>(x, out TV c);
        dsdLimit = TOps.Sub(sig, c);                                          // 2 sigma - 1
        dsdx = TOps.Mul(TOps.Add(limit, limit), TOps.Mul(sig, c));           // 2L sigma (1 - sigma)
        return TOps.Mul(limit, dsdLimit);
    }
}
