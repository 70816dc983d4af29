using System.Diagnostics;
using Netpoll.Buffers;

namespace Netpoll.Tests.Buffers;

/// <summary>How much idle memory a pool keeps: bounded by MaxRetainedBytes, and given back by trimming when unused.</summary>
public class BufferPoolRetentionTests
{
    private const int BlockSize = 4096;

    [Fact]
    public void After_a_burst_the_depot_keeps_no_more_than_MaxRetainedBytes_and_lets_the_rest_go()
    {
        const long Max = 1024 * 1024;
        using BufferPool pool = DepotOnlyPool(Max);

        ReturnAll(RentMany(pool, 1000)); // 4 MiB back at once

        BufferPoolStatistics stats = pool.GetStatistics();
        Assert.InRange(stats.RetainedBytes, Max - BlockSize + 1, Max); // filled up to the bound, not past it
        Assert.Equal(1000 - (stats.RetainedBytes / BlockSize), stats.TrimmedBlocks);
        Assert.Equal(0, stats.RentedBlocks);
    }

    [Fact]
    public void A_burst_returned_on_several_threads_with_thread_caches_stays_under_MaxRetainedBytes()
    {
        const long Max = 512 * 1024;
        using var pool = new BufferPool(new BufferPoolOptions { MaxRetainedBytes = Max, TrimInterval = TimeSpan.Zero });
        BufferBlock[] blocks = RentMany(pool, 2000);

        // Four threads return a quarter each: their caches fill, then spill into the shared depot.
        Thread[] threads = Enumerable.Range(0, 4)
            .Select(t => new Thread(() => ReturnAll(blocks[(t * 500)..((t + 1) * 500)])))
            .ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "A returning thread did not finish in 30 s.");
        }

        BufferPoolStatistics stats = pool.GetStatistics();
        Assert.InRange(stats.RetainedBytes, 1, Max);
        Assert.True(stats.TrimmedBlocks > 0, "Nothing was let go although far more than the bound came back.");
    }

    [Fact]
    public void Two_trims_with_no_use_in_between_give_every_idle_depot_block_back()
    {
        using BufferPool pool = DepotOnlyPool(64L * 1024 * 1024);
        ReturnAll(RentMany(pool, 100));
        Assert.Equal(100 * BlockSize, pool.GetStatistics().RetainedBytes);

        pool.Trim(); // starts the idle period: nothing has been idle for a whole one yet
        Assert.Equal(100 * BlockSize, pool.GetStatistics().RetainedBytes);

        pool.Trim();
        Assert.Equal(0, pool.GetStatistics().RetainedBytes);
        Assert.Equal(100, pool.GetStatistics().TrimmedBlocks);
    }

    [Fact]
    public void A_block_used_since_the_last_trim_survives_the_next_one()
    {
        using BufferPool pool = DepotOnlyPool(64L * 1024 * 1024);
        ReturnAll(RentMany(pool, 100));
        pool.Trim();

        ReturnAll(RentMany(pool, 1)); // one block is busy during the period

        pool.Trim();
        Assert.Equal(BlockSize, pool.GetStatistics().RetainedBytes);
        pool.Trim();
        Assert.Equal(0, pool.GetStatistics().RetainedBytes);
    }

    [Fact]
    public void The_trim_timer_gives_idle_blocks_back_without_anyone_calling_Trim()
    {
        using var pool = new BufferPool(new BufferPoolOptions
        {
            ThreadCacheBytesPerClass = 0,
            TrimInterval = TimeSpan.FromMilliseconds(20),
        });
        ReturnAll(RentMany(pool, 50));

        var clock = Stopwatch.StartNew();
        while (pool.GetStatistics().RetainedBytes > 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(10);
        }

        Assert.True(pool.GetStatistics().RetainedBytes == 0, $"{pool.GetStatistics().RetainedBytes} B still retained 10 s after the last use with a 20 ms trim interval.");
    }

    /// <summary>No thread cache: every returned block goes to the shared depot, where the bound and trimming apply.</summary>
    private static BufferPool DepotOnlyPool(long maxRetained) => new(new BufferPoolOptions
    {
        MaxRetainedBytes = maxRetained,
        ThreadCacheBytesPerClass = 0,
        TrimInterval = TimeSpan.Zero,
    });

    private static BufferBlock[] RentMany(BufferPool pool, int count) =>
        Enumerable.Range(0, count).Select(_ => pool.Rent(BlockSize)).ToArray();

    private static void ReturnAll(IEnumerable<BufferBlock> blocks)
    {
        foreach (BufferBlock block in blocks)
        {
            block.ReleaseReference();
        }
    }
}
