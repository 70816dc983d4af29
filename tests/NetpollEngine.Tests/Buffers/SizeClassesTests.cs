using Netpoll.Buffers;

namespace Netpoll.Tests.Buffers;

/// <summary>The size-class table: which block a request gets, and how much of it is wasted.</summary>
public class SizeClassesTests
{
    [Fact]
    public void Every_size_up_to_1_MiB_gets_the_smallest_class_that_fits()
    {
        for (int size = 1; size <= SizeClasses.MaxBlockSize; size++)
        {
            int index = SizeClasses.IndexOf(size);
            int block = SizeClasses.SizeOf(index);
            if (block < size || (index > 0 && SizeClasses.SizeOf(index - 1) >= size))
            {
                Assert.Fail($"Size {size} maps to class {index} ({block} B); the smallest class that fits is another.");
            }
        }
    }

    [Fact]
    public void Every_size_up_to_1_MiB_wastes_under_25_percent_of_its_block_unless_it_gets_the_64_byte_minimum()
    {
        // Below 48 B even the smallest block is more than a quarter empty; nothing smaller than 64 B is pooled.
        int worstSize = 0;
        double worst = 0;
        for (int size = 1; size <= SizeClasses.MaxBlockSize; size++)
        {
            int block = SizeClasses.SizeOf(SizeClasses.IndexOf(size));
            if (block == SizeClasses.MinBlockSize)
            {
                continue;
            }

            double waste = (block - size) / (double)block;
            if (waste > worst)
            {
                (worst, worstSize) = (waste, size);
            }
        }

        Assert.True(worst < 0.25, $"Size {worstSize} wastes {worst:P1} of its block.");
    }

    [Fact]
    public void IndexOf_and_SizeOf_are_inverse_and_the_classes_rise_from_64_B_to_1_MiB()
    {
        Assert.Equal(SizeClasses.MinBlockSize, SizeClasses.SizeOf(0));
        Assert.Equal(SizeClasses.MaxBlockSize, SizeClasses.SizeOf(SizeClasses.Count - 1));
        for (int i = 0; i < SizeClasses.Count; i++)
        {
            Assert.Equal(i, SizeClasses.IndexOf(SizeClasses.SizeOf(i)));
            if (i > 0)
            {
                Assert.True(SizeClasses.SizeOf(i) > SizeClasses.SizeOf(i - 1), $"Class {i} is not larger than class {i - 1}.");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(4096)]
    [InlineData(5000)]
    [InlineData(1024 * 1024)]
    public void A_rented_block_has_exactly_its_class_size(int size)
    {
        using var pool = new BufferPool(new BufferPoolOptions { TrimInterval = TimeSpan.Zero });

        BufferBlock block = pool.Rent(size);

        Assert.Equal(SizeClasses.SizeOf(SizeClasses.IndexOf(size)), block.Capacity);
        block.ReleaseReference();
    }

    [Fact]
    public void A_request_above_1_MiB_gets_an_unpooled_block_of_exactly_that_size()
    {
        using var pool = new BufferPool(new BufferPoolOptions { TrimInterval = TimeSpan.Zero });

        BufferBlock block = pool.Rent(SizeClasses.MaxBlockSize + 1);

        Assert.Equal(SizeClasses.MaxBlockSize + 1, block.Capacity);
        Assert.Equal(-1, block.SizeClass);
        block.ReleaseReference();
        Assert.Equal(0, pool.GetStatistics().RetainedBytes);
    }
}
