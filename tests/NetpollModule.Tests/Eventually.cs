namespace Netpoll.PowerShell.Tests;

/// <summary>The one bounded polling wait of these tests: a condition becomes true in time, or the test fails saying what it waited for.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <param name="what">What was awaited, for the failure message; <paramref name="detail"/> adds the state seen at the end.</param>
    public static void Until(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null)
    {
        long until = Environment.TickCount64 + (long)(timeout ?? DefaultTimeout).TotalMilliseconds;
        while (!condition())
        {
            if (Environment.TickCount64 > until)
            {
                Assert.Fail($"timed out after {timeout ?? DefaultTimeout} waiting until {what}{(detail is null ? "" : $"; {detail()}")}");
            }

            Thread.Sleep(10);
        }
    }
}
