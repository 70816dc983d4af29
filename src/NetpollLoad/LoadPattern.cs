namespace Netpoll.Load;

/// <summary>What each load connection sends, and how it knows a reply is complete.</summary>
public enum LoadPattern
{
    /// <summary>Send a message, wait for the whole echo, repeat: one request in flight per connection.</summary>
    PingPong,

    /// <summary>Keep <see cref="LoadOptions.Pipeline"/> echo requests in flight per connection.</summary>
    Pipelined,

    /// <summary>
    /// HTTP/1.1 requests (<see cref="LoadOptions.HttpRequests"/>; <c>GET /</c> when none are given) with keep-alive,
    /// each response read in full (Content-Length, chunked, or until the server closes); Pipeline > 1 pipelines them.
    /// </summary>
    Http,

    /// <summary>Open the connections and hold them without sending. One the server closes is counted (ClosedEarly) and not replaced, so the test shows what the server holds.</summary>
    Idle,

    /// <summary>
    /// Send <see cref="LoadOptions.Payload"/> and read one reply framed by <see cref="LoadOptions.ResponseSize"/> or
    /// <see cref="LoadOptions.ResponseDelimiter"/>: any request/response protocol over TCP (RESP, memcached, a user's own).
    /// </summary>
    Payload,

    /// <summary>
    /// A new connection per request, to measure connect (and TLS handshake) rate: connect, the handshake when
    /// <see cref="LoadOptions.Tls"/> is set, one HTTP/1.1 request (<see cref="LoadOptions.HttpRequests"/>, <c>GET /</c>
    /// when none) with <c>Connection: close</c>, its response, close, again. A request's latency includes its connect
    /// and handshake; a connect that fails fails its request, and the slot's next connect waits out its back-off. Closed loop only.
    /// </summary>
    Handshake,
}
