using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ortho.Kernels.Tiles;

/// <summary>
/// A float vector "ISA" the tile kernels are written against once: a struct implementing this is passed as a
/// generic argument, and the JIT specializes and inlines every call (TensorPrimitives' operator pattern).
/// Three implementations: <see cref="F512"/> (Vector512), <see cref="F256"/> (Vector256) and <see cref="F1"/> (scalar).
/// </summary>
internal unsafe interface ISimdF<TV> where TV : unmanaged
{
    static abstract int Width { get; }
    static abstract TV Zero { get; }
    static abstract TV Splat(float x);
    static abstract TV Load(float* p);
    static abstract void Store(float* p, TV v);
    static abstract TV Add(TV a, TV b);
    static abstract TV Sub(TV a, TV b);
    static abstract TV Mul(TV a, TV b);
    /// <summary>a * b + c (fused where the hardware has FMA for this width).</summary>
    static abstract TV Fma(TV a, TV b, TV c);
    static abstract TV Max(TV a, TV b);
    static abstract TV Exp(TV a);
    static abstract float Sum(TV a);
    static abstract float HMax(TV a);
    /// <summary>A lane mask with the first <paramref name="count"/> lanes set (0 &lt; count &lt; Width).</summary>
    static abstract TV FirstLanes(int count);
    /// <summary>mask ? a : b per lane.</summary>
    static abstract TV Select(TV mask, TV a, TV b);
}

internal unsafe struct F512 : ISimdF<Vector512<float>>
{
    public static int Width => 16;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Splat(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sub(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Exp(Vector512<float> a) => FastExp.Exp512(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> a) => Vector512.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HMax(Vector512<float> a)
    {
        var h = Vector256.Max(a.GetLower(), a.GetUpper());
        var q = Vector128.Max(h.GetLower(), h.GetUpper());
        return MathF.Max(MathF.Max(q[0], q[1]), MathF.Max(q[2], q[3]));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> FirstLanes(int count) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Select(Vector512<float> mask, Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(mask, a, b);
}

internal unsafe struct F256 : ISimdF<Vector256<float>>
{
    public static int Width => 8;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Splat(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Exp(Vector256<float> a) => FastExp.Exp256(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> a) => Vector256.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HMax(Vector256<float> a)
    {
        var q = Vector128.Max(a.GetLower(), a.GetUpper());
        return MathF.Max(MathF.Max(q[0], q[1]), MathF.Max(q[2], q[3]));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> FirstLanes(int count) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Select(Vector256<float> mask, Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(mask, a, b);
}

/// <summary>Scalar fallback: a "vector" of one float; plain multiply-add (no software-emulated FMA).</summary>
internal unsafe struct F1 : ISimdF<float>
{
    public static int Width => 1;
    public static float Zero => 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Splat(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, float v) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sub(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Mul(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Fma(float a, float b, float c) => a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float a, float b) => MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Exp(float a) => MathF.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(float a) => a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float HMax(float a) => a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float FirstLanes(int count) => count > 0 ? 1f : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Select(float mask, float a, float b) => mask != 0f ? a : b;
}

/// <summary>
/// exp(x) for float vectors in about a dozen instructions (the library's Vector512.Exp widens to double and
/// costs about twice the score products it serves in attention). exp(x) = 2^n * e^r with n = round(x / ln 2),
/// r = x - n ln 2 (two-part ln 2, |r| &lt;= ln2 / 2), e^r by its degree-6 Taylor polynomial (truncation error
/// below 1.2e-7 relative), 2^n added to the exponent bits. Inputs are clamped to [-87, 88]: results below
/// about 1.6e-38 are not exact zeros (callers zero masked entries explicitly) and NaN inputs are not propagated.
/// </summary>
internal static class FastExp
{
    private const float Log2E = 1.44269504f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f, Round = 12582912f; // 1.5 * 2^23

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp512(Vector512<float> x)
    {
        x = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(-87f)), Vector512.Create(88f));
        Vector512<float> t = Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), Vector512.Create(Round));
        Vector512<float> n = t - Vector512.Create(Round);
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        Vector512<float> p = Vector512.Create(1f / 720f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f));
        Vector512<int> e = Vector512.ShiftLeft(t.AsInt32() - Vector512.Create(0x4B400000), 23);
        return (p.AsInt32() + e).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp256(Vector256<float> x)
    {
        x = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(-87f)), Vector256.Create(88f));
        Vector256<float> t = Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), Vector256.Create(Round));
        Vector256<float> n = t - Vector256.Create(Round);
        Vector256<float> r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        Vector256<float> p = Vector256.Create(1f / 720f);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 120f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 24f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 6f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f));
        Vector256<int> e = Vector256.ShiftLeft(t.AsInt32() - Vector256.Create(0x4B400000), 23);
        return (p.AsInt32() + e).AsSingle();
    }
}

/// <summary>Which vector width the tile kernels use on this machine.</summary>
internal enum SimdLevel { Scalar, V256, V512 }

internal static class TileSimd
{
    /// <summary>The widest hardware-accelerated float vector (Vector512, then Vector256, else scalar).</summary>
    public static SimdLevel Level =>
        Vector512.IsHardwareAccelerated ? SimdLevel.V512 :
        Vector256.IsHardwareAccelerated ? SimdLevel.V256 : SimdLevel.Scalar;
}

/// <summary>
/// Small row operations over float runs, written once against <see cref="ISimdF{TV}"/>. The softmax helpers treat
/// the last partial vector with a lane mask, so their rows must be readable and writable up to n rounded up to
/// the vector width (the attention tiles are 64 floats wide); masked lanes may hold any bits, NaN included.
/// </summary>
internal static unsafe class RowOps<TS, TV> where TS : struct, ISimdF<TV> where TV : unmanaged
{
    /// <summary>Maximum of p[0..n), n &gt;= 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max(float* p, int n)
    {
        int w = TS.Width, j = 0;
        TV ninf = TS.Splat(float.NegativeInfinity), vm = ninf;
        for (; j + w <= n; j += w) vm = TS.Max(vm, TS.Load(p + j));
        if (j < n) vm = TS.Max(vm, TS.Select(TS.FirstLanes(n - j), TS.Load(p + j), ninf));
        return TS.HMax(vm);
    }

    /// <summary>p[j] = exp(p[j] * scale - shift) for j &lt; n, returning the sum; p[n..zeroTo) = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ExpScaleShift(float* p, int n, int zeroTo, float scale, float shift)
    {
        int w = TS.Width, j = 0;
        TV vs = TS.Zero, vsc = TS.Splat(scale), vsh = TS.Splat(-shift);
        for (; j + w <= n; j += w)
        {
            TV e = TS.Exp(TS.Fma(TS.Load(p + j), vsc, vsh));
            TS.Store(p + j, e);
            vs = TS.Add(vs, e);
        }
        if (j < n)
        {
            TV e = TS.Select(TS.FirstLanes(n - j), TS.Exp(TS.Fma(TS.Load(p + j), vsc, vsh)), TS.Zero);
            TS.Store(p + j, e);
            vs = TS.Add(vs, e);
            j += w;
        }
        ZeroFrom(p, j, zeroTo);
        return TS.Sum(vs);
    }

    /// <summary>p[j] = exp(p[j] * scale - shift) for j &lt; n; p[n..zeroTo) = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ExpScaleShiftNoSum(float* p, int n, int zeroTo, float scale, float shift)
    {
        int w = TS.Width, j = 0;
        TV vsc = TS.Splat(scale), vsh = TS.Splat(-shift);
        for (; j + w <= n; j += w) TS.Store(p + j, TS.Exp(TS.Fma(TS.Load(p + j), vsc, vsh)));
        if (j < n)
        {
            TS.Store(p + j, TS.Select(TS.FirstLanes(n - j), TS.Exp(TS.Fma(TS.Load(p + j), vsc, vsh)), TS.Zero));
            j += w;
        }
        ZeroFrom(p, j, zeroTo);
    }

    /// <summary>d[j] = p[j] * (d[j] - sub) * scale for j &lt; n; d[n..zeroTo) = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SoftmaxGrad(float* d, float* p, int n, int zeroTo, float sub, float scale)
    {
        int w = TS.Width, j = 0;
        TV vsub = TS.Splat(sub), vsc = TS.Splat(scale);
        for (; j + w <= n; j += w) TS.Store(d + j, TS.Mul(TS.Mul(TS.Load(p + j), TS.Sub(TS.Load(d + j), vsub)), vsc));
        if (j < n)
        {
            TV v = TS.Mul(TS.Mul(TS.Load(p + j), TS.Sub(TS.Load(d + j), vsub)), vsc);
            TS.Store(d + j, TS.Select(TS.FirstLanes(n - j), v, TS.Zero));
            j += w;
        }
        ZeroFrom(d, j, zeroTo);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ZeroFrom(float* p, int j, int end)
    {
        int w = TS.Width;
        for (; j + w <= end; j += w) TS.Store(p + j, TS.Zero);
        for (; j < end; j++) p[j] = 0f;
    }

    /// <summary>p[j] *= s for j &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scale(float* p, int n, float s)
    {
        int w = TS.Width, j = 0;
        TV vs = TS.Splat(s);
        for (; j + w <= n; j += w) TS.Store(p + j, TS.Mul(TS.Load(p + j), vs));
        for (; j < n; j++) p[j] *= s;
    }

    /// <summary>dst[j] = src[j] * s for j &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleTo(float* dst, float* src, int n, float s)
    {
        int w = TS.Width, j = 0;
        TV vs = TS.Splat(s);
        for (; j + w <= n; j += w) TS.Store(dst + j, TS.Mul(TS.Load(src + j), vs));
        for (; j < n; j++) dst[j] = src[j] * s;
    }

    /// <summary>dst[j] += src[j] for j &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddTo(float* dst, float* src, int n)
    {
        int w = TS.Width, j = 0;
        for (; j + w <= n; j += w) TS.Store(dst + j, TS.Add(TS.Load(dst + j), TS.Load(src + j)));
        for (; j < n; j++) dst[j] += src[j];
    }

    /// <summary>Sum of a[j] * b[j] for j &lt; n, two accumulators then a fixed-order combine.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* a, float* b, int n)
    {
        int w = TS.Width, j = 0;
        TV s0 = TS.Zero, s1 = TS.Zero;
        for (; j + 2 * w <= n; j += 2 * w)
        {
            s0 = TS.Fma(TS.Load(a + j), TS.Load(b + j), s0);
            s1 = TS.Fma(TS.Load(a + j + w), TS.Load(b + j + w), s1);
        }
        for (; j + w <= n; j += w) s0 = TS.Fma(TS.Load(a + j), TS.Load(b + j), s0);
        float s = TS.Sum(TS.Add(s0, s1));
        for (; j < n; j++) s += a[j] * b[j];
        return s;
    }
}
