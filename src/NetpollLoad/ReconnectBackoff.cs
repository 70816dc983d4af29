namespace Netpoll.Load;

/// <summary>
/// One connection slot's wait before its next connect, so a server that is down, resets, or answers garbage
/// cannot make the generator spin: after a connect that failed, or a connection that ended having completed
/// no response, the slot waits <see cref="Shortest"/>, doubling up to <see cref="Longest"/>; a completed
/// response puts it back to no wait. One connection per slot at a time (its connect, its close, the next
/// connect, each started by the one before), so the fields need no lock.
/// </summary>
internal sealed class ReconnectBackoff
{
    public static readonly TimeSpan Shortest = TimeSpan.FromMilliseconds(10);
    public static readonly TimeSpan Longest = TimeSpan.FromSeconds(1);

    /// <summary>How long the slot waits before its next connect: zero while its connections complete responses.</summary>
    public TimeSpan Wait { get; private set; }

    /// <summary>The wait had already reached <see cref="Longest"/> when the last failure came.</summary>
    public bool FailedAtLongest { get; private set; }

    /// <summary>A connection of this slot completed a response: the next connect goes at once.</summary>
    public void Answered()
    {
        Wait = TimeSpan.Zero;
        FailedAtLongest = false;
    }

    /// <summary>A connect failed, or a connection ended with nothing completed: the next connect waits longer.</summary>
    public void Failed()
    {
        FailedAtLongest = Wait == Longest;
        Wait = Wait == TimeSpan.Zero ? Shortest : TimeSpan.FromTicks(Math.Min(Wait.Ticks * 2, Longest.Ticks));
    }
}
