using Netpoll.Buffers;

namespace Netpoll.Tests.Buffers;

/// <summary>A thread's idle stack spills to its depot when full and refills from it when dry, losing and doubling nothing.</summary>
public class CachedStackTests
{
    [Fact]
    public void Every_object_put_comes_back_once_through_a_spill_and_a_refill()
    {
        const int capacity = 8;
        var stack = new CachedStack<object>(capacity);
        var depot = new IdleDepot<object>();
        var put = new List<object>();
        for (int i = 0; i < capacity + 3; i++)
        {
            var item = new object();
            put.Add(item);
            stack.Put(item, depot, depotLimit: 1024);
        }

        Assert.Equal(capacity / 2, depot.Count); // one spill, of the top half

        var taken = new HashSet<object>(ReferenceEqualityComparer.Instance);
        while (stack.Take(depot) is { } item)
        {
            Assert.True(taken.Add(item), "an object came back twice");
        }

        Assert.Equal(put.Count, taken.Count);
        Assert.All(put, item => Assert.Contains(item, taken));
        Assert.Equal(0, depot.Count);
    }

    [Fact]
    public void A_spill_past_the_depot_limit_drops_the_spilled_half_and_keeps_the_rest()
    {
        const int capacity = 4;
        var stack = new CachedStack<object>(capacity);
        var depot = new IdleDepot<object>();
        var put = Enumerable.Range(0, capacity + 1).Select(_ => new object()).ToList();
        foreach (object item in put)
        {
            stack.Put(item, depot, depotLimit: 0);
        }

        Assert.Equal(0, depot.Count);
        var taken = new List<object>();
        while (stack.Take(depot) is { } item)
        {
            taken.Add(item);
        }

        // The lower half stayed, then the last put: newest first.
        Assert.Equal([put[4], put[1], put[0]], taken);
    }
}
