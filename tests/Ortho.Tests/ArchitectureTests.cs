using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Xunit;

namespace Ortho.Tests;

/// <summary>
/// The layering rules of docs/architecture.md that hold strictly: the kernels import nothing above them, the tensor
/// and tape floor imports only the kernels, and the CLI sees the library's public API only.
/// </summary>
public partial class ArchitectureTests
{
    [Theory]
    [InlineData("src/Ortho/Kernels", "Ortho.Kernels")]
    [InlineData("src/Ortho/Tensors", "Ortho.Kernels Ortho.Autograd Ortho.Engine")]
    [InlineData("src/Ortho/Autograd", "Ortho.Kernels Ortho.Autograd Ortho.Engine")]
    [InlineData("src/Ortho/Engine", "Ortho.Kernels Ortho.Engine")]
    public void FolderImportsOnlyItsFloorAndBelow(string folder, string allowed)
    {
        var prefixes = allowed.Split(' ');
        string root = RepoRoot(), dir = Path.Combine(root, folder);
        var files = Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        var violations = new List<string>();
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i].TrimStart();
                if (line.StartsWith("//", StringComparison.Ordinal)) continue;
                foreach (Match m in OrthoName().Matches(line))
                {
                    string name = m.Value;
                    if (!prefixes.Any(p => name == p || name.StartsWith(p + ".", StringComparison.Ordinal)))
                        violations.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {name}");
                }
            }
        }
        Assert.True(violations.Count == 0, $"{folder} may use only {allowed}:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void CliSeesOnlyThePublicApi()
    {
        var friends = typeof(Tensor).Assembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToList();
        Assert.NotEmpty(friends); // the tests are a friend: the attribute is read
        Assert.DoesNotContain(friends, f => f.StartsWith("Ortho.Cli", StringComparison.Ordinal));
    }

    /// <summary>A namespace-qualified name inside Ortho (Ortho.X.Y), as a using directive or in code.</summary>
    [GeneratedRegex(@"(?<![\w.])Ortho(\.[A-Z]\w*)+")]
    private static partial Regex OrthoName();

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Ortho.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("Ortho.slnx not found above " + AppContext.BaseDirectory);
    }
}
