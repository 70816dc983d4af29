using System.Collections.Concurrent;
using Netpoll.Buffers;

namespace Netpoll.Tests.Buffers;

/// <summary>A block is never handed out to two holders at once, however rents and returns are spread over threads.</summary>
public class BufferPoolUniqueRentTests
{
    private const int Threads = 4;
    private const int BlocksPerThread = 1000;
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public void Blocks_held_at_once_on_several_threads_are_distinct_also_after_returning_them_on_other_threads()
    {
        using var pool = new BufferPool(new BufferPoolOptions { TrimInterval = TimeSpan.Zero });
        var held = new List<BufferBlock>[Threads];

        // Round 1 allocates; round 2 rents what the other threads returned (thread caches and the depot).
        for (int round = 0; round < 2; round++)
        {
            RunOnThreads(t =>
            {
                var random = new Random((round * Threads) + t);
                var mine = new List<BufferBlock>(BlocksPerThread);
                for (int i = 0; i < BlocksPerThread; i++)
                {
                    // Sizes from every class region: thread-cached small classes, and (rarer, they are big)
                    // depot-only classes above the thread cache's reach.
                    int size = random.Next(64) switch
                    {
                        0 => random.Next(128 * 1024, BufferPool.MaxPooledBlockSize + 1),
                        < 8 => random.Next(4096, 128 * 1024),
                        < 40 => random.Next(1, 4096),
                        _ => random.Next(1, 256),
                    };
                    mine.Add(pool.Rent(size));
                }

                held[t] = mine;
            });

            BufferBlock[] all = held.SelectMany(h => h).ToArray();
            Assert.Equal(all.Length, all.Distinct(ReferenceEqualityComparer.Instance).Count());
            Assert.All(all, b => Assert.Equal(1, b.Rented));
            Assert.Equal(all.Length, pool.GetStatistics().RentedBlocks);

            // Each thread returns the blocks another thread rented.
            RunOnThreads(t =>
            {
                foreach (BufferBlock block in held[(t + 1) % Threads])
                {
                    block.ReleaseReference();
                }
            });
            Assert.Equal(0, pool.GetStatistics().RentedBlocks);
        }
    }

    [Fact]
    public void Blocks_streamed_from_a_renting_thread_to_a_returning_thread_are_never_held_twice()
    {
        // The LinkBuffer pattern: the writer rents, the reader returns, both at full speed.
        using var pool = new BufferPool(new BufferPoolOptions { TrimInterval = TimeSpan.Zero });
        var inFlight = new ConcurrentQueue<BufferBlock>();
        var holders = new ConcurrentDictionary<BufferBlock, string>(ReferenceEqualityComparer.Instance);
        const int Transfers = 200_000;
        int returned = 0;
        Exception? failure = null;
        var deadline = DateTime.UtcNow + TimeLimit;

        void Hold(BufferBlock block, string who)
        {
            if (!holders.TryAdd(block, who))
            {
                throw new InvalidOperationException($"{who} got a block that {holders[block]} still holds.");
            }

            if (block.Rented != 1)
            {
                throw new InvalidOperationException($"{who} got a block whose Rented flag is {block.Rented}.");
            }
        }

        void Drop(BufferBlock block)
        {
            holders.TryRemove(block, out _);
            block.ReleaseReference();
        }

        var renter = new Thread(() =>
        {
            try
            {
                var random = new Random(1);
                for (int i = 0; i < Transfers && failure is null; i++)
                {
                    BufferBlock block = pool.Rent(random.Next(1, 16 * 1024));
                    Hold(block, "the renting thread");
                    inFlight.Enqueue(block);

                    // Some blocks also come back on this thread, mixing its cache with the other thread's returns.
                    if (random.Next(4) == 0)
                    {
                        BufferBlock own = pool.Rent(random.Next(1, 16 * 1024));
                        Hold(own, "the renting thread");
                        Drop(own);
                    }

                    while (inFlight.Count > 256 && DateTime.UtcNow < deadline)
                    {
                        Thread.Yield();
                    }
                }
            }
            catch (Exception e)
            {
                failure ??= e;
            }
        });
        var returner = new Thread(() =>
        {
            try
            {
                var random = new Random(2);
                while (Volatile.Read(ref returned) < Transfers && failure is null && DateTime.UtcNow < deadline)
                {
                    if (!inFlight.TryDequeue(out BufferBlock? block))
                    {
                        Thread.Yield();
                        continue;
                    }

                    Drop(block);
                    Interlocked.Increment(ref returned);
                    if (random.Next(4) == 0)
                    {
                        BufferBlock own = pool.Rent(random.Next(1, 16 * 1024));
                        Hold(own, "the returning thread");
                        Drop(own);
                    }
                }
            }
            catch (Exception e)
            {
                failure ??= e;
            }
        });

        renter.Start();
        returner.Start();
        Assert.True(renter.Join(TimeLimit) && returner.Join(TimeLimit), $"Not done after {TimeLimit.TotalSeconds} s: {returned} of {Transfers} blocks returned.");
        ThrowIfFailed(failure);
        Assert.Equal(Transfers, returned);
        Assert.Equal(0, pool.GetStatistics().RentedBlocks);
    }

    private static void RunOnThreads(Action<int> body)
    {
        using var start = new Barrier(Threads);
        Exception? failure = null;
        Thread[] threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait(TimeLimit); // all threads rent at the same moment
                body(t);
            }
            catch (Exception e)
            {
                failure ??= e;
            }
        })).ToArray();

        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(TimeLimit), $"A pool thread did not finish within {TimeLimit.TotalSeconds} s.");
        }

        ThrowIfFailed(failure);
    }

    private static void ThrowIfFailed(Exception? failure)
    {
        if (failure is not null)
        {
            throw new InvalidOperationException($"A pool thread failed: {failure.Message}", failure);
        }
    }
}
