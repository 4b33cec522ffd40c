namespace Ortho.Analysis;

/// <summary>
/// What a reference forward pass needs of its number type (exact <see cref="QSqrt2"/> or enclosing
/// <see cref="Interval"/>), so one generic pass serves both.
/// </summary>
internal interface IForwardNumber<T> where T : IForwardNumber<T>
{
    static abstract T FromDouble(double x);

    static abstract T Sqrt2 { get; }

    static abstract T operator +(T a, T b);

    static abstract T operator -(T a, T b);

    static abstract T operator *(T a, T b);

    static abstract T operator /(T a, int k);

    static abstract T Max(T a, T b);
}
