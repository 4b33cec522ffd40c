using System.CommandLine;
using Ortho.Cli.Commands;

namespace Ortho.Cli;

/// <summary>The <c>ortho</c> command: train, bench, inspect, fit.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("Ortho: learnable Hermite, Fourier and tropical activations, and a CPU engine to train them.")
        {
            TrainCommand.Create(),
            BenchCommand.Create(),
            InspectCommand.Create(),
            FitCommand.Create(),
        };
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or InvalidOperationException
            or Training.NonFiniteLossException or NN.StateDictException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"ortho: {e.Message}");
            return 2;
        }
    }
}
