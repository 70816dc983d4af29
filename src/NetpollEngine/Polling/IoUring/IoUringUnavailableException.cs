namespace Netpoll.Polling;

/// <summary>A poller could not start io_uring; <see cref="Support"/> says why (the owner's backend reason).</summary>
internal sealed class IoUringUnavailableException(IoUringSupport support) : Exception(support.ToString())
{
    public IoUringSupport Support { get; } = support;
}
