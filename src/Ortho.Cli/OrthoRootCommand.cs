using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Ortho.Cli;

/// <summary>
/// The root command, named <c>ortho</c> whatever the binary is called: System.CommandLine's RootCommand takes its
/// name from the executable (Ortho.Cli.dll, also when installed as a .NET tool), which help and errors would show.
/// It carries what RootCommand would add: --help, and --version (package version and git commit).
/// </summary>
internal sealed class OrthoRootCommand : Command
{
    public OrthoRootCommand(string description) : base("ortho", description)
    {
        Options.Add(new HelpOption());
        Options.Add(new VersionOption { Action = new PrintVersion() });
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(BuildInfo.VersionLine);
            return 0;
        }
    }
}
