namespace Ortho.Data;

/// <summary>
/// An in-memory labelled image set: <see cref="Images"/> is a flat row-major [Count, Channels, Height, Width]
/// array of floats, <see cref="Labels"/> one class index per image.
/// </summary>
public sealed class ImageDataset
{
    /// <summary>Wraps existing arrays (not copied) after checking their sizes.</summary>
    public ImageDataset(float[] images, byte[] labels, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentOutOfRangeException(nameof(channels), $"image shape [{channels}, {height}, {width}] must be positive");
        long per = (long)channels * height * width;
        if (images.LongLength != per * labels.Length)
            throw new ArgumentException($"{images.Length} image values do not hold {labels.Length} images of [{channels}, {height}, {width}] ({per * labels.Length} values)", nameof(images));
        Images = images;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>The pixels, [Count, Channels, Height, Width] row-major.</summary>
    public float[] Images { get; }

    /// <summary>The class index of each image.</summary>
    public byte[] Labels { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Channels per image.</summary>
    public int Channels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Floats per image: Channels x Height x Width.</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index) => Images.AsSpan(checked(index * ImageSize), ImageSize);

    /// <summary>
    /// Copies the images and labels at <paramref name="indices"/> into a batch:
    /// <paramref name="images"/> gets indices.Length x <see cref="ImageSize"/> floats, <paramref name="labels"/> indices.Length labels.
    /// </summary>
    public void Gather(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels)
    {
        int size = ImageSize;
        if (images.Length < indices.Length * size) throw new ArgumentException($"images buffer holds {images.Length} floats, {indices.Length * size} needed", nameof(images));
        if (labels.Length < indices.Length) throw new ArgumentException($"labels buffer holds {labels.Length}, {indices.Length} needed", nameof(labels));
        for (int b = 0; b < indices.Length; b++)
        {
            int i = indices[b];
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"image index out of range [0, {Count})");
            Images.AsSpan(i * size, size).CopyTo(images.Slice(b * size, size));
            labels[b] = Labels[i];
        }
    }

    /// <summary>Copies the contiguous images [start, start + count) and their labels into a batch (e.g. for evaluation).</summary>
    public void CopyRange(int start, int count, Span<float> images, Span<int> labels)
    {
        if (start < 0 || count < 0 || start > Count - count) throw new ArgumentOutOfRangeException(nameof(start), $"range [{start}, {start + count}) outside [0, {Count})");
        int size = ImageSize;
        if (images.Length < count * size) throw new ArgumentException($"images buffer holds {images.Length} floats, {count * size} needed", nameof(images));
        if (labels.Length < count) throw new ArgumentException($"labels buffer holds {labels.Length}, {count} needed", nameof(labels));
        Images.AsSpan(start * size, count * size).CopyTo(images);
        for (int b = 0; b < count; b++) labels[b] = Labels[start + b];
    }
}
