using System.Net;
using System.Net.Sockets;
using Netpoll.Interop;
using Netpoll.Polling;

namespace Netpoll.Tests.IoUring;

/// <summary>Creates rings for tests and waits (bounded) for completions.</summary>
internal static class RingHarness
{
    public const int TimeoutMs = 10_000;

    /// <summary>A ring, or a failure that says why this machine cannot run the io_uring tests.</summary>
    public static IoUringRing CreateRing(IoUringRingOptions? options = null)
    {
        IoUringSupport support = IoUringRing.TryCreate(options ?? new IoUringRingOptions(), out IoUringRing? ring);
        return ring ?? throw new InvalidOperationException($"io_uring is unavailable here, so this io_uring test cannot run: {support}");
    }

    /// <summary>A provided buffer ring on <paramref name="ring"/>, all buffers with the kernel.</summary>
    public static IoUringBufferRing RegisterBuffers(IoUringRing ring, ushort group, int count, int size)
    {
        IoUringSupport support = IoUringBufferRing.TryRegister(ring, group, count, size, out IoUringBufferRing? buffers);
        return buffers ?? throw new InvalidOperationException($"Registering buffer group {group} failed: {support}");
    }

    /// <summary>Enters and reaps until <paramref name="done"/> holds for what was reaped so far.</summary>
    public static List<IoUringCqe> WaitFor(IoUringRing ring, Func<List<IoUringCqe>, bool> done, string what, int timeoutMs = TimeoutMs)
    {
        var seen = new List<IoUringCqe>();
        var batch = new IoUringCqe[64];
        long until = Environment.TickCount64 + timeoutMs;
        while (!done(seen))
        {
            if (Environment.TickCount64 > until)
            {
                throw new TimeoutException($"Timed out after {timeoutMs} ms waiting for {what}; reaped: {string.Join(", ", seen)}");
            }

            ring.SubmitAndWait(minComplete: 1, timeoutMs: 100);
            int n = ring.Reap(batch);
            seen.AddRange(batch.AsSpan(0, n));
        }

        return seen;
    }

    public static unsafe IoUringSqe* Sqe(IoUringRing ring)
    {
        IoUringSqe* sqe = ring.GetSqe();
        return sqe is not null ? sqe : throw new InvalidOperationException("The submission queue is full.");
    }

    public static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(64);
        return listener;
    }

    public static Socket Connect(EndPoint to)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = TimeoutMs, SendTimeout = TimeoutMs };
        client.Connect(to);
        return client;
    }

    public static int FdOf(Socket socket) => (int)socket.SafeHandle.DangerousGetHandle();
}
