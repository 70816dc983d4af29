namespace Netpoll.Load;

/// <summary>
/// Requests a reused keep-alive connection lost to its close before any of their response arrived (RFC 9112 §9.3.1),
/// carried to the slot's next connection, which sends them before any new request.
/// Exactly one party resolves them: the connection that opens with them (<see cref="Take"/> under its gate), or, when
/// none did (the run stopped, or the slot's reconnects gave up), the reconnect that carried them.
/// </summary>
internal sealed class RequestsToRetry
{
    private InFlightRequest[]? _requests;

    public RequestsToRetry(InFlightRequest[] requests) => _requests = requests;

    /// <summary>The requests, to the first caller; null to every caller after it.</summary>
    public InFlightRequest[]? Take() => Interlocked.Exchange(ref _requests, null);
}
