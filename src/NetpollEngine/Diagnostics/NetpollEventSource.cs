using System.Diagnostics.Tracing;

namespace Netpoll.Diagnostics;

/// <summary>
/// The engine's rare events (<c>Netpoll-Engine</c>): servers starting and stopping, accept back-off,
/// backpressure turning on and off, deadlines firing, and failures. Nothing per request goes here.
/// Each event method checks <see cref="EventSource.IsEnabled(EventLevel, EventKeywords)"/> first, so
/// with no listener an event costs a field read; call sites pass values they already hold. Read it in-process with an
/// <see cref="EventListener"/> (the module's -LogLevel does) or out of process with dotnet-trace.
/// </summary>
[EventSource(Name = NetpollDiagnostics.EventSourceName)]
internal sealed class NetpollEventSource : EventSource
{
    public static readonly NetpollEventSource Log = new();

    private NetpollEventSource()
        : base(EventSourceSettings.EtwSelfDescribingEventFormat)
    {
    }

    /// <summary>Event keywords: Server for listener-level events, Connection for per-connection ones, Poller for reactor failures.</summary>
    public static class Keywords
    {
        public const EventKeywords Server = (EventKeywords)1;
        public const EventKeywords Connection = (EventKeywords)2;
        public const EventKeywords Poller = (EventKeywords)4;
    }

    [Event(1, Level = EventLevel.Informational, Keywords = Keywords.Server,
        Message = "Server {0} started on {1} with {2} pollers")]
    public void ServerStarted(string server, string endPoint, int pollers)
    {
        if (IsEnabled(EventLevel.Informational, Keywords.Server))
        {
            WriteEvent(1, server, endPoint, pollers);
        }
    }

    [Event(2, Level = EventLevel.Informational, Keywords = Keywords.Server,
        Message = "Server {0} stopped after {1} ms of shutdown; {2} connections were reset at the deadline")]
    public void ServerStopped(string server, long shutdownMilliseconds, int forcedCloses)
    {
        if (IsEnabled(EventLevel.Informational, Keywords.Server))
        {
            WriteEvent(2, server, shutdownMilliseconds, forcedCloses);
        }
    }

    [Event(3, Level = EventLevel.Warning, Keywords = Keywords.Server,
        Message = "Server {0}: accept on {1} paused for {3} ms ({2}); existing connections keep being served")]
    public void AcceptBackoff(string server, string endPoint, string error, int pauseMilliseconds)
    {
        if (IsEnabled(EventLevel.Warning, Keywords.Server))
        {
            WriteEvent(3, server, endPoint, error, pauseMilliseconds);
        }
    }

    [Event(4, Level = EventLevel.Error, Keywords = Keywords.Server,
        Message = "Server {0}: accept on {1} failed with errno {2}")]
    public void AcceptFailed(string server, string endPoint, int errno)
    {
        if (IsEnabled(EventLevel.Error, Keywords.Server))
        {
            WriteEvent(4, server, endPoint, errno);
        }
    }

    [Event(5, Level = EventLevel.Verbose, Keywords = Keywords.Connection,
        Message = "{0}: connection {1} paused reading with {2} bytes unread (backpressure on)")]
    public void BackpressureOn(string owner, long connectionId, long bufferedBytes)
    {
        if (IsEnabled(EventLevel.Verbose, Keywords.Connection))
        {
            WriteEvent(5, owner, connectionId, bufferedBytes);
        }
    }

    [Event(6, Level = EventLevel.Verbose, Keywords = Keywords.Connection,
        Message = "{0}: connection {1} resumed reading with {2} bytes unread (backpressure off)")]
    public void BackpressureOff(string owner, long connectionId, long bufferedBytes)
    {
        if (IsEnabled(EventLevel.Verbose, Keywords.Connection))
        {
            WriteEvent(6, owner, connectionId, bufferedBytes);
        }
    }

    [Event(7, Level = EventLevel.Verbose, Keywords = Keywords.Connection,
        Message = "{0}: connection {1} {2} timeout fired after {3} ms")]
    public void ConnectionTimedOut(string owner, long connectionId, string kind, long timeoutMilliseconds)
    {
        if (IsEnabled(EventLevel.Verbose, Keywords.Connection))
        {
            WriteEvent(7, owner, connectionId, kind, timeoutMilliseconds);
        }
    }

    [Event(8, Level = EventLevel.Error, Keywords = Keywords.Connection,
        Message = "{0}: connection {1} handler failed with {2}: {3}")]
    public void HandlerFailed(string owner, long connectionId, string exceptionType, string message)
    {
        if (IsEnabled(EventLevel.Error, Keywords.Connection))
        {
            WriteEvent(8, owner, connectionId, exceptionType, message);
        }
    }

    [Event(10, Level = EventLevel.Error, Keywords = Keywords.Connection,
        Message = "{0}: connection {1}: {2} failed with {3}: {4} (answered by the handler; the connection stays)")]
    public void RequestFailed(string owner, long connectionId, string request, string exceptionType, string message)
    {
        if (IsEnabled(EventLevel.Error, Keywords.Connection))
        {
            WriteEvent(10, owner, connectionId, request, exceptionType, message);
        }
    }

    [Event(11, Level = EventLevel.Verbose, Keywords = Keywords.Connection,
        Message = "{0}: connection {1} TLS handshake failed ({2}): {3}")]
    public void TlsHandshakeFailed(string owner, long connectionId, string reason, string message)
    {
        if (IsEnabled(EventLevel.Verbose, Keywords.Connection))
        {
            WriteEvent(11, owner, connectionId, reason, message);
        }
    }

    [Event(9, Level = EventLevel.Error, Keywords = Keywords.Poller,
        Message = "Poller {0}: {1} failed: {2}")]
    public void PollerFailed(int pollerId, string stage, string error)
    {
        if (IsEnabled(EventLevel.Error, Keywords.Poller))
        {
            WriteEvent(9, pollerId, stage, error);
        }
    }
}
