using System.Buffers.Binary;
using System.IO.Compression;

namespace Ortho.Data;

/// <summary>
/// Fashion-MNIST (Debian package <c>dataset-fashion-mnist</c>): 60,000 training and 10,000 test 28x28 grey images
/// of 10 clothing classes, read from the IDX files (gzip'd or not) and normalized as (x/255 - 0.2860)/0.3530.
/// </summary>
public sealed class FashionMnist
{
    /// <summary>Mean of the training pixels scaled to [0, 1].</summary>
    public const float Mean = 0.2860f;

    /// <summary>Standard deviation of the training pixels scaled to [0, 1].</summary>
    public const float Std = 0.3530f;

    /// <summary>Number of classes.</summary>
    public const int Classes = 10;

    /// <summary>The IDX file names (without the .gz suffix).</summary>
    public const string TrainImagesFile = "train-images-idx3-ubyte", TrainLabelsFile = "train-labels-idx1-ubyte",
        TestImagesFile = "t10k-images-idx3-ubyte", TestLabelsFile = "t10k-labels-idx1-ubyte";

    private FashionMnist(ImageDataset train, ImageDataset test) { Train = train; Test = test; }

    /// <summary>The training images, [60000, 1, 28, 28], normalized.</summary>
    public ImageDataset Train { get; }

    /// <summary>The test images, [10000, 1, 28, 28], normalized.</summary>
    public ImageDataset Test { get; }

    /// <summary>The default location: <c>fashion-mnist</c> under <see cref="DataDirectory.Resolve"/>.</summary>
    public static string DefaultDirectory => Path.Combine(DataDirectory.Resolve(), "fashion-mnist");

    /// <summary>
    /// Loads the four IDX files from <paramref name="dir"/> (each as <c>name.gz</c> or <c>name</c>), checking magic
    /// numbers, dimensions, sizes and labels; pixels become (x/255 - <see cref="Mean"/>)/<see cref="Std"/> in float32.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist (the message says how to fetch the data).</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or inconsistent (the message names it).</exception>
    public static FashionMnist Load(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"Fashion-MNIST directory '{Path.GetFullPath(dir)}' not found; {DataDirectory.FetchHint}.");
        var train = LoadSplit(dir, TrainImagesFile, TrainLabelsFile);
        var test = LoadSplit(dir, TestImagesFile, TestLabelsFile);
        if (train.Height != test.Height || train.Width != test.Width)
            throw new InvalidDataException($"Fashion-MNIST in '{dir}': training images are {train.Height}x{train.Width} but test images are {test.Height}x{test.Width}");
        return new FashionMnist(train, test);
    }

    /// <summary>Normalizes raw pixels: (x/255 - <see cref="Mean"/>)/<see cref="Std"/>, in float32 arithmetic.</summary>
    public static void Normalize(ReadOnlySpan<byte> pixels, Span<float> destination)
    {
        if (destination.Length < pixels.Length) throw new ArgumentException("destination is shorter than pixels", nameof(destination));
        for (int i = 0; i < pixels.Length; i++)
            destination[i] = (pixels[i] / 255f - Mean) / Std;
    }

    private static ImageDataset LoadSplit(string dir, string imagesName, string labelsName)
    {
        var (imagesPath, imageBytes) = ReadMaybeGzip(dir, imagesName);
        var (labelsPath, labelBytes) = ReadMaybeGzip(dir, labelsName);
        var (imageDims, imageOffset) = Idx.ParseHeader(imageBytes, imagesPath, expectedRank: 3);
        var (labelDims, labelOffset) = Idx.ParseHeader(labelBytes, labelsPath, expectedRank: 1);
        int n = imageDims[0], h = imageDims[1], w = imageDims[2];
        if (h == 0 || w == 0) throw new InvalidDataException($"{imagesPath}: images are {h}x{w}");
        if (labelDims[0] != n)
            throw new InvalidDataException($"{labelsPath} holds {labelDims[0]} labels but {imagesPath} holds {n} images");
        var labels = labelBytes.AsSpan(labelOffset).ToArray();
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= Classes) throw new InvalidDataException($"{labelsPath}: label {i} is {labels[i]}, outside [0, {Classes})");
        var images = new float[(long)n * h * w];
        Normalize(imageBytes.AsSpan(imageOffset), images);
        return new ImageDataset(images, labels, 1, h, w);
    }

    private static (string Path, byte[] Bytes) ReadMaybeGzip(string dir, string name)
    {
        string gz = Path.Combine(dir, name + ".gz"), plain = Path.Combine(dir, name);
        string path = File.Exists(gz) ? gz : File.Exists(plain) ? plain
            : throw new FileNotFoundException($"Fashion-MNIST file '{name}.gz' (or '{name}') not found in '{Path.GetFullPath(dir)}'; {DataDirectory.FetchHint}.", gz);
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return (path, raw);
        try
        {
            using var input = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            return (path, output.ToArray());
        }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: corrupt gzip data: {e.Message}", e); }
    }
}

/// <summary>The IDX format of (Fashion-)MNIST: 2 zero bytes, a type byte (0x08 = unsigned byte), the rank, big-endian int32 dimensions, data.</summary>
internal static class Idx
{
    /// <summary>Checks the header of an unsigned-byte IDX file of the given rank and that the data size matches exactly.</summary>
    public static (int[] Dims, int DataOffset) ParseHeader(ReadOnlySpan<byte> file, string path, int expectedRank)
    {
        if (file.Length < 4) throw new InvalidDataException($"{path}: {file.Length} bytes, too short for an IDX header");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(file);
        uint expected = 0x0800u + (uint)expectedRank;
        if (magic != expected)
            throw new InvalidDataException($"{path}: IDX magic number 0x{magic:X8}, expected 0x{expected:X8} (unsigned bytes, {expectedRank} dimension{(expectedRank == 1 ? "" : "s")})");
        int offset = 4 + 4 * expectedRank;
        if (file.Length < offset) throw new InvalidDataException($"{path}: {file.Length} bytes, too short for an IDX header of rank {expectedRank}");
        var dims = new int[expectedRank];
        long count = 1;
        for (int i = 0; i < expectedRank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(file[(4 + 4 * i)..]);
            if (d > int.MaxValue) throw new InvalidDataException($"{path}: dimension {i} is {d}, too large");
            dims[i] = (int)d;
            count *= d;
            if (count > Array.MaxLength) throw new InvalidDataException($"{path}: dimensions [{string.Join(", ", dims[..(i + 1)])}] hold too many elements");
        }
        if (file.Length - offset != count)
            throw new InvalidDataException($"{path}: dimensions [{string.Join(", ", dims)}] need {count} data bytes after the {offset}-byte header, but the file has {file.Length - offset}" +
                (file.Length - offset < count ? " (truncated)" : " (trailing bytes)"));
        return (dims, offset);
    }
}
