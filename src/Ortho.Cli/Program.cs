using System.CommandLine;
using Ortho.Cli.Commands;
using Spectre.Console;

[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Ortho.Tests")]

namespace Ortho.Cli;

/// <summary>The <c>ortho</c> command: train, bench, inspect, fit.</summary>
internal static class Program
{
    private static int Main(string[] args) => Run(args);

    /// <summary>
    /// Runs the command line <paramref name="args"/> and returns the exit code: 0 on success, 2 for bad input or data
    /// (one line on stderr naming the problem), 1 for a bug (with the stack trace), 130 when a run was interrupted.
    /// </summary>
    internal static int Run(string[] args)
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

    /// <summary>
    /// Runs <paramref name="args"/> in this process with standard output and error (plain and Spectre.Console) sent to
    /// the given writers and the process-wide thread count restored afterwards; for tests. Not thread-safe: the
    /// console is process-wide.
    /// </summary>
    internal static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var (savedOut, savedErr, savedAnsi, savedThreads) = (Console.Out, Console.Error, AnsiConsole.Console, EngineSettings.Threads);
        Console.SetOut(output);
        Console.SetError(error);
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(output),
        });
        try { return Run(args); }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedErr);
            AnsiConsole.Console = savedAnsi;
            EngineSettings.Threads = savedThreads;
        }
    }
}
