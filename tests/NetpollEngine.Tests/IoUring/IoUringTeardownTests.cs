using System.Net.Sockets;
using Netpoll.Interop;
using Netpoll.Polling;
using Netpoll.Tests.Support;

namespace Netpoll.Tests.IoUring;

[Collection(ProcessWideCollection.Name)]
public unsafe class IoUringTeardownTests
{
    [Fact]
    public void Rings_torn_down_with_buffer_rings_and_armed_requests_leave_no_fd_behind()
    {
        using Socket listener = RingHarness.Listen();
        using LoopbackPair pair = LoopbackPair.Open();

        // Earlier tests' unreachable sockets close in finalizers: let them close before the count, not during the loop.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        int before = ProcessResources.OpenFds;
        int mappingsBefore = RingMappings();
        int lastRingFd = -1;
        for (int i = 0; i < 50; i++)
        {
            using IoUringRing ring = RingHarness.CreateRing();
            lastRingFd = ring.Fd;
            using IoUringBufferRing buffers = RingHarness.RegisterBuffers(ring, 1, 16, 2048);
            RingHarness.Sqe(ring)->PrepareAccept(RingHarness.FdOf(listener), SocketConstants.SOCK_CLOEXEC, multishot: true, 1);
            RingHarness.Sqe(ring)->PrepareRecvProvided(pair.ServerFd, 1, multishot: true, 2);
            ring.SubmitAndWait(minComplete: 0, timeoutMs: 0);
            Assert.Equal(0u, ring.Ready); // both are armed and waiting, not failed
        }

        Assert.Equal(before, ProcessResources.OpenFds);
        Assert.Equal(mappingsBefore, RingMappings()); // an unmapped ring would live on without its fd
        Assert.False(File.Exists($"/proc/self/fd/{lastRingFd}") && File.ResolveLinkTarget($"/proc/self/fd/{lastRingFd}", false)?.FullName.Contains("io_uring", StringComparison.Ordinal) == true,
            "the last ring's fd is closed");

        // The sockets the rings worked on are untouched and still work.
        pair.Client.Send([1, 2, 3]);
        var got = new byte[3];
        Assert.Equal(3, pair.Server.Receive(got));
    }

    /// <summary>Mappings of io_uring rings in this process (the SQ/CQ rings and the SQE array).</summary>
    private static int RingMappings() => File.ReadLines("/proc/self/maps").Count(l => l.Contains("io_uring", StringComparison.Ordinal));
}
