using System.Diagnostics;

namespace Netpoll.Proxy;

/// <summary>The proxy's time line, in microseconds (toxiproxy's slicer delay is given in them).</summary>
internal static class ProxyClock
{
    public static long NowUs() => Stopwatch.GetElapsedTime(0).Ticks / TimeSpan.TicksPerMicrosecond;

    public static long Micros(TimeSpan span) => span.Ticks / TimeSpan.TicksPerMicrosecond;
}
