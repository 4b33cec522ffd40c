using System.CommandLine;

namespace Ortho.Cli.Commands;

internal static class InspectCommand
{
    public static Command Create() => new("inspect", "Show a checkpoint's activations: parameters, moments and gains.");
}
