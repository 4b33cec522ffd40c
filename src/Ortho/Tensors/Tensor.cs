using System.Globalization;
using System.Text;

namespace Ortho;

/// <summary>
/// A float32, N-dimensional, row-major, contiguous tensor with reverse-mode autograd.
/// Views (<see cref="Reshape"/>, <see cref="Detach"/>) share storage; every other op makes a new tensor.
/// </summary>
public partial class Tensor
{
    internal Storage Store;
    internal readonly int Offset;
    private readonly int[] _shape;

    internal Tensor(Storage store, int offset, int[] shape, bool scoped = true)
    {
        Store = store;
        Offset = offset;
        _shape = shape;
        Length = CheckedLength(shape);
        if (scoped) TensorScope.Current?.Register(this);
    }

    /// <summary>Creates an uninitialized tensor with pooled storage (contents unspecified).</summary>
    internal static Tensor Empty(int[] shape)
    {
        int n = CheckedLength(shape);
        return new Tensor(new Storage(n, pooled: true), 0, (int[])shape.Clone());
    }

    /// <summary>Creates a tensor outside any scope (it is never returned to the pool by a scope).</summary>
    internal static Tensor Unscoped(int[] shape)
    {
        int n = CheckedLength(shape);
        return new Tensor(new Storage(n, pooled: false), 0, (int[])shape.Clone(), scoped: false);
    }

    /// <summary>The shape (a copy; the tensor's shape cannot change).</summary>
    public int[] Shape => (int[])_shape.Clone();

    internal ReadOnlySpan<int> ShapeSpan => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => _shape[NormalizeDim(dim, Rank, "Size")];

    /// <summary>An optional name shown in error messages (set by modules for parameters).</summary>
    public string? Name { get; set; }

    /// <summary>The elements, in row-major order.</summary>
    public Span<float> Data
    {
        get
        {
            ThrowIfReleased();
            return Store.Array.AsSpan(Store.Base + Offset, Length);
        }
    }

    internal void ThrowIfReleased()
    {
        if (Store.IsReleased)
            throw new ObjectDisposedException(nameof(Tensor), $"Tensor {Describe()} was released when its TensorScope ended; call Keep() inside the scope to retain it.");
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Length != 1) throw new InvalidOperationException($"Item() needs a tensor with one element, got shape {ShapeString(_shape)}.");
        return Data[0];
    }

    /// <summary>The element at a multi-index.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public float this[params int[] index]
    {
        get => Data[FlatIndex(index)];
        set => Data[FlatIndex(index)] = value;
    }

    /// <summary>A copy of the elements.</summary>
    public float[] ToArray() => Data.ToArray();

    // ---------- creation ----------

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape) => Full(0f, shape);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(float value, params int[] shape)
    {
        var t = Empty(shape);
        t.Data.Fill(value);
        return t;
    }

    /// <summary>A tensor of the given shape over a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> data, params int[] shape)
    {
        if (shape.Length == 0 && data.Length != 1) shape = [data.Length];
        int n = CheckedLength(shape);
        if (n != data.Length) throw new ArgumentException($"FromArray: {data.Length} values do not fill shape {ShapeString(shape)} ({n} elements).");
        var t = Empty(shape);
        data.CopyTo(t.Data);
        return t;
    }

    /// <summary>A scalar (rank-0) tensor.</summary>
    public static Tensor Scalar(float value)
    {
        var t = Empty([]);
        t.Data[0] = value;
        return t;
    }

    /// <summary>Values start, start+step, ... below stop, as a 1-D tensor.</summary>
    public static Tensor Arange(float start, float stop, float step = 1f)
    {
        if (step == 0 || float.IsNaN(step)) throw new ArgumentException("Arange: step must be non-zero.");
        int n = Math.Max(0, (int)Math.Ceiling((stop - start) / step));
        var t = Empty([n]);
        var d = t.Data;
        for (int i = 0; i < n; i++) d[i] = start + i * step;
        return t;
    }

    /// <summary>Samples N(mean, std^2) from <paramref name="rng"/>.</summary>
    public static Tensor RandN(Rng rng, int[] shape, float mean = 0f, float std = 1f)
    {
        var t = Empty(shape);
        rng.FillNormal(t.Data, mean, std);
        return t;
    }

    /// <summary>Samples U(low, high) from <paramref name="rng"/>.</summary>
    public static Tensor Uniform(Rng rng, int[] shape, float low = 0f, float high = 1f)
    {
        var t = Empty(shape);
        rng.FillUniform(t.Data, low, high);
        return t;
    }

    /// <summary>A new tensor of the same shape with a copy of the data (no autograd link).</summary>
    public Tensor Clone()
    {
        var t = Empty(_shape);
        Data.CopyTo(t.Data);
        return t;
    }

    // ---------- scope ----------

    /// <summary>Opens a <see cref="TensorScope"/>: tensors created until it is disposed are released then.</summary>
    public static TensorScope Scope() => new();

    /// <summary>The scope that will release this tensor's storage, or null if none will.</summary>
    internal TensorScope? Owner;

    /// <summary>
    /// Moves this tensor out of the innermost scope into the enclosing one (or none), so it outlives the current scope.
    /// Tensors owned by an outer scope or by none are left as they are. A kept tensor's autograd history is dropped
    /// (the tensors that history saved are released with the scope), so call Backward inside the scope.
    /// </summary>
    public Tensor Keep()
    {
        var s = TensorScope.Current;
        if (s != null && Owner == s)
        {
            s.Unregister(this);
            s.Parent?.Register(this);
            if (Node != null)
            {
                KeptFrom = Node.Op;
                Node = null;
                _requiresGrad = false;
            }
        }
        return this;
    }

    /// <summary>Gives this tensor's storage back now (it must not be used afterwards).</summary>
    internal void ReleaseNow()
    {
        Owner?.Unregister(this);
        ReleaseStorage();
    }

    internal void ReleaseStorage()
    {
        Node = null;
        Grad = null;
        Store.Release();
    }

    // ---------- helpers ----------

    internal static int CheckedLength(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"Shape {ShapeString(shape)} has a negative dimension.");
            n *= d;
            if (n > Array.MaxLength) throw new ArgumentException($"Shape {ShapeString(shape)} has more than {Array.MaxLength} elements.");
        }
        return (int)n;
    }

    internal static int NormalizeDim(int dim, int rank, string op)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dimension {dim} is out of range for a tensor of rank {rank}.");
        return d;
    }

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank) throw new ArgumentException($"Index of rank {index.Length} for a tensor of shape {ShapeString(_shape)}.");
        int flat = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)_shape[i]) throw new IndexOutOfRangeException($"Index {index[i]} out of range for dimension {i} of size {_shape[i]}.");
            flat = flat * _shape[i] + index[i];
        }
        return flat;
    }

    internal static string ShapeString(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++) { if (i > 0) sb.Append(", "); sb.Append(shape[i]); }
        return sb.Append(']').ToString();
    }

    internal string Describe() => (Name != null ? $"'{Name}' " : "") + ShapeString(_shape);

    /// <summary>Shape and a few values, e.g. <c>Tensor[2, 3] [[0.1, 0.2, 0.3], [...]]</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("Tensor").Append(ShapeString(_shape));
        if (Name != null) sb.Append(" '").Append(Name).Append('\'');
        if (RequiresGrad) sb.Append(" requires_grad");
        if (Store.IsReleased) return sb.Append(" (released)").ToString();
        sb.Append(' ');
        var d = Data;
        const int maxShown = 8;
        if (Rank == 0) return sb.Append(d[0].ToString("G6", CultureInfo.InvariantCulture)).ToString();
        sb.Append('[');
        for (int i = 0; i < Math.Min(d.Length, maxShown); i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(d[i].ToString("G6", CultureInfo.InvariantCulture));
        }
        if (d.Length > maxShown) sb.Append(", ... (").Append(d.Length).Append(" values)");
        return sb.Append(']').ToString();
    }
}
