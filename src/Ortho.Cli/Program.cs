namespace Ortho.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.WriteLine("ortho: commands are being built");
        return 0;
    }
}
