using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ortho.Kernels.Simd;

/// <summary>Vector128 (SSE / NEON): 4 lanes.</summary>
internal readonly unsafe struct Simd128 : ISimd<Vector128<float>>
{
    public static int Count => 4;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Splat(float x) => Vector128.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector128<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MaskLoad(float* p, Vector128<float> mask) =>
        Avx.IsSupported ? Avx.MaskLoad(p, mask) : SimdFallback.MaskLoad<Vector128<float>, Simd128>(p, mask);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MaskStore(float* p, Vector128<float> mask, Vector128<float> v)
    {
        if (Avx.IsSupported) Avx.MaskStore(p, mask, v);
        else SimdFallback.MaskStore<Vector128<float>, Simd128>(p, mask, v);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> FirstLanes(int count) => Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sub(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Mul(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Div(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Neg(Vector128<float> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Abs(Vector128<float> a) => Vector128.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sqrt(Vector128<float> a) => Vector128.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MulAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MulSub(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, -c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Min(Vector128<float> a, Vector128<float> b) => Vector128.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MaxNative(Vector128<float> a, Vector128<float> b) => Vector128.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MinNative(Vector128<float> a, Vector128<float> b) => Vector128.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> LessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Equal(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Select(Vector128<float> mask, Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> And(Vector128<float> a, Vector128<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Xor(Vector128<float> a, Vector128<float> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> FromBits(int bits) => Vector128.Create(bits).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ShiftLeftBits(Vector128<float> a, int shift) => Vector128.ShiftLeft(a.AsInt32(), shift).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ShiftRightArithmeticBits(Vector128<float> a, int shift) => Vector128.ShiftRightArithmetic(a.AsInt32(), shift).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> AddBits(Vector128<float> a, Vector128<float> b) => (a.AsInt32() + b.AsInt32()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> SubBits(Vector128<float> a, Vector128<float> b) => (a.AsInt32() - b.AsInt32()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> RoundRemainder(Vector128<float> a) =>
        Avx512DQ.VL.IsSupported ? Avx512DQ.VL.Reduce(a, 0) : a - (a + Vector128.Create(SimdFallback.RoundMagic) - Vector128.Create(SimdFallback.RoundMagic));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Lookup32(float* table, Vector128<float> index)
    {
        Vector128<int> i = index.AsInt32() & Vector128.Create(31);
        return Vector128.Create(table[i.GetElement(0)], table[i.GetElement(1)], table[i.GetElement(2)], table[i.GetElement(3)]);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyGreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThanAny(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyLessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThanAny(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AllLessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThanAll(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> a) => Vector128.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxLanes(Vector128<float> a)
    {
        return MathF.Max(MathF.Max(a[0], a[1]), MathF.Max(a[2], a[3]));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void WithDouble<TJob>(ref TJob job) where TJob : struct, IDoubleJob<Vector128<float>> => job.Run<Vector128<double>, Doubles>();

    /// <summary>The double-precision lanes of <see cref="Simd128"/>.</summary>
    internal readonly struct Doubles : ISimdDouble<Vector128<float>, Vector128<double>>
    {
        public static Vector128<double> Zero => Vector128<double>.Zero;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Splat(double x) => Vector128.Create(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Widen(Vector128<float> x, out Vector128<double> lo, out Vector128<double> hi) => (lo, hi) = Vector128.Widen(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Narrow(Vector128<double> lo, Vector128<double> hi) => Vector128.Narrow(lo, hi);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Add(Vector128<double> a, Vector128<double> b) => a + b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Mul(Vector128<double> a, Vector128<double> b) => a * b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Fma(Vector128<double> a, Vector128<double> b, Vector128<double> c) => Vector128.FusedMultiplyAdd(a, b, c);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<double> Round(Vector128<double> a) => Vector128.Round(a);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Sum(Vector128<double> a) => Vector128.Sum(a);
    }
}
