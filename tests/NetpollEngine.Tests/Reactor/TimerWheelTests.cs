using Netpoll.Polling;

namespace Netpoll.Tests.Reactor;

/// <summary>The poller's deadline wheel (512 buckets of 10 ms, a 5.12 s lap): when the poller must wake next, and what fires.</summary>
public class TimerWheelTests
{
    [Fact]
    public void An_entry_due_laps_later_does_not_hide_a_nearer_one_in_a_later_bucket()
    {
        var wheel = new TimerWheel(nowMs: 0);
        var far = new Owner();
        var near = new Owner();
        wheel.Schedule(far, 20_050);  // tick 2005: bucket 469 of the lap, passed at 4.69 s, due four laps later
        wheel.Schedule(near, 4_800);  // tick 480: due in this lap, in a later bucket than the far entry's
        Assert.Equal(4_690, wheel.NextTimeout(0));

        var due = new List<IPollable>();
        wheel.Advance(4_690, due);
        Assert.Empty(due); // the far entry's bucket is passed, the entry stays
        Assert.Equal(4_800 - 4_690, wheel.NextTimeout(4_690));
        wheel.Advance(4_800, due);
        Assert.Equal([near], due);
    }

    [Fact]
    public void A_new_earlier_entry_moves_the_next_wake_up_forward()
    {
        var wheel = new TimerWheel(nowMs: 1_000);
        wheel.Schedule(new Owner(), 3_000);
        Assert.Equal(2_000, wheel.NextTimeout(1_000));
        Assert.Equal(1_995, wheel.NextTimeout(1_005)); // asked again: the same bucket
        wheel.Schedule(new Owner(), 1_500);
        Assert.Equal(495, wheel.NextTimeout(1_005));
    }

    [Fact]
    public void Every_entry_fires_exactly_once_and_an_empty_wheel_has_no_timeout()
    {
        var wheel = new TimerWheel(nowMs: 0);
        var owners = Enumerable.Range(0, 50).Select(_ => new Owner()).ToArray();
        for (int i = 0; i < owners.Length; i++)
        {
            wheel.Schedule(owners[i], 100 + (i * 237 % 9_000)); // spread over two laps, out of order
        }

        var fired = new List<IPollable>();
        long now = 0;
        for (int turns = 0; wheel.Count > 0 && turns < 10_000; turns++)
        {
            int timeout = wheel.NextTimeout(now);
            Assert.InRange(timeout, 0, 5_120);
            now += timeout;
            var due = new List<IPollable>();
            wheel.Advance(now, due);
            fired.AddRange(due);
        }

        Assert.Equal(owners.Length, fired.Count);
        Assert.Equal(owners.Length, fired.Distinct().Count());
        Assert.Equal(-1, wheel.NextTimeout(now));
    }

    private sealed class Owner : IPollable
    {
        public void OnReady(ReadyFlags flags)
        {
        }

        public void OnDeadline(long nowMs)
        {
        }
    }
}
