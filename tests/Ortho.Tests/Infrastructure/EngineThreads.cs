using Ortho;

namespace Ortho.Tests.Infrastructure;

/// <summary>Runs test code at a given <see cref="EngineSettings.Threads"/>, restoring the previous value afterwards.</summary>
public static class EngineThreads
{
    public static void With(int threads, Action body)
    {
        int saved = EngineSettings.Threads;
        try
        {
            EngineSettings.Threads = threads;
            body();
        }
        finally { EngineSettings.Threads = saved; }
    }

    public static T With<T>(int threads, Func<T> body)
    {
        T result = default!;
        With(threads, () => { result = body(); });
        return result;
    }
}
