using System.Runtime.CompilerServices;

namespace Netpoll.Tests.Support;

internal static class ThreadPoolWarmUp
{
    /// <summary>
    /// The test host blocks ThreadPool threads of its own; on a 2-core machine that can delay a
    /// handler or a test continuation by hundreds of ms, which timing tests would misread.
    /// </summary>
    [ModuleInitializer]
    internal static void RaiseMinimumThreads() => ThreadPool.SetMinThreads(Math.Max(32, Environment.ProcessorCount * 4), Math.Max(32, Environment.ProcessorCount * 4));
}
