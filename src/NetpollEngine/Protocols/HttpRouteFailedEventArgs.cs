namespace Netpoll.Protocols;

/// <summary>A dynamic route's callback threw or returned no valid response; its client got 500 and the server kept serving.</summary>
public sealed class HttpRouteFailedEventArgs(HttpRoute route, HttpRequest request, Exception error) : EventArgs
{
    public HttpRoute Route { get; } = route;

    public HttpRequest Request { get; } = request;

    public Exception Error { get; } = error;
}
