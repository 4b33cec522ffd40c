using System.Text;

namespace Ortho.IO;

/// <summary>
/// Writes files atomically: the content goes to a temporary file in the target's directory, is flushed to
/// disk, and then replaces the target by a rename. Readers see either the old file or the complete new one;
/// if writing fails the old file is left untouched and the temporary file is removed.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Creates or replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is
    /// given. The stream is a write-only view of the temporary file; disposing it is harmless. The directory is
    /// created if missing. If <paramref name="write"/> throws, the exception propagates and the target is unchanged.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no directory", nameof(path));
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                using (var view = new NonClosingStream(fs)) write(view);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Atomically creates or replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, s => s.Write(bytes, 0, bytes.Length));
    }

    /// <summary>Atomically creates or replaces <paramref name="path"/> with <paramref name="text"/> in UTF-8 (no byte-order mark).</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Forwards writes to the inner stream; Dispose only flushes, so the owner can still fsync and close.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        private bool _disposed;
        public override bool CanRead => false;
        public override bool CanSeek => !_disposed && inner.CanSeek;
        public override bool CanWrite => !_disposed;
        public override long Length => Check().Length;
        public override long Position { get => Check().Position; set => Check().Position = value; }
        public override void Flush() { if (!_disposed) inner.Flush(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => Check().Seek(offset, origin);
        public override void SetLength(long value) => Check().SetLength(value);
        public override void Write(byte[] buffer, int offset, int count) => Check().Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => Check().Write(buffer);
        public override void WriteByte(byte value) => Check().WriteByte(value);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Check().WriteAsync(buffer, offset, count, cancellationToken);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            Check().WriteAsync(buffer, cancellationToken);
        public override Task FlushAsync(CancellationToken cancellationToken) => _disposed ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed) { inner.Flush(); _disposed = true; }
            base.Dispose(disposing);
        }

        private Stream Check() => _disposed ? throw new ObjectDisposedException(nameof(AtomicFile), "the stream given to AtomicFile.Write was disposed") : inner;
    }
}
