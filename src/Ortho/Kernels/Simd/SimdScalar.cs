using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ortho.Kernels.Simd;

/// <summary>A "vector" of one float: the scalar reference path and the tail of every vector loop.</summary>
internal readonly unsafe struct SimdScalar : ISimd<float>
{
    private static float AllBits => BitConverter.Int32BitsToSingle(-1);

    public static int Count => 1;
    public static float Zero => 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Splat(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* p, float v) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaskLoad(float* p, float mask) => Bits(mask) != 0 ? *p : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MaskStore(float* p, float mask, float v)
    {
        if (Bits(mask) != 0) *p = v;
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float FirstLanes(int count) => count > 0 ? AllBits : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sub(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Mul(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Div(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Neg(float a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Abs(float a) => MathF.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sqrt(float a) => MathF.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Fma(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MulAdd(float a, float b, float c) => float.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MulSub(float a, float b, float c) => float.MultiplyAddEstimate(a, b, -c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float a, float b) => MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Min(float a, float b) => MathF.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxNative(float a, float b) => a > b ? a : b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MinNative(float a, float b) => a < b ? a : b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float GreaterThan(float a, float b) => a > b ? AllBits : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LessThan(float a, float b) => a < b ? AllBits : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Equal(float a, float b) => a == b ? AllBits : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Select(float mask, float a, float b) => Float((Bits(mask) & Bits(a)) | (~Bits(mask) & Bits(b)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float And(float a, float b) => Float(Bits(a) & Bits(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Xor(float a, float b) => Float(Bits(a) ^ Bits(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float FromBits(int bits) => Float(bits);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ShiftLeftBits(float a, int shift) => Float(Bits(a) << shift);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ShiftRightArithmeticBits(float a, int shift) => Float(Bits(a) >> shift);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float AddBits(float a, float b) => Float(Bits(a) + Bits(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SubBits(float a, float b) => Float(Bits(a) - Bits(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float RoundRemainder(float a) =>
        Avx512DQ.IsSupported ? Avx512DQ.ReduceScalar(Vector128.CreateScalarUnsafe(a), 0).ToScalar() : a - (a + SimdFallback.RoundMagic - SimdFallback.RoundMagic);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Lookup32(float* table, float index) => table[Bits(index) & 31];
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyGreaterThan(float a, float b) => a > b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyLessThan(float a, float b) => a < b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AllLessThan(float a, float b) => a < b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(float a) => a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxLanes(float a) => a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void WithDouble<TJob>(ref TJob job) where TJob : struct, IDoubleJob<float> => job.Run<double, Doubles>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static int Bits(float x) => BitConverter.SingleToInt32Bits(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static float Float(int bits) => BitConverter.Int32BitsToSingle(bits);

    /// <summary>The double-precision lane of <see cref="SimdScalar"/>: the value, and 0 as the (absent) upper half.</summary>
    internal readonly struct Doubles : ISimdDouble<float, double>
    {
        public static double Zero => 0;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Splat(double x) => x;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Widen(float x, out double lo, out double hi)
        {
            lo = x;
            hi = 0;
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Narrow(double lo, double hi) => (float)lo;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Add(double a, double b) => a + b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Mul(double a, double b) => a * b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Fma(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Round(double a) => Math.Round(a, MidpointRounding.ToEven);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Sum(double a) => a;
    }
}
