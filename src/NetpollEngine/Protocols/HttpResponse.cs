namespace Netpoll.Protocols;

/// <summary>
/// What a route answers: status, headers, body, and how to send it (after a delay, chunked, closing the
/// connection after). A static route's response is checked and turned into bytes once, when the route
/// is made; a dynamic route's, each time its callback returns one.
/// </summary>
/// <remarks>
/// The server sets Content-Length or Transfer-Encoding, Connection, Date and Server itself; headers
/// given here may replace Date, Server and Content-Type but not the framing ones.
/// </remarks>
public sealed class HttpResponse
{
    /// <summary>Status code, 200–599 (1xx are not final responses).</summary>
    public int Status { get; init; } = 200;

    /// <summary>Reason phrase; null: the usual one for <see cref="Status"/>.</summary>
    public string? Reason { get; init; }

    /// <summary>Content-Type; null: the body's default (text/plain for text, application/octet-stream for bytes).</summary>
    public string? ContentType { get; init; }

    /// <summary>Extra header fields, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public HttpBody Body { get; init; } = HttpBody.Empty;

    /// <summary>Wait this long before answering (the connection's other requests wait behind it, in order).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Vary the delay uniformly by up to this much either way (never below zero).</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>Send the body with Transfer-Encoding: chunked (HTTP/1.1 clients), in chunks of <see cref="ChunkSize"/> bytes.</summary>
    public bool Chunked { get; init; }

    /// <summary>Bytes per chunk when <see cref="Chunked"/>.</summary>
    public int ChunkSize { get; init; } = 16 * 1024;

    /// <summary>Say Connection: close and close the connection after this response.</summary>
    public bool CloseAfter { get; init; }

    /// <summary>A text response (UTF-8, text/plain unless <paramref name="contentType"/> says otherwise).</summary>
    public static HttpResponse Text(string text, int status = 200, string? contentType = null) =>
        new() { Status = status, Body = HttpBody.FromString(text), ContentType = contentType };

    /// <summary>A JSON response from JSON text.</summary>
    public static HttpResponse Json(string json, int status = 200) =>
        new() { Status = status, Body = HttpBody.FromString(json), ContentType = "application/json" };

    /// <summary>A response with just a status (and no body).</summary>
    public static HttpResponse WithStatus(int status) => new() { Status = status };

    public override string ToString() => $"{Status} {Reason ?? HttpReasonPhrases.For(Status)}, {Body}";
}
