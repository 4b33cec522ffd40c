namespace Ortho;

/// <summary>
/// Reusable float storage in power-of-two size classes. Tensors rent from it and give storage back when
/// their <see cref="TensorScope"/> ends, so a steady-state training step allocates no tensor storage.
/// </summary>
/// <remarks>
/// Each array has <see cref="AlignPad"/> floats beyond its size class and lives on the pinned object heap, so it never
/// moves and a tensor's data can start on a 64-byte cache line (<see cref="AlignedStart"/>): vector loads and stores
/// then never straddle two lines, and threads that split a tensor at multiples of 16 floats never write one line.
/// </remarks>
public static class TensorPool
{
    /// <summary>Floats past the size class in every pooled array: room to start the data on a 64-byte line.</summary>
    internal const int AlignPad = Kernels.CacheLine.Floats;

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
        return GC.AllocateUninitializedArray<float>((1 << c) + AlignPad, pinned: true);
    }

    /// <summary>Gives an array obtained from <see cref="Rent"/> back to the pool.</summary>
    public static void Return(float[] array)
    {
        int size = array.Length - AlignPad;
        if (size < 1 << MinClass || (size & (size - 1)) != 0) return; // not ours
        int c = System.Numerics.BitOperations.Log2((uint)size);
        lock (Gate)
        {
            Buckets[c].Push(array);
            _liveFloats = Math.Max(0, _liveFloats - size);
        }
    }

    /// <summary>
    /// The first index of <paramref name="array"/> whose element starts a 64-byte line (0 to 15): a pinned array's data
    /// stays where it is, so the index does not change. For an array that can move (not from the pinned heap) it is
    /// only a hint; callers use it for pooled and parameter arrays, which are pinned.
    /// </summary>
    internal static unsafe int AlignedStart(float[] array)
    {
        if (array.Length == 0) return 0;
        return Kernels.CacheLine.FloatsToLine((float*)System.Runtime.CompilerServices.Unsafe.AsPointer(
            ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(array)));
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

    /// <summary>Index of element 0 in <see cref="Array"/>: the first one on a 64-byte line for storage this class
    /// allocates (pooled, or pinned with the pool's padding), 0 for a wrapped array.</summary>
    public readonly int Base;

    private int _refs = 1;
    private readonly bool _pooled;

    public Storage(int length, bool pooled)
    {
        _pooled = pooled;
        Array = pooled ? TensorPool.Rent(length) : GC.AllocateArray<float>(length + TensorPool.AlignPad, pinned: true);
        Base = TensorPool.AlignedStart(Array);
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
