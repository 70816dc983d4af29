using System.Buffers;
using Netpoll.Buffers;

namespace Netpoll.Tests.Buffers;

/// <summary>
/// A drained buffer holds no node (not even a placeholder): each way of writing must start from that state,
/// and each way of draining must return to it, with the bytes intact and nothing left rented.
/// </summary>
public class LinkBufferEmptyCycleTests
{
    public enum WriteWay { WriteBinary, Malloc, GetSpanAdvance, ReserveCommit, LinkAndPublish, AppendFrom, LinkedCallerMemory }

    public enum DrainWay { NextRelease, ReadRelease, SkipRelease, SliceRelease, AppendFromRelease }

    public static TheoryData<WriteWay, DrainWay> Ways()
    {
        var data = new TheoryData<WriteWay, DrainWay>();
        foreach (WriteWay write in Enum.GetValues<WriteWay>())
        {
            foreach (DrainWay drain in Enum.GetValues<DrainWay>())
            {
                data.Add(write, drain);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Ways))]
    public void Empty_then_written_then_drained_is_empty_again_every_cycle(WriteWay write, DrainWay drain)
    {
        using var pool = new BufferPool(new BufferPoolOptions { PoisonOnReturn = true });
        using var buffer = new LinkBuffer(pool, blockSize: 64);
        using var other = new LinkBuffer(pool, blockSize: 64);
        int hookRuns = 0;
        int linked = 0;
        Assert.False(buffer.HoldsNode, "A new buffer holds no node.");

        for (int cycle = 0; cycle < 20; cycle++)
        {
            // 1–200 bytes: within the tail, across a block, or a node of their own.
            byte[] message = [.. Enumerable.Range(0, 1 + (cycle * 37 % 200)).Select(i => (byte)(i + cycle))];
            Write(buffer, other, pool, write, message, () => hookRuns++, ref linked);
            Assert.True(buffer.HoldsNode);
            Assert.Equal(message.Length, buffer.Length);

            byte[] read = Drain(buffer, pool, drain, message.Length);
            Assert.Equal(message, read);
            Assert.Equal(0, buffer.Length);
            Assert.False(buffer.HoldsNode, $"cycle {cycle}: the drained buffer still holds a node.");
            Assert.False(buffer.HoldsMemory, $"cycle {cycle}: the drained buffer still holds memory.");

            buffer.Release(); // a Release with no node is a no-op
            Assert.False(buffer.HoldsNode);
        }

        Assert.Equal(linked, hookRuns);
        Assert.False(other.HoldsNode, "AppendFrom drained its source too.");
        Assert.Equal(0, pool.GetStatistics().RentedBlocks);
    }

    [Fact]
    public void A_buffer_with_no_node_rejects_reads_and_accepts_empty_writes()
    {
        using var pool = new BufferPool();
        using var buffer = new LinkBuffer(pool, blockSize: 64);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Next(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(1));
        buffer.Advance(0);
        buffer.Flush();
        Assert.Equal(-1, buffer.IndexOf((byte)'x'));
        Assert.True(buffer.GetReadableSequence().IsEmpty);
        Assert.Equal(0, buffer.Read(new byte[4]));
        Assert.False(buffer.HoldsNode);

        // A write that is not yet flushed keeps its node: a Release in between gives nothing back.
        buffer.WriteBinary("ab"u8);
        buffer.Release();
        Assert.True(buffer.HoldsNode);
        buffer.Flush();
        Assert.Equal("ab"u8.ToArray(), buffer.Next(2).ToArray());
        buffer.Release();
        Assert.False(buffer.HoldsNode);
        Assert.Equal(0, pool.GetStatistics().RentedBlocks);
    }

    [Fact]
    public void A_drained_buffer_gives_its_node_back_to_the_pool_so_cycles_allocate_nothing()
    {
        using var pool = new BufferPool(new BufferPoolOptions { PoisonOnReturn = false });
        using var input = new LinkBuffer(pool, blockSize: 256);
        using var output = new LinkBuffer(pool, blockSize: 256);
        byte[] message = new byte[100];
        byte[] received = new byte[100];

        void Cycle()
        {
            input.WriteBinary(message);
            input.Flush();
            output.AppendFrom(input, input.Length);
            output.Flush();
            input.Release();
            output.Read(received);
            output.Release();
        }

        for (int i = 0; i < 10; i++)
        {
            Cycle();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Cycle();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.False(input.HoldsNode);
        Assert.False(output.HoldsNode);
    }

    private static void Write(LinkBuffer buffer, LinkBuffer other, BufferPool pool, WriteWay way, byte[] message, Action hook, ref int linked)
    {
        switch (way)
        {
            case WriteWay.WriteBinary:
                buffer.WriteBinary(message);
                break;
            case WriteWay.Malloc:
                message.CopyTo(buffer.Malloc(message.Length));
                break;
            case WriteWay.GetSpanAdvance:
                message.CopyTo(buffer.GetSpan(message.Length));
                buffer.Advance(message.Length);
                break;
            case WriteWay.ReserveCommit:
                unsafe
                {
                    PinnedSegment room = buffer.ReserveForRead(message.Length, 128);
                    message.CopyTo(new Span<byte>(room.Pointer, message.Length));
                }

                buffer.CommitReserved(message.Length);
                return; // published
            case WriteWay.LinkAndPublish:
                linked++;
                buffer.LinkAndPublish(message, _ => hook(), null);
                return; // published
            case WriteWay.AppendFrom:
                other.WriteBinary(message);
                other.Flush();
                buffer.AppendFrom(other, message.Length);
                other.Release();
                break;
            case WriteWay.LinkedCallerMemory:
                // At the link threshold caller memory is linked, not copied: a read-only node starts the buffer.
                byte[] large = new byte[LinkBuffer.LinkThreshold];
                message.CopyTo(large, 0);
                linked++;
                buffer.WriteBinary(large.AsMemory(0, message.Length), _ => hook());
                break;
        }

        buffer.Flush();
    }

    private static byte[] Drain(LinkBuffer buffer, BufferPool pool, DrainWay way, int n)
    {
        byte[] result;
        switch (way)
        {
            case DrainWay.NextRelease:
                result = buffer.Next(n).ToArray();
                break;
            case DrainWay.ReadRelease:
                result = new byte[n];
                Assert.Equal(n, buffer.Read(result));
                break;
            case DrainWay.SkipRelease:
                result = buffer.GetReadableSequence().ToArray();
                buffer.Skip(n);
                break;
            case DrainWay.SliceRelease:
                using (LinkBuffer slice = buffer.Slice(n))
                {
                    result = slice.Next(n).ToArray();
                    slice.Release();
                    Assert.False(slice.HoldsNode);
                }

                break;
            default:
                using (var sink = new LinkBuffer(pool, blockSize: 64))
                {
                    sink.AppendFrom(buffer, n);
                    sink.Flush();
                    result = sink.ReadBinary(n);
                    sink.Release();
                    Assert.False(sink.HoldsNode);
                }

                break;
        }

        buffer.Release();
        return result;
    }
}
