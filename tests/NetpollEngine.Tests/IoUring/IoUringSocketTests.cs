using System.Net;
using System.Net.Sockets;
using Netpoll.Interop;
using Netpoll.Polling;
using Kernel = Netpoll.Interop.IoUring;

namespace Netpoll.Tests.IoUring;

public unsafe class IoUringSocketTests
{
    private const ulong AcceptData = 1;
    private const ulong RecvData = 2;
    private const ulong CancelData = 3;
    private const ulong SendData = 4;
    private const ushort Group = 5;

    [Fact]
    public void A_multishot_accept_posts_one_fd_per_connection_until_it_is_cancelled()
    {
        using IoUringRing ring = RingHarness.CreateRing();
        using Socket listener = RingHarness.Listen();
        RingHarness.Sqe(ring)->PrepareAccept(RingHarness.FdOf(listener), SocketConstants.SOCK_NONBLOCK | SocketConstants.SOCK_CLOEXEC, multishot: true, AcceptData);
        ring.Submit();

        var clients = Enumerable.Range(0, 3).Select(_ => RingHarness.Connect(listener.LocalEndPoint!)).ToList();
        var accepted = new List<Socket>();
        try
        {
            List<IoUringCqe> cqes = RingHarness.WaitFor(ring, c => c.Count >= 3, "three accepts");
            foreach (IoUringCqe cqe in cqes)
            {
                Assert.Equal(AcceptData, cqe.UserData);
                Assert.True(cqe.Result >= 0, $"accept failed: {cqe}");
                Assert.True(cqe.HasMore, "the multishot accept stays armed");
                accepted.Add(new Socket(new SafeSocketHandle(cqe.Result, ownsHandle: true)));
            }

            // Each fd is one of the clients' connections, each client accepted once.
            Assert.Equal(
                clients.Select(c => ((IPEndPoint)c.LocalEndPoint!).Port).Order(),
                accepted.Select(s => ((IPEndPoint)s.RemoteEndPoint!).Port).Order());

            RingHarness.Sqe(ring)->PrepareCancel(AcceptData, 0, CancelData);
            List<IoUringCqe> ends = RingHarness.WaitFor(ring, c => c.Count >= 2, "the cancel and the accept's last completion");
            Assert.Equal(0, ends.Single(c => c.UserData == CancelData).Result);
            IoUringCqe last = ends.Single(c => c.UserData == AcceptData);
            Assert.Equal(-Kernel.ECANCELED, last.Result);
            Assert.False(last.HasMore, "a cancelled multishot posts no more");
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
            accepted.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void A_multishot_receive_fills_ring_buffers_and_is_rearmed_when_they_run_out()
    {
        const int Buffers = 4;
        const int BufferSize = 64;
        using IoUringRing ring = RingHarness.CreateRing();
        using IoUringBufferRing buffers = RingHarness.RegisterBuffers(ring, Group, Buffers, BufferSize);
        using LoopbackPair pair = LoopbackPair.Open();
        RingHarness.Sqe(ring)->PrepareRecvProvided(pair.ServerFd, Group, multishot: true, RecvData);

        // Sixteen times what the ring holds, sent at once: the receive must run dry (ENOBUFS) and be re-armed.
        byte[] sent = Enumerable.Range(0, Buffers * BufferSize * 16).Select(i => (byte)(i * 7)).ToArray();
        pair.Client.Send(sent);
        var received = new MemoryStream();
        int rearms = 0;
        var seenIds = new HashSet<ushort>();
        var batch = new IoUringCqe[16];
        long until = Environment.TickCount64 + RingHarness.TimeoutMs;
        while (received.Length < sent.Length)
        {
            Assert.True(Environment.TickCount64 < until, $"received {received.Length} of {sent.Length} bytes before the timeout");
            ring.SubmitAndWait(minComplete: 1, timeoutMs: 100);
            int n = ring.Reap(batch);
            for (int i = 0; i < n; i++)
            {
                IoUringCqe cqe = batch[i];
                Assert.Equal(RecvData, cqe.UserData);
                if (cqe.Result == -Kernel.ENOBUFS)
                {
                    Assert.False(cqe.HasMore, "running dry ends the multishot receive");
                    rearms++;
                    RingHarness.Sqe(ring)->PrepareRecvProvided(pair.ServerFd, Group, multishot: true, RecvData);
                    continue;
                }

                Assert.True(cqe.Result > 0 && cqe.HasBuffer, $"unexpected completion {cqe}");
                buffers.Take(cqe.BufferId);
                seenIds.Add(cqe.BufferId);
                received.Write(buffers.GetSpan(cqe.BufferId, cqe.Result));
                buffers.Recycle(cqe.BufferId);
                if (!cqe.HasMore)
                {
                    rearms++;
                    RingHarness.Sqe(ring)->PrepareRecvProvided(pair.ServerFd, Group, multishot: true, RecvData);
                }
            }

            buffers.Publish(); // once per loop turn, as a poller would
        }

        Assert.Equal(sent, received.ToArray());
        Assert.True(rearms >= 1, "the receive outran four buffers at least once");
        Assert.Equal(Buffers, seenIds.Count);
        Assert.All(seenIds, id => Assert.InRange(id, (ushort)0, (ushort)(Buffers - 1)));
    }

    [Fact]
    public void The_peer_closing_ends_a_multishot_receive_with_a_final_zero()
    {
        using IoUringRing ring = RingHarness.CreateRing();
        using IoUringBufferRing buffers = RingHarness.RegisterBuffers(ring, Group, 8, 1024);
        using LoopbackPair pair = LoopbackPair.Open();
        RingHarness.Sqe(ring)->PrepareRecvProvided(pair.ServerFd, Group, multishot: true, RecvData);
        pair.Client.Send("bye"u8.ToArray());
        pair.Client.Shutdown(SocketShutdown.Send);

        List<IoUringCqe> cqes = RingHarness.WaitFor(ring, c => c.Any(x => !x.HasMore), "the end of the receive");

        IoUringCqe data = cqes[0];
        Assert.Equal(3, data.Result);
        Assert.Equal("bye"u8.ToArray(), buffers.GetSpan(data.BufferId, 3).ToArray());
        IoUringCqe end = cqes[^1];
        Assert.Equal(0, end.Result);
        Assert.False(end.HasMore);
        Assert.False(end.HasBuffer, "EOF takes no buffer");
    }

    [Fact]
    public void Send_and_sendmsg_deliver_their_bytes_in_order()
    {
        using IoUringRing ring = RingHarness.CreateRing();
        using LoopbackPair pair = LoopbackPair.Open();
        byte[] first = GC.AllocateArray<byte>(100, pinned: true);
        byte[] second = GC.AllocateArray<byte>(200, pinned: true);
        byte[] third = GC.AllocateArray<byte>(300, pinned: true);
        new Random(1).NextBytes(first);
        new Random(2).NextBytes(second);
        new Random(3).NextBytes(third);

        fixed (byte* a = first, b = second, c = third)
        {
            // A gather send, as a flush of LinkBuffer nodes would do; linked so it goes after the plain send.
            IoVector* vectors = stackalloc IoVector[2];
            vectors[0] = new IoVector(b, second.Length);
            vectors[1] = new IoVector(c, third.Length);
            MessageHeader message = default;
            message.Vectors = vectors;
            message.VectorCount = 2;

            IoUringSqe* send = RingHarness.Sqe(ring);
            send->PrepareSend(pair.ServerFd, a, (uint)first.Length, SocketConstants.MSG_NOSIGNAL, SendData);
            send->Flags |= IoUringSqe.IOSQE_IO_LINK;
            RingHarness.Sqe(ring)->PrepareSendMsg(pair.ServerFd, &message, SocketConstants.MSG_NOSIGNAL, SendData + 1);
            ring.Submit(); // the msghdr and iovecs live on this stack: they must be submitted before it unwinds

            List<IoUringCqe> cqes = RingHarness.WaitFor(ring, x => x.Count >= 2, "both sends");
            Assert.Equal(first.Length, cqes.Single(x => x.UserData == SendData).Result);
            Assert.Equal(second.Length + third.Length, cqes.Single(x => x.UserData == SendData + 1).Result);
        }

        byte[] got = new byte[600];
        int total = 0;
        while (total < got.Length)
        {
            int n = pair.Client.Receive(got, total, got.Length - total, SocketFlags.None);
            Assert.True(n > 0, "the peer sees all 600 bytes before any close");
            total += n;
        }

        Assert.Equal([.. first, .. second, .. third], got);
    }

    [Fact]
    public void Cancelling_by_fd_ends_a_multishot_receive_and_counts_what_it_cancelled()
    {
        using IoUringRing ring = RingHarness.CreateRing();
        using IoUringBufferRing buffers = RingHarness.RegisterBuffers(ring, Group, 8, 1024);
        using LoopbackPair pair = LoopbackPair.Open();
        RingHarness.Sqe(ring)->PrepareRecvProvided(pair.ServerFd, Group, multishot: true, RecvData);
        ring.SubmitAndWait(minComplete: 0, timeoutMs: 0);

        RingHarness.Sqe(ring)->PrepareCancelFd(pair.ServerFd, CancelData);
        List<IoUringCqe> cqes = RingHarness.WaitFor(ring, c => c.Count >= 2, "the cancel and the receive's end");

        Assert.Equal(1, cqes.Single(c => c.UserData == CancelData).Result);
        IoUringCqe end = cqes.Single(c => c.UserData == RecvData);
        Assert.Equal(-Kernel.ECANCELED, end.Result);
        Assert.False(end.HasMore);
    }
}
