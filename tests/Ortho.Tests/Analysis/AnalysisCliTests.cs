using System.Diagnostics;
using Ortho.Analysis;
using Ortho.Models;
using Ortho.Tests.IO;
using Xunit;

namespace Ortho.Tests.Analysis;

/// <summary>The analysis commands end to end (the built CLI in a child process): outputs, pictures, one-line errors.</summary>
public class AnalysisCliTests
{
    private static (int Code, string Out, string Err) Ortho(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Ortho.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void PolynomialPrintsTheExpansionAndRefusesOneTooLarge()
    {
        using var dir = new TempDirectory();
        var hermite = dir.File("h.safetensors");
        PolynomialTests.RandomHermiteMlp(2, [3], [2], 1, 1).Save(hermite);
        var (code, stdout, _) = Ortho("polynomial", hermite, "--top", "3");
        Assert.Equal(0, code);
        Assert.Contains("output 0: total degree 2, 6 monomials", stdout);
        Assert.Contains("... 3 smaller terms", stdout);

        var deep = dir.File("deep.safetensors");
        PolynomialTests.RandomHermiteMlp(6, [4, 4], [3, 3], 1, 1).Save(deep);
        (code, _, var err) = Ortho("polynomial", deep, "--max-terms", "1000");
        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("5,005 terms", err); // C(6 + 9, 6)
        Assert.Contains("--max-terms", err);

    }

    [Fact]
    public void RegionsCountsAndDrawsTheSliceAndTheLine()
    {
        using var dir = new TempDirectory();
        var model = dir.File("t.safetensors");
        RegionTests.RandomPlMlp(2, [4, 3], ["tropical:3", "tropical_rational:2"], 2).Save(model);
        var outDir = Path.Combine(dir.Path, "pics");
        var (code, stdout, err) = Ortho("regions", model, "--slice", "0,1", "--range", "-2,2", "--line", "-2,0", "--to", "2,1", "--out", outDir, "--sample", "50");
        Assert.True(code == 0, err);
        var net = PiecewiseLinearNetwork.FromMlp(Mlp.Load(model));
        int exact = SliceRegions.Compute(net, 0, 1, (-2, 2), (-2, 2)).Count;
        Assert.Contains($": {exact} regions (exact)", stdout);
        Assert.Contains($": {LineRegions.Compute(net, [-2, 0], [2, 1]).Regions} regions (exact)", stdout);
        foreach (var name in new[] { "regions-slice", "regions-line" })
        {
            var png = File.ReadAllBytes(Path.Combine(outDir, name + ".png"));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            Assert.Contains("<svg", File.ReadAllText(Path.Combine(outDir, name + ".svg")));
        }

    }
}
