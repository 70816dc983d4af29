using Netpoll.Buffers;

namespace Netpoll.Tests.Buffers;

/// <summary>
/// With <see cref="BufferPoolOptions.PoisonOnReturn"/> a view used after Release shows 0xDD instead of stale,
/// plausible data. The option is set explicitly so this holds in Release builds too.
/// </summary>
public class LinkBufferPoisoningTests
{
    private const byte Poison = 0xDD;

    // 100 bytes over 64-byte blocks: a full first node and a partly filled tail. None of them is 0xDD.
    private static readonly byte[] Data = Enumerable.Range(0, 100).Select(i => (byte)(i + 1)).ToArray();

    [Fact]
    public void Zero_copy_views_of_a_released_node_and_of_the_given_back_tail_read_poison()
    {
        using var pool = NewPool(poison: true);
        using LinkBuffer buffer = Filled(pool);

        ReadOnlyMemory<byte> inFirstNode = buffer.Next(64);
        ReadOnlyMemory<byte> inTail = buffer.Next(36);
        Assert.Equal(Data[..64], inFirstNode.ToArray());
        Assert.Equal(Data[64..], inTail.ToArray());

        buffer.Release();

        Assert.False(buffer.HoldsMemory);
        AssertPoisoned(inFirstNode);
        AssertPoisoned(inTail);
    }

    [Fact]
    public void An_assembled_view_across_nodes_reads_poison_after_Release()
    {
        using var pool = NewPool(poison: true);
        using LinkBuffer buffer = Filled(pool);
        buffer.Skip(10);

        ReadOnlyMemory<byte> acrossNodes = buffer.Next(80); // bytes 10..89 span both blocks: copied into a pooled block
        Assert.Equal(Data[10..90], acrossNodes.ToArray());

        buffer.Release();

        AssertPoisoned(acrossNodes);
    }

    [Fact]
    public void A_Peek_view_reads_poison_once_its_bytes_are_skipped_and_released()
    {
        using var pool = NewPool(poison: true);
        using LinkBuffer buffer = Filled(pool);

        ReadOnlyMemory<byte> peeked = buffer.Peek(64);
        buffer.Skip(100);
        buffer.Release();

        AssertPoisoned(peeked);
    }

    [Fact]
    public void Without_poisoning_a_released_view_still_shows_the_old_bytes()
    {
        // The control: 0xDD above comes from the option, not from something else overwriting the blocks.
        using var pool = NewPool(poison: false);
        using LinkBuffer buffer = Filled(pool);

        ReadOnlyMemory<byte> view = buffer.Next(64);
        buffer.Release();

        Assert.Equal(Data[..64], view.ToArray());
    }

    private static BufferPool NewPool(bool poison) =>
        new(new BufferPoolOptions { PoisonOnReturn = poison, TrimInterval = TimeSpan.Zero });

    private static LinkBuffer Filled(BufferPool pool)
    {
        var buffer = new LinkBuffer(pool, blockSize: 64);
        buffer.WriteBinary(Data.AsSpan(0, 64)); // fills the first block exactly
        buffer.WriteBinary(Data.AsSpan(64));    // so the rest goes to a second one
        buffer.Flush();
        return buffer;
    }

    private static void AssertPoisoned(ReadOnlyMemory<byte> view)
    {
        int clean = view.Span.IndexOfAnyExcept(Poison);
        Assert.True(clean < 0, $"Byte {clean} of a {view.Length}-byte view released earlier reads 0x{(clean < 0 ? 0 : view.Span[clean]):X2}, not 0x{Poison:X2}.");
    }
}
