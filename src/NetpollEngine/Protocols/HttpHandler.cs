using System.Buffers;
using System.Text;
using System.Text.Json;
using Netpoll.Connections;
using Netpoll.Diagnostics;

namespace Netpoll.Protocols;

/// <summary>
/// A plaintext HTTP/1.1 responder for load tests and health checks, written against the public API:
/// keep-alive and pipelining; <c>GET /</c> → 200 "Hello, World!"; <c>GET /stats</c> → the server's
/// counters as JSON; other paths 404; methods other than GET/HEAD 405. A malformed request gets 400
/// and the connection closed; a header section over 8 KiB gets 431 and the connection closed.
/// Request bodies (Content-Length) are read and ignored; chunked bodies get 501.
/// </summary>
public sealed class HttpHandler : ConnectionHandler
{
    /// <summary>Largest request line plus headers accepted.</summary>
    public const int MaxHeaderBytes = 8 * 1024;

    /// <summary>Largest request body accepted (and skipped).</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    private static ReadOnlySpan<byte> HeaderEnd => "\r\n\r\n"u8;

    private static readonly byte[] HelloBody = "Hello, World!"u8.ToArray();

    private readonly Func<IReadOnlyList<PollerStats>>? _stats;

    /// <param name="stats">Source of the counters served at GET /stats (the server's <see cref="EventLoop.GetStats"/>).</param>
    public HttpHandler(Func<IReadOnlyList<PollerStats>>? stats = null) => _stats = stats;

    /// <summary>True: parsing and answering never block (a flush that must wait awaits), so
    /// <see cref="DispatchMode.Auto"/> runs it on the poller thread. The stats source must not block either.</summary>
    public override bool NeverBlocks => true;

    public override async ValueTask OnRequestAsync(Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        bool wrote = false;
        bool close = false;
        while (!close && TryHandleOne(connection, out close))
        {
            wrote = true;
        }

        if (wrote || close)
        {
            await connection.Writer.FlushAsync().ConfigureAwait(false);
        }

        if (close)
        {
            connection.Close();
        }
    }

    /// <summary>Answers one complete request if one is buffered. False: need more bytes (or answered an error and must close).</summary>
    private bool TryHandleOne(Connection connection, out bool close)
    {
        close = false;
        ConnectionReader reader = connection.Reader;
        ReadOnlySequence<byte> buffered = reader.GetReadableSequence();
        if (buffered.IsEmpty)
        {
            return false;
        }

        var scan = new SequenceReader<byte>(buffered);
        if (!scan.TryReadTo(out ReadOnlySequence<byte> head, HeaderEnd, advancePastDelimiter: true))
        {
            if (buffered.Length > MaxHeaderBytes)
            {
                WriteError(connection.Writer, 431, "Request Header Fields Too Large");
                close = true;
            }

            return false;
        }

        if (head.Length + HeaderEnd.Length > MaxHeaderBytes)
        {
            WriteError(connection.Writer, 431, "Request Header Fields Too Large");
            close = true;
            return false;
        }

        Span<byte> copy = stackalloc byte[MaxHeaderBytes];
        ReadOnlySpan<byte> text = head.IsSingleSegment ? head.FirstSpan : CopyTo(head, copy);
        if (!HttpRequestHead.TryParse(text, out HttpRequestHead request))
        {
            WriteError(connection.Writer, 400, "Bad Request");
            close = true;
            return false;
        }

        if (request.Chunked)
        {
            WriteError(connection.Writer, 501, "Not Implemented");
            close = true;
            return false;
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            WriteError(connection.Writer, 413, "Content Too Large");
            close = true;
            return false;
        }

        long total = scan.Consumed + request.ContentLength;
        if (buffered.Length < total)
        {
            return false; // the body is still arriving
        }

        reader.Skip((int)total);
        close = !request.KeepAlive;
        Respond(connection.Writer, request, close);
        return true;
    }

    private void Respond(ConnectionWriter writer, in HttpRequestHead request, bool close)
    {
        if (!request.IsGetOrHead)
        {
            WriteResponse(writer, 405, "Method Not Allowed", "text/plain", "Method Not Allowed"u8, request.IsHead, close, "Allow: GET, HEAD\r\n");
            return;
        }

        switch (request.Target)
        {
            case HttpTarget.Root:
                WriteResponse(writer, 200, "OK", "text/plain", HelloBody, request.IsHead, close);
                break;
            case HttpTarget.Stats:
                WriteResponse(writer, 200, "OK", "application/json", StatsJson(), request.IsHead, close);
                break;
            default:
                WriteResponse(writer, 404, "Not Found", "text/plain", "Not Found"u8, request.IsHead, close);
                break;
        }
    }

    private byte[] StatsJson()
    {
        IReadOnlyList<PollerStats> pollers = _stats?.Invoke() ?? [];
        var output = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteNumber("connections", pollers.Sum(p => p.Connections));
            json.WriteNumber("accepted", pollers.Sum(p => p.Accepted));
            json.WriteNumber("closed", pollers.Sum(p => p.Closed));
            json.WriteNumber("bytesIn", pollers.Sum(p => p.BytesIn));
            json.WriteNumber("bytesOut", pollers.Sum(p => p.BytesOut));
            json.WriteStartArray("pollers");
            foreach (PollerStats p in pollers)
            {
                json.WriteStartObject();
                json.WriteNumber("id", p.PollerId);
                json.WriteNumber("connections", p.Connections);
                json.WriteNumber("events", p.Events);
                json.WriteNumber("bytesIn", p.BytesIn);
                json.WriteNumber("bytesOut", p.BytesOut);
                json.WriteNumber("busyPercent", Math.Round(p.BusyPercent, 2));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    private static void WriteError(ConnectionWriter writer, int status, string reason) =>
        WriteResponse(writer, status, reason, "text/plain", Encoding.ASCII.GetBytes(reason), headOnly: false, close: true);

    private static void WriteResponse(ConnectionWriter writer, int status, string reason, string contentType, ReadOnlySpan<byte> body, bool headOnly, bool close, string extraHeaders = "")
    {
        // One contiguous span per response keeps this to a single buffer reservation.
        int headerBudget = 160 + reason.Length + contentType.Length + extraHeaders.Length;
        Span<byte> span = writer.GetSpan(headerBudget + (headOnly ? 0 : body.Length));
        int n = 0;
        n += Ascii(span[n..], "HTTP/1.1 ");
        n += Digits(span[n..], status);
        span[n++] = (byte)' ';
        n += Ascii(span[n..], reason);
        n += Ascii(span[n..], "\r\nServer: Netpoll\r\nContent-Type: ");
        n += Ascii(span[n..], contentType);
        n += Ascii(span[n..], "\r\nContent-Length: ");
        n += Digits(span[n..], body.Length);
        n += Ascii(span[n..], "\r\nDate: ");
        HttpDate.Current.CopyTo(span[n..]);
        n += HttpDate.Current.Length;
        n += Ascii(span[n..], "\r\n");
        n += Ascii(span[n..], extraHeaders);
        if (close)
        {
            n += Ascii(span[n..], "Connection: close\r\n");
        }

        n += Ascii(span[n..], "\r\n");
        if (!headOnly)
        {
            body.CopyTo(span[n..]);
            n += body.Length;
        }

        writer.Advance(n);
    }

    private static int Ascii(Span<byte> destination, string text) => Encoding.ASCII.GetBytes(text, destination);

    private static int Digits(Span<byte> destination, int value)
    {
        value.TryFormat(destination, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        return written;
    }

    private static ReadOnlySpan<byte> CopyTo(in ReadOnlySequence<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return destination[..(int)source.Length];
    }
}
