using System.Diagnostics;
using Netpoll.Interop;
using Netpoll.Polling;
using Kernel = Netpoll.Interop.IoUring;

namespace Netpoll.Tests.IoUring;

public unsafe class IoUringRingTests
{
    [Fact]
    public void A_nop_comes_back_with_its_user_data()
    {
        using IoUringRing ring = RingHarness.CreateRing();
        RingHarness.Sqe(ring)->PrepareNop(userData: 42);
        Assert.Equal(1u, ring.Pending);

        List<IoUringCqe> cqes = RingHarness.WaitFor(ring, c => c.Count >= 1, "the NOP");

        IoUringCqe cqe = Assert.Single(cqes);
        Assert.Equal(42ul, cqe.UserData);
        Assert.Equal(0, cqe.Result);
        Assert.Equal(0u, ring.Pending);
        Assert.Equal(0u, ring.Ready);
    }

    [Fact]
    public void A_batch_larger_than_the_submission_queue_is_submitted_as_room_is_needed()
    {
        using IoUringRing ring = RingHarness.CreateRing(new IoUringRingOptions { Entries = 4 });
        Assert.Equal(4u, ring.SqEntries);
        for (ulong i = 1; i <= 10; i++)
        {
            RingHarness.Sqe(ring)->PrepareNop(i);
        }

        List<IoUringCqe> cqes = RingHarness.WaitFor(ring, c => c.Count >= 10, "ten NOPs");

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (ulong)i), cqes.Select(c => c.UserData).Order());
    }

    [Fact]
    public void A_wait_with_nothing_to_complete_returns_once_its_timeout_passes()
    {
        using IoUringRing ring = RingHarness.CreateRing();
        var clock = Stopwatch.StartNew();

        int submitted = ring.SubmitAndWait(minComplete: 1, timeoutMs: 50);

        Assert.Equal(0, submitted);
        Assert.Equal(0u, ring.Ready);
        Assert.InRange(clock.ElapsedMilliseconds, 40, RingHarness.TimeoutMs);
    }

    [Fact]
    public void A_kernel_that_has_them_gives_the_ring_single_issuer_and_deferred_task_work()
    {
        using IoUringRing ring = RingHarness.CreateRing();
        if (Environment.OSVersion.Version < new Version(6, 1))
        {
            Assert.Equal(0u, (uint)(ring.SetupFlags & IoUringSetupFlags.DeferTaskRun)); // fell back: still a working ring
            return;
        }

        Assert.True(ring.SetupFlags.HasFlag(IoUringSetupFlags.SingleIssuer | IoUringSetupFlags.DeferTaskRun), $"setup flags: {ring.SetupFlags}");
        Assert.True(ring.Features.HasFlag(IoUringCapabilities.RequiredFeatures), $"features: {ring.Features}");
    }

    [Fact]
    public void Another_thread_is_refused_on_a_single_issuer_ring_and_the_issuer_still_works()
    {
        using IoUringRing ring = RingHarness.CreateRing();
        Exception? refused = RunOnThread(() =>
        {
            RingHarness.Sqe(ring)->PrepareNop(7);
            ring.Submit();
        });

        var error = Assert.IsType<IoUringException>(refused);
        Assert.Equal(Kernel.EEXIST, error.Errno);

        // The refused SQE stays published; the issuer's next enter submits it.
        List<IoUringCqe> cqes = RingHarness.WaitFor(ring, c => c.Count >= 1, "the NOP the other thread prepared");
        Assert.Equal(7ul, Assert.Single(cqes).UserData);
    }

    [Fact]
    public void A_ring_created_disabled_belongs_to_the_thread_that_enables_it()
    {
        using IoUringRing ring = RingHarness.CreateRing(new IoUringRingOptions { StartDisabled = true });
        ulong reaped = 0;
        Exception? failure = RunOnThread(() =>
        {
            ring.Enable();
            RingHarness.Sqe(ring)->PrepareNop(9);
            reaped = Assert.Single(RingHarness.WaitFor(ring, c => c.Count >= 1, "the NOP on the enabling thread")).UserData;
        });

        Assert.Null(failure);
        Assert.Equal(9ul, reaped);
        RingHarness.Sqe(ring)->PrepareNop(10);
        Assert.Equal(Kernel.EEXIST, Assert.Throws<IoUringException>(() => ring.Submit()).Errno);
    }

    [Fact]
    public void An_eventfd_written_from_another_thread_wakes_a_wait_through_a_multishot_poll()
    {
        const uint POLLIN = 0x1;
        using IoUringRing ring = RingHarness.CreateRing();
        int eventFd = Epoll.EventFd(0, Epoll.EFD_NONBLOCK | Epoll.EFD_CLOEXEC);
        Assert.True(eventFd >= 0, $"eventfd failed: errno {Libc.LastError}");
        try
        {
            RingHarness.Sqe(ring)->PreparePollAdd(eventFd, POLLIN, multishot: true, userData: 1);
            for (int wake = 0; wake < 3; wake++)
            {
                var writer = new Thread(() =>
                {
                    Thread.Sleep(20);
                    ulong one = 1;
                    _ = Libc.Write(eventFd, (byte*)&one, sizeof(ulong));
                });
                writer.Start();

                IoUringCqe cqe = Assert.Single(RingHarness.WaitFor(ring, c => c.Count >= 1, $"wake-up {wake}"));
                writer.Join();
                Assert.Equal(1ul, cqe.UserData);
                Assert.True((cqe.Result & POLLIN) != 0, cqe.ToString());
                Assert.True(cqe.HasMore, "a multishot poll stays armed");
                ulong value;
                Assert.Equal(sizeof(ulong), (int)Libc.Read(eventFd, (byte*)&value, sizeof(ulong)));
            }
        }
        finally
        {
            _ = Libc.Close(eventFd);
        }
    }

    private static Exception? RunOnThread(Action action)
    {
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                caught = ex;
            }
        });
        thread.Start();
        Assert.True(thread.Join(RingHarness.TimeoutMs), "the other thread finished");
        return caught;
    }
}
