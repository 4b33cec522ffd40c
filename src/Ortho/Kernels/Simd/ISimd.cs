namespace Ortho.Kernels.Simd;

/// <summary>
/// The float-vector operations every SIMD kernel of the engine is written against, once, as a generic method over
/// <c>(TV, TOps)</c>: a struct implementing this interface is passed as a type argument and the JIT specializes and
/// inlines every call (TensorPrimitives' operator-struct pattern). Implemented by <see cref="Simd512"/>
/// (<c>Vector512&lt;float&gt;</c>), <see cref="Simd256"/>, <see cref="Simd128"/> and <see cref="SimdScalar"/> (a
/// "vector" of one float: the reference path and the tail of every vector loop). Kernels pick the width through
/// <see cref="SimdDispatch"/>.
/// </summary>
/// <remarks>
/// <para>Every member computes the same thing at every width, lane by lane (the lane sums and lane maxima are
/// the exceptions that say so). In particular:</para>
/// <para><b>Fused multiply-add.</b> <see cref="Fma"/> is always fused (one rounding) at every width, emulated in
/// software where the hardware has no FMA (slow but exact: the error-free splits of the math functions need it).
/// <see cref="MulAdd"/> and <see cref="MulSub"/> are the fast forms: fused exactly when <see cref="FmaSupport.Hardware"/>,
/// otherwise a rounded product then a rounded sum, and that choice is the same for every width of a machine.</para>
/// <para><b>Maximum.</b> <see cref="Max"/> and <see cref="Min"/> are IEEE 754-2019 maximum and minimum: NaN when either
/// operand is NaN, and +0 is greater than -0. <see cref="MaxNative"/> and <see cref="MinNative"/> are the hardware's
/// instruction (fewer instructions); for a NaN operand or for +0 against -0 their result is unspecified (on x86 the
/// second operand; the scalar struct returns what x86 returns).</para>
/// <para><b>Masks.</b> Comparisons return masks: all 32 bits of a lane set where true, clear where false.
/// <see cref="Select"/> is bitwise, (mask &amp; a) | (~mask &amp; b), so with a comparison mask it picks lanes and with
/// <c>FromBits(int.MinValue)</c> it splices sign bits (copysign).</para>
/// <para><b>Lane reductions.</b> <see cref="Sum"/> adds the lanes in float in a fixed order of that width (so a
/// result depends on the width but never on anything else); lane sums in double in a fixed order are
/// <see cref="SimdDouble.SumToDouble{TV, TOps}(TV)"/>.</para>
/// <para><b>Writing kernels against it</b> (what keeps the generic code as fast as hand-written Vector512 code):
/// a kernel's width-generic entry points (the jobs' Run methods, large loops) are
/// <c>[MethodImpl(NoInlining | AggressiveOptimization)]</c>, so they are fully optimized from the first call and never
/// inlined into a caller whose inlining budget would then run out; a vector loop tested as i + Count &lt;= n is
/// written as a guarded do-while loop (the JIT hoists its constants into registers only in that shape); an operator
/// uses each of its arguments once (a branch on a hardware flag between two uses makes the JIT copy constant arguments
/// into temporaries it no longer hoists); kernel constants are <c>const</c>, not static fields.</para>
/// </remarks>
/// <typeparam name="TV">The vector type (<c>float</c> for the scalar struct).</typeparam>
internal unsafe interface ISimd<TV> where TV : unmanaged
{
    /// <summary>Lanes per vector: 16, 8, 4 or 1.</summary>
    static abstract int Count { get; }

    /// <summary>All lanes +0.</summary>
    static abstract TV Zero { get; }

    /// <summary>All lanes <paramref name="x"/>.</summary>
    static abstract TV Splat(float x);

    /// <summary>Count floats from <paramref name="p"/> (no alignment needed).</summary>
    static abstract TV Load(float* p);

    /// <summary>Writes the lanes to Count floats at <paramref name="p"/>.</summary>
    static abstract void Store(float* p, TV v);

    /// <summary>Lanes of <paramref name="mask"/>'s set lanes from <paramref name="p"/>, 0 elsewhere; memory under clear lanes is not touched.</summary>
    static abstract TV MaskLoad(float* p, TV mask);

    /// <summary>Writes the lanes of <paramref name="v"/> selected by <paramref name="mask"/>; memory under clear lanes is not touched.</summary>
    static abstract void MaskStore(float* p, TV mask, TV v);

    /// <summary>A mask with the first <paramref name="count"/> lanes set (0 &lt;= count &lt;= Count).</summary>
    static abstract TV FirstLanes(int count);

    /// <summary>a + b.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary>a - b.</summary>
    static abstract TV Sub(TV a, TV b);

    /// <summary>a * b.</summary>
    static abstract TV Mul(TV a, TV b);

    /// <summary>a / b (correctly rounded).</summary>
    static abstract TV Div(TV a, TV b);

    /// <summary>-a (flips the sign bit).</summary>
    static abstract TV Neg(TV a);

    /// <summary>|a| (clears the sign bit).</summary>
    static abstract TV Abs(TV a);

    /// <summary>Square root (correctly rounded).</summary>
    static abstract TV Sqrt(TV a);

    /// <summary>a * b + c with one rounding, at every width (software-emulated without hardware FMA).</summary>
    static abstract TV Fma(TV a, TV b, TV c);

    /// <summary>a * b + c, fused exactly when <see cref="FmaSupport.Hardware"/> (the same at every width), else two roundings.</summary>
    static abstract TV MulAdd(TV a, TV b, TV c);

    /// <summary>a * b - c, fused exactly when <see cref="FmaSupport.Hardware"/> (the same at every width), else two roundings.</summary>
    static abstract TV MulSub(TV a, TV b, TV c);

    /// <summary>IEEE maximum: NaN when either operand is NaN; +0 &gt; -0.</summary>
    static abstract TV Max(TV a, TV b);

    /// <summary>IEEE minimum: NaN when either operand is NaN; -0 &lt; +0.</summary>
    static abstract TV Min(TV a, TV b);

    /// <summary>The hardware maximum: for a NaN operand or +0 against -0 the result is unspecified (x86 and the scalar struct: a &gt; b ? a : b).</summary>
    static abstract TV MaxNative(TV a, TV b);

    /// <summary>The hardware minimum: for a NaN operand or +0 against -0 the result is unspecified (x86 and the scalar struct: a &lt; b ? a : b).</summary>
    static abstract TV MinNative(TV a, TV b);

    /// <summary>Mask of a &gt; b (false where either is NaN).</summary>
    static abstract TV GreaterThan(TV a, TV b);

    /// <summary>Mask of a &lt; b (false where either is NaN).</summary>
    static abstract TV LessThan(TV a, TV b);

    /// <summary>Mask of a == b (false where either is NaN; +0 == -0).</summary>
    static abstract TV Equal(TV a, TV b);

    /// <summary>Bitwise (mask &amp; a) | (~mask &amp; b).</summary>
    static abstract TV Select(TV mask, TV a, TV b);

    /// <summary>Bitwise and.</summary>
    static abstract TV And(TV a, TV b);

    /// <summary>Bitwise exclusive or.</summary>
    static abstract TV Xor(TV a, TV b);

    /// <summary>All lanes with the bit pattern <paramref name="bits"/>.</summary>
    static abstract TV FromBits(int bits);

    /// <summary>The lanes' bits as Int32, shifted left.</summary>
    static abstract TV ShiftLeftBits(TV a, int shift);

    /// <summary>The lanes' bits as Int32, shifted right arithmetically (sign-filling).</summary>
    static abstract TV ShiftRightArithmeticBits(TV a, int shift);

    /// <summary>The lanes' bits as Int32, added (wrapping).</summary>
    static abstract TV AddBits(TV a, TV b);

    /// <summary>The lanes' bits as Int32, subtracted (wrapping).</summary>
    static abstract TV SubBits(TV a, TV b);

    /// <summary>
    /// a - round(a), ties to even: exact, within [-1/2, 1/2], for |a| &lt;= 2^22. Every width, the scalar one included,
    /// takes one <c>vreduceps</c> where AVX-512 is, so all give the same bits on one machine; elsewhere the round trip
    /// through 1.5 * 2^23, which gives the same value (a zero's sign can differ: -0 stays -0 there).
    /// </summary>
    static abstract TV RoundRemainder(TV a);

    /// <summary>
    /// Per lane, <c>table[bits &amp; 31]</c> with <c>bits</c> the lane of <paramref name="index"/> as Int32: a lookup in a
    /// table of 32 floats (one permute at Vector512, two or four and blends at Vector256, lane by lane below; a pure
    /// selection, so every width picks the same values).
    /// </summary>
    static abstract TV Lookup32(float* table, TV index);

    /// <summary>True when a &gt; b in some lane.</summary>
    static abstract bool AnyGreaterThan(TV a, TV b);

    /// <summary>True when a &lt; b in some lane.</summary>
    static abstract bool AnyLessThan(TV a, TV b);

    /// <summary>True when a &lt; b in every lane.</summary>
    static abstract bool AllLessThan(TV a, TV b);

    /// <summary>Sum of the lanes in float, in a fixed order of this width.</summary>
    static abstract float Sum(TV a);

    /// <summary>Largest lane (IEEE maximum: NaN when a lane is NaN).</summary>
    static abstract float MaxLanes(TV a);

    /// <summary>Runs <paramref name="job"/> with this width's double-precision counterpart (a second, wider type the
    /// job names as its own type parameters, since C# interfaces have no associated types).</summary>
    static abstract void WithDouble<TJob>(ref TJob job) where TJob : struct, IDoubleJob<TV>;
}

/// <summary>
/// Double-precision lanes matching a float vector <typeparamref name="TV"/>: <see cref="Widen"/> turns its Count floats
/// into two vectors of doubles (lower and upper half; the scalar struct: the value and 0).
/// </summary>
internal interface ISimdDouble<TV, TD> where TV : unmanaged where TD : unmanaged
{
    /// <summary>All lanes 0.</summary>
    static abstract TD Zero { get; }

    /// <summary>All lanes <paramref name="x"/>.</summary>
    static abstract TD Splat(double x);

    /// <summary>The float lanes as doubles: the lower half in <paramref name="lo"/>, the upper in <paramref name="hi"/>.</summary>
    static abstract void Widen(TV x, out TD lo, out TD hi);

    /// <summary>The inverse of <see cref="Widen"/>, each lane rounded to float.</summary>
    static abstract TV Narrow(TD lo, TD hi);

    /// <summary>a + b.</summary>
    static abstract TD Add(TD a, TD b);

    /// <summary>a * b.</summary>
    static abstract TD Mul(TD a, TD b);

    /// <summary>a * b + c with one rounding.</summary>
    static abstract TD Fma(TD a, TD b, TD c);

    /// <summary>Round to the nearest integer, ties to even.</summary>
    static abstract TD Round(TD a);

    /// <summary>Sum of the lanes, in a fixed order of this width.</summary>
    static abstract double Sum(TD a);
}

/// <summary>Work that needs the double-precision lanes of a width; see <see cref="ISimd{TV}.WithDouble{TJob}(ref TJob)"/>.</summary>
internal interface IDoubleJob<TV> where TV : unmanaged
{
    /// <summary>The work, with <typeparamref name="TD"/> the double vector type and <typeparamref name="TDOps"/> its operations.</summary>
    void Run<TD, TDOps>() where TD : unmanaged where TDOps : struct, ISimdDouble<TV, TD>;
}
