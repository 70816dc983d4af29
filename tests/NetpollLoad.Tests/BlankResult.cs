namespace Netpoll.Load.Tests;

/// <summary>A result with only what a result requires, none of it measured: tests set what they look at with <c>with</c>.</summary>
internal static class BlankResult
{
    public static LoadResult Of(string target = "127.0.0.1:8080") => new()
    {
        Pattern = LoadPattern.PingPong,
        Target = target,
        StartTime = DateTimeOffset.UnixEpoch,
        ConnectionsRequested = 1,
        ConnectionsOpened = 0,
        PeakConnections = 0,
        ConnectFailures = 0,
        Requests = 0,
        RequestsFailed = 0,
        BytesSent = 0,
        BytesReceived = 0,
        Elapsed = TimeSpan.FromSeconds(1),
        RequestsPerSecond = 0,
        ThroughputBytesPerSecond = 0,
        ErrorsByKind = LoadErrors.None,
        StopReason = "Duration",
    };
}
