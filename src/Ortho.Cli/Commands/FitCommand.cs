using System.CommandLine;

namespace Ortho.Cli.Commands;

internal static class FitCommand
{
    public static Command Create() => new("fit", "Fit a learnable activation to a classical one.");
}
