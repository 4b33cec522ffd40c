using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Ortho.Activations;

/// <summary>Which vector width an activation kernel runs with (internal: tests force each path).</summary>
internal enum SimdWidth
{
    /// <summary>The widest accelerated width of this machine.</summary>
    Auto = 0,
    /// <summary>One float at a time (the reference path and the tail of every vector path).</summary>
    Scalar = 1,
    /// <summary>Vector128 (SSE / NEON).</summary>
    V128 = 4,
    /// <summary>Vector256 (AVX2).</summary>
    V256 = 8,
    /// <summary>Vector512 (AVX-512).</summary>
    V512 = 16,
}

internal static class SimdSupport
{
    /// <summary>The widest hardware-accelerated width.</summary>
    public static SimdWidth Best =>
        Vector512.IsHardwareAccelerated ? SimdWidth.V512 :
        Vector256.IsHardwareAccelerated ? SimdWidth.V256 :
        Vector128.IsHardwareAccelerated ? SimdWidth.V128 : SimdWidth.Scalar;

    public static SimdWidth Resolve(SimdWidth w) => w == SimdWidth.Auto ? Best : w;
}

/// <summary>
/// The few float-vector operations the activation kernels need, as static abstract members so a kernel
/// written once as a generic method over (TV, TS) is specialized by the JIT for Vector512, Vector256,
/// Vector128 and plain float (TensorPrimitives' operator-struct pattern). Masks are vectors with all
/// bits set in the selected lanes.
/// </summary>
internal unsafe interface ISimd<TV> where TV : unmanaged
{
    static abstract int Count { get; }
    static abstract TV Load(float* p);
    static abstract void Store(float* p, TV v);
    static abstract TV Splat(float s);
    static abstract TV Add(TV a, TV b);
    static abstract TV Sub(TV a, TV b);
    static abstract TV Mul(TV a, TV b);
    /// <summary>a*b + c (fused where the hardware has FMA).</summary>
    static abstract TV Fma(TV a, TV b, TV c);
    /// <summary>a*b - c (fused where the hardware has FMA).</summary>
    static abstract TV Fms(TV a, TV b, TV c);
    static abstract TV Max(TV a, TV b);
    static abstract TV Abs(TV a);
    /// <summary>Round to nearest, ties to even.</summary>
    static abstract TV Round(TV a);
    static abstract TV GreaterThan(TV a, TV b);
    static abstract TV Equal(TV a, TV b);
    /// <summary>mask ? a : b, lane by lane.</summary>
    static abstract TV Select(TV mask, TV a, TV b);
    static abstract TV And(TV a, TV b);
    static abstract TV Xor(TV a, TV b);
    /// <summary>Bits of each lane as Int32, shifted left.</summary>
    static abstract TV ShiftLeftBits(TV a, int shift);
    /// <summary>Bits of each lane as Int32, shifted right arithmetically (sign-filling).</summary>
    static abstract TV ShiftRightArithmeticBits(TV a, int shift);
    static abstract TV FromBits(int bits);
    static abstract bool AnyGreaterThan(TV a, TV b);
    /// <summary>Sum of the lanes in double, in a fixed order (deterministic).</summary>
    static abstract double SumToDouble(TV v);
    /// <summary>
    /// x = q pi/2 + r in double precision (q = round(2x/pi) returned integral-valued, r rounded to float once):
    /// accurate for |q| &lt; 2^22 whatever the magnitude of r.
    /// </summary>
    static abstract TV ReduceHalfPi(TV x, out TV q);
}

/// <summary>Constants of the double-precision argument reduction.</summary>
internal static class HalfPi
{
    public const double TwoOverPi = 2.0 / Math.PI;
    /// <summary>pi/2 rounded to double.</summary>
    public const double P1 = Math.PI / 2;
    /// <summary>pi/2 - P1 (= cos(P1) to double precision).</summary>
    public static readonly double P2 = Math.Cos(P1);
}

internal static class FmaSupport
{
    /// <summary>True where Vector FusedMultiplyAdd is a single hardware instruction.</summary>
    public static bool Hardware => Fma.IsSupported || AdvSimd.IsSupported;
}

internal unsafe struct Simd512 : ISimd<Vector512<float>>
{
    public static int Count => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Splat(float s) => Vector512.Create(s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sub(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Fms(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.IsSupported ? Avx512F.FusedMultiplySubtract(a, b, c) : Vector512.FusedMultiplyAdd(a, b, -c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Round(Vector512<float> a) => Vector512.Round(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GreaterThan(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Equal(Vector512<float> a, Vector512<float> b) => Vector512.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Select(Vector512<float> m, Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(m, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> And(Vector512<float> a, Vector512<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Xor(Vector512<float> a, Vector512<float> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ShiftLeftBits(Vector512<float> a, int s) => Vector512.ShiftLeft(a.AsInt32(), s).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ShiftRightArithmeticBits(Vector512<float> a, int s) => Vector512.ShiftRightArithmetic(a.AsInt32(), s).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> FromBits(int bits) => Vector512.Create(bits).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyGreaterThan(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThanAny(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumToDouble(Vector512<float> v)
    {
        var (lo, hi) = Vector512.Widen(v);
        return Vector512.Sum(lo + hi);
    }
    public static Vector512<float> ReduceHalfPi(Vector512<float> x, out Vector512<float> q)
    {
        var (lo, hi) = Vector512.Widen(x);
        Vector512<double> t = Vector512.Create(HalfPi.TwoOverPi), p1 = Vector512.Create(-HalfPi.P1), p2 = Vector512.Create(-HalfPi.P2);
        Vector512<double> qlo = Vector512.Round(lo * t), qhi = Vector512.Round(hi * t);
        Vector512<double> rlo = Vector512.FusedMultiplyAdd(qlo, p2, Vector512.FusedMultiplyAdd(qlo, p1, lo));
        Vector512<double> rhi = Vector512.FusedMultiplyAdd(qhi, p2, Vector512.FusedMultiplyAdd(qhi, p1, hi));
        q = Vector512.Narrow(qlo, qhi);
        return Vector512.Narrow(rlo, rhi);
    }
}

internal unsafe struct Simd256 : ISimd<Vector256<float>>
{
    public static int Count => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Splat(float s) => Vector256.Create(s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => FmaSupport.Hardware ? Vector256.FusedMultiplyAdd(a, b, c) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Fms(Vector256<float> a, Vector256<float> b, Vector256<float> c) => System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplySubtract(a, b, c) : FmaSupport.Hardware ? Vector256.FusedMultiplyAdd(a, b, -c) : a * b - c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Round(Vector256<float> a) => Vector256.Round(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Equal(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Select(Vector256<float> m, Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(m, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Xor(Vector256<float> a, Vector256<float> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ShiftLeftBits(Vector256<float> a, int s) => Vector256.ShiftLeft(a.AsInt32(), s).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ShiftRightArithmeticBits(Vector256<float> a, int s) => Vector256.ShiftRightArithmetic(a.AsInt32(), s).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> FromBits(int bits) => Vector256.Create(bits).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyGreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThanAny(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumToDouble(Vector256<float> v)
    {
        var (lo, hi) = Vector256.Widen(v);
        return Vector256.Sum(lo + hi);
    }
    public static Vector256<float> ReduceHalfPi(Vector256<float> x, out Vector256<float> q)
    {
        var (lo, hi) = Vector256.Widen(x);
        Vector256<double> t = Vector256.Create(HalfPi.TwoOverPi), p1 = Vector256.Create(-HalfPi.P1), p2 = Vector256.Create(-HalfPi.P2);
        Vector256<double> qlo = Vector256.Round(lo * t), qhi = Vector256.Round(hi * t);
        Vector256<double> rlo = Vector256.FusedMultiplyAdd(qlo, p2, Vector256.FusedMultiplyAdd(qlo, p1, lo));
        Vector256<double> rhi = Vector256.FusedMultiplyAdd(qhi, p2, Vector256.FusedMultiplyAdd(qhi, p1, hi));
        q = Vector256.Narrow(qlo, qhi);
        return Vector256.Narrow(rlo, rhi);
    }
}

internal unsafe struct Simd128 : ISimd<Vector128<float>>
{
    public static int Count => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector128<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Splat(float s) => Vector128.Create(s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sub(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Mul(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c) => FmaSupport.Hardware ? Vector128.FusedMultiplyAdd(a, b, c) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Fms(Vector128<float> a, Vector128<float> b, Vector128<float> c) => System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplySubtract(a, b, c) : FmaSupport.Hardware ? Vector128.FusedMultiplyAdd(a, b, -c) : a * b - c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Abs(Vector128<float> a) => Vector128.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Round(Vector128<float> a) => Vector128.Round(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Equal(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Select(Vector128<float> m, Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(m, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> And(Vector128<float> a, Vector128<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Xor(Vector128<float> a, Vector128<float> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ShiftLeftBits(Vector128<float> a, int s) => Vector128.ShiftLeft(a.AsInt32(), s).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ShiftRightArithmeticBits(Vector128<float> a, int s) => Vector128.ShiftRightArithmetic(a.AsInt32(), s).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> FromBits(int bits) => Vector128.Create(bits).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyGreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThanAny(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumToDouble(Vector128<float> v)
    {
        var (lo, hi) = Vector128.Widen(v);
        return Vector128.Sum(lo + hi);
    }
    public static Vector128<float> ReduceHalfPi(Vector128<float> x, out Vector128<float> q)
    {
        var (lo, hi) = Vector128.Widen(x);
        Vector128<double> t = Vector128.Create(HalfPi.TwoOverPi), p1 = Vector128.Create(-HalfPi.P1), p2 = Vector128.Create(-HalfPi.P2);
        Vector128<double> qlo = Vector128.Round(lo * t), qhi = Vector128.Round(hi * t);
        Vector128<double> rlo = Vector128.FusedMultiplyAdd(qlo, p2, Vector128.FusedMultiplyAdd(qlo, p1, lo));
        Vector128<double> rhi = Vector128.FusedMultiplyAdd(qhi, p2, Vector128.FusedMultiplyAdd(qhi, p1, hi));
        q = Vector128.Narrow(qlo, qhi);
        return Vector128.Narrow(rlo, rhi);
    }
}

/// <summary>The one-lane "vector": the scalar reference path and the tail of the vector paths.</summary>
internal unsafe struct SimdScalar : ISimd<float>
{
    public static int Count => 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, float v) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Splat(float s) => s;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sub(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Mul(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Fma(float a, float b, float c) => FmaSupport.Hardware ? MathF.FusedMultiplyAdd(a, b, c) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Fms(float a, float b, float c) => FmaSupport.Hardware ? MathF.FusedMultiplyAdd(a, b, -c) : a * b - c;
    // Max as the vector instructions do it lane-wise for ordinary numbers; NaN propagates like Vector.Max.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float a, float b) => MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Abs(float a) => MathF.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Round(float a) => MathF.Round(a, MidpointRounding.ToEven);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float GreaterThan(float a, float b) => a > b ? AllBits : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Equal(float a, float b) => a == b ? AllBits : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Select(float m, float a, float b) => BitConverter.SingleToInt32Bits(m) != 0 ? a : b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float And(float a, float b) => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) & BitConverter.SingleToInt32Bits(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Xor(float a, float b) => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) ^ BitConverter.SingleToInt32Bits(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ShiftLeftBits(float a, int s) => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) << s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ShiftRightArithmeticBits(float a, int s) => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) >> s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float FromBits(int bits) => BitConverter.Int32BitsToSingle(bits);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyGreaterThan(float a, float b) => a > b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double SumToDouble(float v) => v;
    public static float ReduceHalfPi(float x, out float q)
    {
        double qd = Math.Round(x * HalfPi.TwoOverPi);
        q = (float)qd;
        return (float)Math.FusedMultiplyAdd(qd, -HalfPi.P2, Math.FusedMultiplyAdd(qd, -HalfPi.P1, x));
    }

    private static float AllBits => BitConverter.Int32BitsToSingle(-1);
}

/// <summary>A compile-time boolean for generic kernel variants (the JIT removes the dead branch).</summary>
internal interface IFlag
{
    static abstract bool On { get; }
}

/// <summary>The true <see cref="IFlag"/>.</summary>
internal struct Yes : IFlag
{
    public static bool On => true;
}

/// <summary>The false <see cref="IFlag"/>.</summary>
internal struct No : IFlag
{
    public static bool On => false;
}

internal static unsafe class SimdHelpers
{
    /// <summary>max |x[i]| (NaN if any element is NaN).</summary>
    public static float MaxAbs<TV, TS>(float* x, int count) where TV : unmanaged where TS : ISimd<TV>
    {
        int i = 0;
        float m = 0;
        if (count >= TS.Count)
        {
            TV acc = TS.Abs(TS.Load(x));
            for (i = TS.Count; i <= count - TS.Count; i += TS.Count) acc = TS.Max(acc, TS.Abs(TS.Load(x + i)));
            float* lanes = stackalloc float[TS.Count];
            TS.Store(lanes, acc);
            for (int j = 0; j < TS.Count; j++) m = MathF.Max(m, lanes[j]);
        }
        for (; i < count; i++) m = MathF.Max(m, MathF.Abs(x[i]));
        return m;
    }
}
