using Netpoll.Buffers;

namespace Netpoll.Tests.Buffers;

/// <summary>Returning a block twice is caught, and does not put the block in the pool twice.</summary>
public class BufferPoolMisuseTests
{
    [Fact]
    public void Returning_a_block_twice_throws_and_the_block_is_handed_out_only_once_afterwards()
    {
        using var pool = new BufferPool(new BufferPoolOptions { TrimInterval = TimeSpan.Zero });
        BufferBlock block = pool.Rent(100);
        pool.Return(block);

        var ex = Assert.Throws<InvalidOperationException>(() => pool.Return(block));

        Assert.Contains("returned to its pool twice", ex.Message, StringComparison.Ordinal);
        BufferBlock first = pool.Rent(100);
        BufferBlock second = pool.Rent(100);
        Assert.Same(block, first); // it went back once, to this thread's cache
        Assert.NotSame(first, second);
    }

    [Fact]
    public void Releasing_a_block_more_often_than_it_was_referenced_throws()
    {
        using var pool = new BufferPool(new BufferPoolOptions { TrimInterval = TimeSpan.Zero });
        BufferBlock block = pool.Rent(100);
        block.AddReference();
        block.ReleaseReference();
        block.ReleaseReference(); // the last reference: back to the pool

        var ex = Assert.Throws<InvalidOperationException>(block.ReleaseReference);

        Assert.Contains("released more times than it was referenced", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, pool.GetStatistics().RentedBlocks);
    }

    [Fact]
    public void Renting_from_a_disposed_pool_throws_ObjectDisposedException()
    {
        var pool = new BufferPool(new BufferPoolOptions { TrimInterval = TimeSpan.Zero });
        pool.Dispose();

        Assert.Throws<ObjectDisposedException>(() => pool.Rent(100));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Renting_less_than_one_byte_names_the_size(int size)
    {
        using var pool = new BufferPool(new BufferPoolOptions { TrimInterval = TimeSpan.Zero });

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(size));

        Assert.Contains("at least 1 byte", ex.Message, StringComparison.Ordinal);
        Assert.Equal(size, ex.ActualValue);
    }
}
