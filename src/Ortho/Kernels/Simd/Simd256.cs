using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ortho.Kernels.Simd;

/// <summary>Vector256 (AVX2): 8 lanes. Dispatched only where AVX2 is accelerated, which implies FMA: MulAdd and MulSub are fused.</summary>
internal readonly unsafe struct Simd256 : ISimd<Vector256<float>>
{
    public static int Count => 8;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Splat(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MaskLoad(float* p, Vector256<float> mask) => Avx.MaskLoad(p, mask);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void MaskStore(float* p, Vector256<float> mask, Vector256<float> v) => Avx.MaskStore(p, mask, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> FirstLanes(int count) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Div(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Neg(Vector256<float> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MulSub(Vector256<float> a, Vector256<float> b, Vector256<float> c) => System.Runtime.Intrinsics.X86.Fma.MultiplySubtract(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MaxNative(Vector256<float> a, Vector256<float> b) => Vector256.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MinNative(Vector256<float> a, Vector256<float> b) => Vector256.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Equal(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Select(Vector256<float> mask, Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Xor(Vector256<float> a, Vector256<float> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> FromBits(int bits) => Vector256.Create(bits).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ShiftLeftBits(Vector256<float> a, int shift) => Vector256.ShiftLeft(a.AsInt32(), shift).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ShiftRightArithmeticBits(Vector256<float> a, int shift) => Vector256.ShiftRightArithmetic(a.AsInt32(), shift).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> AddBits(Vector256<float> a, Vector256<float> b) => (a.AsInt32() + b.AsInt32()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> SubBits(Vector256<float> a, Vector256<float> b) => (a.AsInt32() - b.AsInt32()).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> RoundRemainder(Vector256<float> a) =>
        Avx512DQ.VL.IsSupported ? Avx512DQ.VL.Reduce(a, 0) : a - (a + Vector256.Create(SimdFallback.RoundMagic) - Vector256.Create(SimdFallback.RoundMagic));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Lookup32(float* table, Vector256<float> index)
    {
        Vector256<int> i = index.AsInt32();
        if (Avx512F.VL.IsSupported)
        {
            // Two 16-entry permutes (4 index bits), then bit 4 picks the half.
            Vector256<float> lo = Avx512F.VL.PermuteVar8x32x2(Vector256.Load(table), i, Vector256.Load(table + 8));
            Vector256<float> hi = Avx512F.VL.PermuteVar8x32x2(Vector256.Load(table + 16), i, Vector256.Load(table + 24));
            return Avx.BlendVariable(lo, hi, Vector256.ShiftLeft(i, 27).AsSingle());
        }
        // Four 8-entry permutes (3 index bits), then bits 3 and 4 pick the quarter (the blend reads each mask's sign bit).
        Vector256<float> q0 = Avx2.PermuteVar8x32(Vector256.Load(table), i), q1 = Avx2.PermuteVar8x32(Vector256.Load(table + 8), i);
        Vector256<float> q2 = Avx2.PermuteVar8x32(Vector256.Load(table + 16), i), q3 = Avx2.PermuteVar8x32(Vector256.Load(table + 24), i);
        Vector256<float> bit3 = Vector256.ShiftLeft(i, 28).AsSingle();
        return Avx.BlendVariable(Avx.BlendVariable(q0, q1, bit3), Avx.BlendVariable(q2, q3, bit3), Vector256.ShiftLeft(i, 27).AsSingle());
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyGreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThanAny(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyLessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThanAny(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AllLessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThanAll(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> a) => Vector256.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxLanes(Vector256<float> a)
    {
        Vector128<float> q = Vector128.Max(a.GetLower(), a.GetUpper());
        return MathF.Max(MathF.Max(q[0], q[1]), MathF.Max(q[2], q[3]));
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void WithDouble<TJob>(ref TJob job) where TJob : struct, IDoubleJob<Vector256<float>> => job.Run<Vector256<double>, Doubles>();

    /// <summary>The double-precision lanes of <see cref="Simd256"/>.</summary>
    internal readonly struct Doubles : ISimdDouble<Vector256<float>, Vector256<double>>
    {
        public static Vector256<double> Zero => Vector256<double>.Zero;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Splat(double x) => Vector256.Create(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Widen(Vector256<float> x, out Vector256<double> lo, out Vector256<double> hi) => (lo, hi) = Vector256.Widen(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Narrow(Vector256<double> lo, Vector256<double> hi) => Vector256.Narrow(lo, hi);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Mul(Vector256<double> a, Vector256<double> b) => a * b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Round(Vector256<double> a) => Vector256.Round(a);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Sum(Vector256<double> a) => Vector256.Sum(a);
    }
}
