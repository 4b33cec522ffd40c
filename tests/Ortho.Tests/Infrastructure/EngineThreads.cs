using Ortho;

namespace Ortho.Tests.Infrastructure;

/// <summary>
/// Runs test code at a given <see cref="EngineSettings.Threads"/>, restoring the previous value afterwards. The setting is
/// global: one lock keeps two test classes that run in parallel from changing it under each other, so a section meant
/// for two threads runs at two. (Classes that set it directly belong to a collection that runs alone.)
/// </summary>
public static class EngineThreads
{
    private static readonly object Gate = new();

    public static void With(int threads, Action body)
    {
        lock (Gate)
        {
            int saved = EngineSettings.Threads;
            try
            {
                EngineSettings.Threads = threads;
                body();
            }
            finally { EngineSettings.Threads = saved; }
        }
    }

    public static T With<T>(int threads, Func<T> body)
    {
        T result = default!;
        With(threads, () => { result = body(); });
        return result;
    }
}
