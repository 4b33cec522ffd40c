namespace Ortho.Data;

/// <summary>
/// Iterates an <see cref="ImageDataset"/> in batches, epoch after epoch. With a generator, each epoch visits the
/// images in a fresh random order (a Fisher-Yates shuffle of 0..Count-1 drawn from the <see cref="Rng"/>);
/// without one, in index order.
/// </summary>
/// <remarks>
/// With <c>dropLast</c> (the default, as the reference recipe does) an epoch yields Count / batch full batches and
/// skips the remainder; otherwise the last batch of an epoch may be partial. <see cref="Next(Span{float}, Span{int})"/>
/// returns the size of each batch and starts a new epoch (reshuffling) when the current one is exhausted.
/// <see cref="GetState"/>/<see cref="SetState"/> save and resume the position exactly.
/// </remarks>
public sealed class ImageBatchSampler
{
    private readonly int[] _order;
    private ulong _shuffleOffset;

    /// <summary>Creates a sampler; the first epoch starts (and is shuffled) at the first call to <see cref="Next(Span{float}, Span{int})"/>.</summary>
    /// <param name="data">The images.</param>
    /// <param name="batchSize">Images per (full) batch.</param>
    /// <param name="rng">Generator for the epoch orders, or null for index order.</param>
    /// <param name="dropLast">Whether to skip the last partial batch of each epoch.</param>
    public ImageBatchSampler(ImageDataset data, int batchSize, Rng? rng, bool dropLast = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be positive");
        if (data.Count == 0) throw new ArgumentException("the dataset is empty", nameof(data));
        if (dropLast && data.Count < batchSize)
            throw new ArgumentException($"with dropLast, {data.Count} images make no full batch of {batchSize}", nameof(batchSize));
        Data = data;
        BatchSize = batchSize;
        Rng = rng;
        DropLast = dropLast;
        _order = new int[data.Count];
        Epoch = -1;
    }

    /// <summary>The images.</summary>
    public ImageDataset Data { get; }

    /// <summary>Images per full batch.</summary>
    public int BatchSize { get; }

    /// <summary>The generator of the epoch orders (null: index order).</summary>
    public Rng? Rng { get; }

    /// <summary>Whether the last partial batch of each epoch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>The current epoch, 0-based; -1 before the first batch.</summary>
    public int Epoch { get; private set; }

    /// <summary>Position in the current epoch's order: images already served this epoch.</summary>
    public int Position { get; private set; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => DropLast ? Data.Count / BatchSize : (Data.Count + BatchSize - 1) / BatchSize;

    /// <summary>The order of the current epoch (valid once <see cref="Epoch"/> is 0 or more).</summary>
    public ReadOnlySpan<int> Order => _order;

    /// <summary>
    /// Fills the next batch and returns its size n (<see cref="BatchSize"/>, or less for the last batch of an epoch
    /// without drop-last): <paramref name="images"/> gets n x ImageSize floats and <paramref name="labels"/> n labels.
    /// Starts a new epoch when the current one has no batch left.
    /// </summary>
    public int Next(Span<float> images, Span<int> labels)
    {
        int remaining = Data.Count - Position;
        if (Epoch < 0 || remaining == 0 || (DropLast && remaining < BatchSize))
        {
            StartEpoch(Epoch + 1, Rng?.Offset ?? 0);
            remaining = Data.Count;
        }
        int n = Math.Min(BatchSize, remaining);
        Data.Gather(_order.AsSpan(Position, n), images, labels);
        Position += n;
        return n;
    }

    /// <summary>Whether the next call to <see cref="Next(Span{float}, Span{int})"/> starts a new epoch.</summary>
    public bool EpochFinished
    {
        get
        {
            int remaining = Data.Count - Position;
            return Epoch < 0 || remaining == 0 || (DropLast && remaining < BatchSize);
        }
    }

    /// <summary>The state to resume from: epoch, position, and the generator offset the epoch's shuffle started at.</summary>
    public ImageSamplerState GetState() => new(Epoch, Position, _shuffleOffset);

    /// <summary>Resumes from a state of <see cref="GetState"/> (of a sampler over the same data, batch size and seed).</summary>
    public void SetState(ImageSamplerState state)
    {
        if (state.Position < 0 || state.Position > Data.Count) throw new ArgumentOutOfRangeException(nameof(state), $"position {state.Position} outside [0, {Data.Count}]");
        if (state.Epoch < 0) { Epoch = -1; Position = 0; _shuffleOffset = 0; return; }
        StartEpoch(state.Epoch, state.ShuffleOffset);
        Position = state.Position;
    }

    private void StartEpoch(int epoch, ulong shuffleOffset)
    {
        Epoch = epoch;
        Position = 0;
        _shuffleOffset = shuffleOffset;
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        if (Rng == null) return;
        Rng.Offset = shuffleOffset;
        for (int i = _order.Length - 1; i > 0; i--)
        {
            int j = Rng.NextInt(i + 1);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
    }
}

/// <summary>A resumable position of an <see cref="ImageBatchSampler"/>.</summary>
/// <param name="Epoch">The epoch (0-based; -1 before the first batch).</param>
/// <param name="Position">Images already served in that epoch.</param>
/// <param name="ShuffleOffset">The <see cref="Rng.Offset"/> at which the epoch's shuffle was drawn.</param>
public readonly record struct ImageSamplerState(int Epoch, int Position, ulong ShuffleOffset);
