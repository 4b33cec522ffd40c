using System.CommandLine;
using Ortho.Cli.Commands;

namespace Ortho.Cli;

/// <summary>The <c>ortho</c> command: train, bench, inspect, fit.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new OrthoRootCommand("Ortho: learnable Hermite, Fourier and tropical activations, and a CPU engine to train them.")
        {
            TrainCommand.Create(),
            BenchCommand.Create(),
            InspectCommand.Create(),
            FitCommand.Create(),
            MlpCommand.Create(),
            PolynomialCommand.Create(),
            RegionsCommand.Create(),
            VarianceCommand.Create(),
        };
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            // Kernels run under Parallel.For, which wraps what they throw.
            while (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
            bool expected = e is ArgumentException or FormatException or IOException or InvalidDataException or InvalidOperationException or System.Text.Json.JsonException
                or OverflowException or Training.NonFiniteLossException or NN.StateDictException or UnauthorizedAccessException;
            Console.Error.WriteLine($"ortho: {e.Message}");
            if (!expected || Environment.GetEnvironmentVariable("ORTHO_DEBUG") == "1") Console.Error.WriteLine(e);
            return expected ? 2 : 1;
        }
    }
}
