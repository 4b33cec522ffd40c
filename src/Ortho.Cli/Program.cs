using System.CommandLine;
using System.Text.RegularExpressions;
using Ortho.Cli.Commands;
using Spectre.Console;

[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Ortho.Tests")]

namespace Ortho.Cli;

/// <summary>The <c>ortho</c> command: train, data, bench, inspect, fit, mlp, polynomial, regions.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        AnsiConsole.Console = AnsiConsole.Create(ConsoleSettings(Console.Out, Console.IsOutputRedirected, Environment.GetEnvironmentVariable("NO_COLOR")));
        return Run(args);
    }

    /// <summary>
    /// The console for Spectre.Console's output: on a terminal, colours (none when NO_COLOR is set and not empty) and
    /// redrawing progress; redirected to a file or a pipe, plain text: no ANSI codes, no redrawing, no wrapping.
    /// </summary>
    internal static AnsiConsoleSettings ConsoleSettings(TextWriter output, bool redirected, string? noColor)
    {
        var settings = new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) };
        if (redirected)
        {
            settings.Ansi = AnsiSupport.No;
            settings.ColorSystem = ColorSystemSupport.NoColors;
            settings.Interactive = InteractionSupport.No;
        }
        else if (!string.IsNullOrEmpty(noColor)) settings.ColorSystem = ColorSystemSupport.NoColors;
        return settings;
    }

    /// <summary>
    /// Runs the command line <paramref name="args"/> and returns the exit code: 0 on success, 2 for bad input or data
    /// (one line on stderr naming the problem), 1 for a bug (with the stack trace), 130 when a run was interrupted by
    /// Ctrl-C, 143 by SIGTERM.
    /// </summary>
    internal static int Run(string[] args)
    {
        var root = new OrthoRootCommand("Ortho: learnable Hermite, Fourier and tropical activations, and a CPU engine to train them.")
        {
            TrainCommand.Create(),
            DataCommand.Create(),
            BenchCommand.Create(),
            InspectCommand.Create(),
            ImportCommand.Create(),
            FitCommand.Create(),
            SwapCommand.Create(),
            ConvertCommand.Create(),
            MlpCommand.Create(),
            PolynomialCommand.Create(),
            RegionsCommand.Create(),
            VarianceCommand.Create(),
            PlotCommand.Create(),
            ReportCommand.Create(),
            EvalCommand.Create(),
            GenerateCommand.Create(),
            ExportCommand.Create(),
        };
        // Wide enough that Spectre.Console never wraps a redirected line.
        if (!AnsiConsole.Profile.Capabilities.Interactive) AnsiConsole.Profile.Width = 10_000;
        try
        {
            // ProcessTerminationTimeout = null: System.CommandLine must not handle Ctrl-C/SIGTERM itself. 'train' installs
            // its own handlers (checkpoint, then exit 130/143); the library's would end the process after its timeout
            // (2 s), mid-checkpoint on a loaded machine, with whatever exit code the race produced.
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (Exception e)
        {
            // Kernels run under Parallel.For, which wraps what they throw.
            while (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
            bool expected = e is ArgumentException or FormatException or IOException or InvalidDataException or InvalidOperationException or System.Text.Json.JsonException
                or OverflowException or Training.NonFiniteLossException or NN.StateDictException or UnauthorizedAccessException;
            Console.Error.WriteLine($"ortho: {(expected ? Sentence(e) : e.Message)}");
            if (!expected || Environment.GetEnvironmentVariable("ORTHO_DEBUG") == "1") Console.Error.WriteLine(e);
            return expected ? 2 : 1;
        }
    }

    /// <summary>
    /// An exception's message as one sentence for a person: without .NET's parameter names and actual values, with
    /// the runtime's file-system wording said plainly, lines joined.
    /// </summary>
    internal static string Sentence(Exception e)
    {
        string m = e.Message;
        if (e is ArgumentOutOfRangeException { ActualValue: not null }) m = m.Split('\n')[0].TrimEnd(); // drops "Actual value was ..."
        if (e is ArgumentException { ParamName: { } name }) m = m.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal);
        m = Regex.Replace(m, @"Could not find a part of the path '([^']*)'\.?", "a directory on the path $1 does not exist.");
        m = Regex.Replace(m, @"Could not find file '([^']*)'\.?", "$1 does not exist or cannot be created.");
        m = Regex.Replace(m, @"Access to the path '([^']*)' is denied\.?", "permission denied: $1.");
        m = string.Join("; ", m.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Replace(":;", ":", StringComparison.Ordinal);
        if (m.Length > 0) m = char.ToUpperInvariant(m[0]) + m[1..];
        return m.Length > 0 && ".!?)".Contains(m[^1]) ? m : m + ".";
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
        AnsiConsole.Console = AnsiConsole.Create(ConsoleSettings(output, redirected: true, noColor: null));
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
