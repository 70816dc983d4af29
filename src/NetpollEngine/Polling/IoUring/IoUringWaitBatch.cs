using System.Diagnostics;
using Netpoll.Interop;

namespace Netpoll.Polling;

/// <summary>
/// How many completions a poller's sleeping turn waits for (<see cref="IoUringOptions.CompletionBatch"/>), and how
/// many microseconds at most it waits for them once one is ready (the kernel's min-wait, 6.12). One completion and
/// no min-wait is the default: wake for the first.
/// </summary>
internal readonly record struct IoUringWaitBatch(uint Completions, uint WaitMicroseconds)
{
    public static IoUringWaitBatch None => new(1, 0);

    /// <summary>The batch <paramref name="options"/> ask for, where the kernel bounds its wait; else <see cref="None"/>, with a warning.</summary>
    public static IoUringWaitBatch For(IoUringOptions options, IoUringFeatures features)
    {
        if (options.CompletionBatch <= 1)
        {
            return None;
        }

        if ((features & IoUringFeatures.MinTimeout) == 0)
        {
            // Without the kernel's bound a batch could hold a lone completion until the timer wheel's next deadline.
            Trace.TraceWarning($"netpoll io_uring: CompletionBatch {options.CompletionBatch} needs Linux 6.12 (IORING_FEAT_MIN_TIMEOUT); this kernel lacks it, so the poller wakes for the first completion.");
            return None;
        }

        return new IoUringWaitBatch((uint)options.CompletionBatch, (uint)Math.Ceiling(options.CompletionBatchWait.TotalMicroseconds));
    }
}
