namespace Ortho.Data;

/// <summary>
/// Draws language-model batches from a token stream (bytes, or the ids of any tokenizer): each of the <see cref="Batch"/> rows is a window of
/// <see cref="Block"/> tokens starting at a uniform position in [0, length - block - 1), and its targets are the
/// same window shifted by one token.
/// </summary>
/// <remarks>
/// Starts are drawn with <see cref="Rng.NextInt"/>, one per row in row order, so the sampler's whole state is the
/// <see cref="Rng"/>'s (seed, offset): saving and restoring <see cref="Rng.Offset"/> resumes the same batches.
/// </remarks>
public sealed class LmBatchSampler
{
    private readonly int[] _data;

    /// <summary>Creates a sampler over the bytes <paramref name="data"/> (copied as token ids 0..255).</summary>
    /// <exception cref="ArgumentException">The data is too short for one window and its targets.</exception>
    public LmBatchSampler(byte[] data, int batch, int block, Rng rng)
        : this(Array.ConvertAll(data ?? throw new ArgumentNullException(nameof(data)), b => (int)b), batch, block, rng)
    {
    }

    /// <summary>Creates a sampler over the token ids <paramref name="tokens"/> (kept, not copied).</summary>
    /// <exception cref="ArgumentException">The data is too short for one window and its targets.</exception>
    public LmBatchSampler(int[] tokens, int batch, int block, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(rng);
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "must be positive");
        if (block <= 0) throw new ArgumentOutOfRangeException(nameof(block), block, "must be positive");
        if ((long)tokens.Length - block - 1 < 1)
            throw new ArgumentException($"data of {tokens.Length} tokens is too short for windows of {block} tokens plus one target (needs at least {block + 2})", nameof(tokens));
        _data = tokens;
        Batch = batch;
        Block = block;
        Rng = rng;
    }

    /// <summary>Rows per batch.</summary>
    public int Batch { get; }

    /// <summary>Tokens per row.</summary>
    public int Block { get; }

    /// <summary>The generator the window starts are drawn from.</summary>
    public Rng Rng { get; }

    /// <summary>Number of tokens in the data.</summary>
    public int Length => _data.Length;

    /// <summary>
    /// Fills the next batch: <paramref name="x"/>[b*Block + t] = data[s_b + t] and <paramref name="y"/>[b*Block + t] =
    /// data[s_b + t + 1] for row starts s_b. Both spans must hold Batch x Block ints.
    /// </summary>
    public void Next(Span<int> x, Span<int> y)
    {
        int n = Batch * Block;
        if (x.Length != n) throw new ArgumentException($"x holds {x.Length} ints, Batch x Block = {n} needed", nameof(x));
        if (y.Length != n) throw new ArgumentException($"y holds {y.Length} ints, Batch x Block = {n} needed", nameof(y));
        int range = _data.Length - Block - 1;
        for (int b = 0; b < Batch; b++)
        {
            int start = Rng.NextInt(range);
            var src = _data.AsSpan(start, Block + 1);
            src[..Block].CopyTo(x.Slice(b * Block, Block));
            src[1..].CopyTo(y.Slice(b * Block, Block));
        }
    }

    /// <summary>Allocates and returns the next batch (inputs and targets, each Batch x Block).</summary>
    public (int[] X, int[] Y) Next()
    {
        var x = new int[Batch * Block];
        var y = new int[Batch * Block];
        Next(x, y);
        return (x, y);
    }
}
