using Ortho.IO;
using Ortho.Tests.Infrastructure;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Cli;

/// <summary>The README's "Moving models to and from PyTorch" commands: <c>ortho inspect</c> and <c>ortho convert</c> on peer files.</summary>
[Collection("cli")]
public class ConvertCommandTests
{
    [Fact]
    public void InspectDescribesAPeerFileAndConvertMovesItBothWays()
    {
        string fixture = Path.Combine(Fixtures.Directory, "gpt-tiny-fourier3.safetensors");
        string shown = Cli.Succeeds("inspect", fixture);
        Assert.Contains("PyTorch state dict", shown);
        Assert.Contains("GPT: layers 2, heads 2, embd 32, vocab 64, block 16, activation fourier:3", shown);
        Assert.Contains("grid = [", shown);

        using var tmp = new TempDirectory();
        Assert.Contains("Ortho's layout", Cli.Succeeds("convert", fixture, "--to", "ortho", "--out", tmp.File("ortho.safetensors")));
        Assert.Contains("Ortho model file", Cli.Succeeds("inspect", tmp.File("ortho.safetensors")));
        Assert.Contains("torchortho's layout", Cli.Succeeds("convert", tmp.File("ortho.safetensors"), "--to", "torchortho", "--out", tmp.File("torch.safetensors")));
        var peer = SafeTensorsFile.Read(fixture);
        var back = SafeTensorsFile.Read(tmp.File("torch.safetensors"));
        foreach (var e in peer.Entries) Assert.True(e.Data.Span.SequenceEqual(back[e.Name].Data.Span), e.Name);
        Assert.Equal(peer.Count, back.Count);
    }

    [Fact]
    public void WhatTheWeightsCannotTellIsAskedFor()
    {
        using var tmp = new TempDirectory();
        string convnext = Path.Combine(Fixtures.Directory, "convnext-tiny-tropical3.safetensors");
        Assert.Contains("image size unknown", Cli.Succeeds("inspect", convnext));
        Cli.FailsWith(["convert", convnext, "--to", "ortho", "--out", tmp.File("c.safetensors")], "image size", "--image-size");
        Cli.Succeeds("convert", convnext, "--to", "ortho", "--out", tmp.File("c.safetensors"), "--image-size", "16");
        Cli.FailsWith(["convert", convnext, "--to", "onnx", "--out", tmp.File("c.onnx")], "--to", "'onnx'");
    }
}
