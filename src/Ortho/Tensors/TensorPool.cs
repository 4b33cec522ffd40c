namespace Ortho;

/// <summary>
/// Reusable float storage in power-of-two size classes. Tensors rent from it and give storage back when
/// their <see cref="TensorScope"/> ends, so a steady-state training step allocates no tensor storage.
/// </summary>
public static class TensorPool
{
    private const int MinClass = 4; // 16 floats
    private static readonly Stack<float[]>[] Buckets = CreateBuckets();
    private static readonly Lock Gate = new();
    private static long _rented, _allocated, _liveFloats, _peakFloats;

    /// <summary>Number of arrays handed out so far (pooled or fresh).</summary>
    public static long Rented => Interlocked.Read(ref _rented);

    /// <summary>Number of arrays the pool had to allocate because no free one of the size class was available.</summary>
    public static long Allocated => Interlocked.Read(ref _allocated);

    /// <summary>Bytes of the arrays rented and not yet returned (tensors alive now, at their size classes' capacity).</summary>
    public static long LiveBytes { get { lock (Gate) return 4 * _liveFloats; } }

    /// <summary>The largest <see cref="LiveBytes"/> since the start or the last <see cref="ResetPeak"/>.</summary>
    public static long PeakBytes { get { lock (Gate) return 4 * _peakFloats; } }

    /// <summary>Starts a new peak at the current <see cref="LiveBytes"/>.</summary>
    public static void ResetPeak()
    {
        lock (Gate) _peakFloats = _liveFloats;
    }

    private static Stack<float[]>[] CreateBuckets()
    {
        var b = new Stack<float[]>[32];
        for (int i = 0; i < b.Length; i++) b[i] = new Stack<float[]>();
        return b;
    }

    private static int SizeClass(int length)
    {
        int c = length <= 1 << MinClass ? MinClass : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(length - 1));
        return c;
    }

    /// <summary>Rents an array of at least <paramref name="length"/> floats; contents are unspecified.</summary>
    public static float[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int c = SizeClass(length);
        Interlocked.Increment(ref _rented);
        lock (Gate)
        {
            _liveFloats += 1L << c;
            if (_liveFloats > _peakFloats) _peakFloats = _liveFloats;
            if (Buckets[c].Count > 0) return Buckets[c].Pop();
        }
        Interlocked.Increment(ref _allocated);
        return GC.AllocateUninitializedArray<float>(1 << c);
    }

    /// <summary>Gives an array obtained from <see cref="Rent"/> back to the pool.</summary>
    public static void Return(float[] array)
    {
        int c = System.Numerics.BitOperations.Log2((uint)array.Length);
        if (1 << c != array.Length || c < MinClass) return; // not ours
        lock (Gate)
        {
            Buckets[c].Push(array);
            _liveFloats = Math.Max(0, _liveFloats - array.Length);
        }
    }

    /// <summary>Drops every pooled array (for tests and memory-sensitive callers).</summary>
    public static void Clear()
    {
        lock (Gate) foreach (var b in Buckets) b.Clear();
    }
}

/// <summary>Shared, reference-counted storage behind one or more tensor views.</summary>
internal sealed class Storage
{
    public float[] Array;
    private int _refs = 1;
    private readonly bool _pooled;

    public Storage(int length, bool pooled)
    {
        _pooled = pooled;
        Array = pooled ? TensorPool.Rent(length) : new float[length];
    }

    public Storage(float[] wrap) { Array = wrap; _pooled = false; }

    public void AddRef() => Interlocked.Increment(ref _refs);

    /// <summary>How many tensors hold this storage.</summary>
    public int RefCount => Volatile.Read(ref _refs);

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0 && _pooled)
        {
            TensorPool.Return(Array);
            Array = System.Array.Empty<float>();
        }
    }

    public bool IsReleased => _refs <= 0;
}
