namespace Netpoll.Protocols;

/// <summary>
/// Why a request is refused before it reaches a route: the status to answer (always with
/// <c>Connection: close</c>, after which the connection closes) and the rule it broke, for logs and tests.
/// </summary>
internal readonly record struct HttpRejection(int Status, string Rule)
{
    public static HttpRejection BadRequest(string rule) => new(400, rule);

    public bool IsRejected => Status != 0;

    public static HttpRejection None => default;
}
