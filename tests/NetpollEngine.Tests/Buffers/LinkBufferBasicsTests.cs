using System.Text;
using Netpoll.Buffers;

namespace Netpoll.Tests.Buffers;

public class LinkBufferBasicsTests
{
    [Fact]
    public void Written_bytes_are_read_back_across_nodes_and_the_drained_buffer_holds_no_memory()
    {
        using var pool = new BufferPool(new BufferPoolOptions { PoisonOnReturn = true });
        using var buffer = new LinkBuffer(pool, blockSize: 64);
        byte[] data = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        for (int i = 0; i < data.Length; i += 64)
        {
            buffer.WriteBinary(data.AsSpan(i, Math.Min(64, data.Length - i))); // one 64-byte block each
        }

        Assert.Equal(0, buffer.Length);
        buffer.Flush();
        Assert.Equal(300, buffer.Length);

        Assert.Equal(data[..10], buffer.Next(10).ToArray());
        Assert.Equal(data[10..200], buffer.Peek(190).ToArray());
        Assert.Equal(data[10..200], buffer.Next(190).ToArray());
        using LinkBuffer slice = buffer.Slice(50);
        Assert.Equal(data[250..], buffer.Next(50).ToArray());
        buffer.Release();
        Assert.False(buffer.HoldsMemory);
        Assert.Equal(data[200..250], slice.Next(50).ToArray());
        slice.Release();
        Assert.Equal(0, pool.GetStatistics().RentedBlocks);
    }

    [Fact]
    public void Until_and_strings_round_trip()
    {
        using var pool = new BufferPool();
        using var buffer = new LinkBuffer(pool, 64);
        buffer.WriteString("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        buffer.Flush();
        Assert.Equal("GET / HTTP/1.1\r\n", Encoding.ASCII.GetString(buffer.Until((byte)'\n').Span));
        Assert.Equal("Host: x\r\n", buffer.ReadString(9));
        Assert.Equal((byte)'\r', buffer.ReadByte());
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Next(5));
        Assert.Contains("asked for 5 bytes but only 1 are readable", ex.Message, StringComparison.Ordinal);
    }
}

public class LinkBufferAppendFromTests
{
    [Fact]
    public void AppendFrom_moves_bytes_without_copying_and_allocates_nothing_in_steady_state()
    {
        using var pool = new BufferPool(new BufferPoolOptions { PoisonOnReturn = false });
        using var input = new LinkBuffer(pool, blockSize: 256);
        using var output = new LinkBuffer(pool, blockSize: 256);
        byte[] message = [.. Enumerable.Range(0, 1000).Select(i => (byte)i)];
        byte[] received = new byte[message.Length];

        long moved = 0;
        void RoundTrip()
        {
            input.WriteBinary(message);
            input.Flush();
            output.AppendFrom(input, input.Length);
            output.Flush();
            input.Release();
            moved += output.Read(received); // no assertion inside the measured loop: asserting allocates
            output.Release();
        }

        for (int i = 0; i < 100; i++)
        {
            RoundTrip(); // warm the pool's caches
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            RoundTrip();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(1100L * message.Length, moved);
        Assert.Equal(message, received);
        Assert.Throws<ArgumentOutOfRangeException>(() => output.AppendFrom(input, 1));
        Assert.Throws<ArgumentException>(() => output.AppendFrom(output, 0));
    }
}
