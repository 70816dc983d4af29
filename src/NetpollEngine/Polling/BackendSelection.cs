namespace Netpoll.Polling;

/// <summary>
/// Resolves what an owner asked for (<see cref="PollerBackendKind"/>) into the backend its pollers will run
/// on. io_uring is used only where the kernel offers everything the completion backend needs (probed once
/// per process); where it is refused, epoll runs and the reason says why.
/// </summary>
internal static class BackendSelection
{
    /// <summary>
    /// What Auto does with inline dispatch, where io_uring's batching pays (one enter per loop turn for
    /// receive, handler and send). From the bench (docs/benchmarks.md, "io_uring"): see <see cref="AutoReason"/>.
    /// </summary>
    internal const bool AutoPrefersIoUringInline = true;

    private static readonly Lazy<IoUringSupport> s_ioUring = new(ProbeIoUring);

    /// <summary>Whether this machine can run the io_uring backend, and if not why (probed once per process).</summary>
    public static IoUringSupport IoUring => s_ioUring.Value;

    /// <summary>The backend for <paramref name="requested"/> with handlers that run inline or not.</summary>
    public static BackendChoice Resolve(PollerBackendKind requested, IoUringOptions ioUring, bool inlineDispatch) =>
        Resolve(requested, ioUring, inlineDispatch, OperatingSystem.IsLinux() ? IoUring : IoUringSupport.NotLinux());

    /// <summary>The same, given what io_uring support is (a refusal can be tested on a kernel that allows it).</summary>
    internal static BackendChoice Resolve(PollerBackendKind requested, IoUringOptions ioUring, bool inlineDispatch, IoUringSupport support)
    {
        ArgumentNullException.ThrowIfNull(ioUring);
        bool linux = OperatingSystem.IsLinux();
        bool bsd = OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD();
        string platform = System.Runtime.InteropServices.RuntimeInformation.OSDescription;
        switch (requested)
        {
            case PollerBackendKind.Epoll when linux:
                return new(PollerBackendKind.Epoll, "epoll: asked for.", ioUring);
            case PollerBackendKind.Kqueue when bsd:
                return new(PollerBackendKind.Kqueue, "kqueue: asked for.", ioUring);
            case PollerBackendKind.Epoll or PollerBackendKind.Kqueue:
                throw new PlatformNotSupportedException($"The {requested} backend is not available on {platform}; use Auto.");
            case PollerBackendKind.IoUring when linux:
                return support.IsAvailable
                    ? new(PollerBackendKind.IoUring, "io_uring: asked for.", ioUring)
                    : new(PollerBackendKind.Epoll, $"epoll: io_uring was asked for but is unavailable ({support}).", ioUring);
            case PollerBackendKind.IoUring:
                throw new PlatformNotSupportedException($"io_uring is Linux only; {platform} is not Linux. Use Auto.");
            case PollerBackendKind.Auto when bsd:
                return new(PollerBackendKind.Kqueue, "kqueue: the backend of macOS and FreeBSD.", ioUring);
            case PollerBackendKind.Auto when linux:
                return ResolveAuto(ioUring, inlineDispatch, support);
            case PollerBackendKind.Auto:
                throw new PlatformNotSupportedException($"Netpoll needs epoll (Linux) or kqueue (macOS, FreeBSD); {platform} has neither.");
            default:
                throw new ArgumentOutOfRangeException(nameof(requested), requested, "Backend must be Auto, Epoll, Kqueue or IoUring.");
        }
    }

    /// <summary>
    /// The backend for connections with a transform (TLS). Both kinds run it (ring receives are decoded as reads
    /// are, and encoded output goes out as ring sends), so an explicit <see cref="PollerBackendKind.IoUring"/> stands;
    /// <see cref="PollerBackendKind.Auto"/> keeps epoll: with TLS, io_uring showed no consistent lead (docs/benchmarks.md,
    /// TLS, 2026-11-30: ahead under wrk, behind on keep-alive through the engine's client, even on handshakes).
    /// </summary>
    public static BackendChoice ForTransform(PollerBackendKind requested, BackendChoice choice) =>
        requested == PollerBackendKind.Auto && choice.Kind == PollerBackendKind.IoUring
            ? choice.FallBack(PollerBackendKind.Epoll, "epoll: Auto with TLS (io_uring showed no consistent lead for TLS; ask for IoUring to run TLS on it).")
            : choice;

    private static BackendChoice ResolveAuto(IoUringOptions ioUring, bool inlineDispatch, IoUringSupport support)
    {
        if (!inlineDispatch || !AutoPrefersIoUringInline)
        {
            return new(PollerBackendKind.Epoll, $"epoll: Auto, {AutoReason(inlineDispatch)}", ioUring);
        }

        return support.IsAvailable
            ? new(PollerBackendKind.IoUring, $"io_uring: Auto, {AutoReason(inlineDispatch)}", ioUring)
            : new(PollerBackendKind.Epoll, $"epoll: Auto, io_uring is unavailable ({support}).", ioUring);
    }

    private static string AutoReason(bool inlineDispatch) => inlineDispatch
        ? "inline handlers: io_uring measured ahead of epoll (docs/benchmarks.md)."
        : "handlers on the ThreadPool flush from their own threads, where io_uring saves no syscall (docs/benchmarks.md).";

    private static IoUringSupport ProbeIoUring()
    {
        // A throwaway ring and buffer ring, set up as a poller's would be: what it refuses, a poller would.
        IoUringSupport support = IoUringRing.TryCreate(new IoUringRingOptions { Entries = 8 }, out IoUringRing? ring);
        if (ring is null)
        {
            return support;
        }

        using (ring)
        {
            IoUringSupport buffers = IoUringBufferRing.TryRegister(ring, groupId: 0, count: 2, bufferSize: 256, out IoUringBufferRing? bufferRing);
            bufferRing?.Dispose();
            return buffers.IsAvailable ? support : buffers;
        }
    }
}
