using System.Text;
using Ortho.IO;
using Xunit;

namespace Ortho.Tests.IO;

public class AtomicFileTests
{
    [Fact]
    public void ThrowingWriterLeavesTheOldFileIntactAndNoTemporaryFile()
    {
        using var tmp = new TempDirectory();
        string path = tmp.File("ckpt.safetensors");
        new SafeTensorsWriter().Add("w", new float[] { 1, 2, 3 }, [3]).Save(path);
        byte[] before = File.ReadAllBytes(path);

        var boom = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[1000]);
            throw new InvalidOperationException("disk on fire");
        }));
        Assert.Equal("disk on fire", boom.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "ckpt.safetensors" }, Directory.GetFiles(tmp.Path).Select(Path.GetFileName));
        Assert.Equal(new[] { 1f, 2f, 3f }, Ortho.IO.SafeTensorsFile.Read(path)["w"].ToFloat32());
    }

    [Fact]
    public void ReplacesExistingFileAndCreatesMissingDirectories()
    {
        using var tmp = new TempDirectory();
        string path = Path.Combine(tmp.Path, "runs", "a", "state.json");
        AtomicFile.WriteAllText(path, "first");
        AtomicFile.WriteAllText(path, "sécond");
        Assert.Equal("sécond", File.ReadAllText(path));
        Assert.Equal(Encoding.UTF8.GetBytes("sécond"), File.ReadAllBytes(path)); // no byte-order mark
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void CallbackMayDisposeTheStream()
    {
        using var tmp = new TempDirectory();
        string path = tmp.File("notes.txt");
        AtomicFile.Write(path, s =>
        {
            using var w = new StreamWriter(s); // disposes the stream it wraps
            w.Write("hello");
        });
        Assert.Equal("hello", File.ReadAllText(path));
    }

    [Fact]
    public void WriterSaveOverwritesAtomically()
    {
        using var tmp = new TempDirectory();
        string path = tmp.File("m.safetensors");
        new SafeTensorsWriter().Add("a", new float[] { 1 }, [1]).Save(path);
        new SafeTensorsWriter().Add("b", new float[] { 2, 3 }, [2]).SetMetadata("step", "7").Save(path);
        var f = SafeTensorsFile.Read(path);
        Assert.Equal(new[] { "b" }, f.Names);
        Assert.Equal("7", f.Metadata["step"]);
        Assert.Single(Directory.GetFiles(tmp.Path));
    }
}
