namespace Netpoll.Load.Tests;

/// <summary>How many times a failing slot can reconnect in a run: what keeps a hostile server from making the generator spin.</summary>
internal static class ReconnectBound
{
    /// <summary>
    /// The most reconnects one slot makes in <paramref name="elapsed"/> when every connection fails: each waits out its
    /// back-off first (10 ms, doubling to 1 s), and those waits must fit in the run.
    /// </summary>
    public static int PerSlot(TimeSpan elapsed)
    {
        int reconnects = 0;
        TimeSpan waited = TimeSpan.Zero;
        TimeSpan wait = ReconnectBackoff.Shortest;
        while (waited + wait <= elapsed)
        {
            waited += wait;
            reconnects++;
            wait = wait * 2 < ReconnectBackoff.Longest ? wait * 2 : ReconnectBackoff.Longest;
        }

        return reconnects;
    }
}
