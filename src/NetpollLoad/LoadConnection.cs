using System.Buffers;
using System.Diagnostics;
using System.Text;
using Netpoll.Connections;

namespace Netpoll.Load;

/// <summary>
/// One load connection as a state machine driven by the client poller (inline dispatch): each
/// response that completes sends the next request from the same thread, with no hop. When the
/// connection closes, the requests still in flight fail, so the run's request budget always resolves.
/// </summary>
internal sealed class LoadConnection : ConnectionHandler
{
    private static readonly byte[] HttpRequest = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: netpoll\r\n\r\n");

    private readonly LoadRun _run;
    private readonly long[] _sentAt;
    private int _head;

    // Written by the poller thread (sends and replies); read once by the close callback, which runs after the connection closed.
    private int _inFlight;

    public LoadConnection(LoadRun run)
    {
        _run = run;
        _sentAt = new long[Math.Max(1, run.Options.Pipeline)];
    }

    private LoadPattern Pattern => _run.Options.Pattern;

    /// <summary>
    /// Counts the connection open and watches for its close. Called by the ramp as soon as the connect
    /// returns, so a ramp that has finished has counted every connection it opened (OnConnectAsync runs
    /// later, on the poller); a connection that closed meanwhile runs its close callback at once.
    /// </summary>
    public void Opened(Connection connection)
    {
        _run.ConnectionOpened();
        connection.AddCloseCallback(OnClosed);
    }

    public override ValueTask OnConnectAsync(Connection connection)
    {
        if (Pattern == LoadPattern.Idle)
        {
            return default;
        }

        int depth = Pattern == LoadPattern.PingPong ? 1 : _run.Options.Pipeline;
        return SendUpTo(connection, depth);
    }

    public override ValueTask OnRequestAsync(Connection connection)
    {
        bool ok = Pattern == LoadPattern.Http ? ReadHttpResponses(connection) : ReadEchoes(connection);
        if (!ok)
        {
            // The reply cannot be parsed, so neither can anything after it: the connection is done.
            _run.Error(LoadErrorKind.BadResponse);
            connection.Close();
            return default;
        }

        int depth = Pattern == LoadPattern.PingPong ? 1 : _run.Options.Pipeline;
        return SendUpTo(connection, depth);
    }

    private ValueTask SendUpTo(Connection connection, int depth)
    {
        int sent = 0;
        byte[] request = Pattern == LoadPattern.Http ? HttpRequest : _run.Message;
        while (_inFlight < depth && _run.TryStartRequest())
        {
            connection.Writer.WriteBinary(request);
            _sentAt[(_head + _inFlight) % _sentAt.Length] = Stopwatch.GetTimestamp();
            _inFlight++;
            sent++;
        }

        if (sent == 0)
        {
            return default;
        }

        Interlocked.Add(ref _run.BytesSent, (long)sent * request.Length);
        return connection.Writer.FlushAsync();
    }

    private bool ReadEchoes(Connection connection)
    {
        ConnectionReader reader = connection.Reader;
        int size = _run.Message.Length;
        while (reader.Length >= size && _inFlight > 0)
        {
            if (!reader.Next(size).Span.SequenceEqual(_run.Message))
            {
                return false;
            }

            CompleteOne(size);
        }

        return _inFlight > 0 || reader.Length == 0;
    }

    private bool ReadHttpResponses(Connection connection)
    {
        ConnectionReader reader = connection.Reader;
        Span<byte> copy = stackalloc byte[16 * 1024];
        while (_inFlight > 0 && reader.Length > 0)
        {
            var scan = new SequenceReader<byte>(reader.GetReadableSequence());
            if (!scan.TryReadTo(out ReadOnlySequence<byte> head, "\r\n\r\n"u8, advancePastDelimiter: true))
            {
                return reader.Length < 16 * 1024; // headers still arriving, unless absurdly long
            }

            if (head.Length > copy.Length)
            {
                return false;
            }

            ReadOnlySpan<byte> text = head.IsSingleSegment ? head.FirstSpan : CopyOf(head, copy);
            if (!text.StartsWith("HTTP/1.1 2"u8) || !TryContentLength(text, out int length))
            {
                return false;
            }

            long total = scan.Consumed + length;
            if (reader.Length < total)
            {
                return true; // body still arriving
            }

            reader.Skip((int)total);
            CompleteOne((int)total);
        }

        return true;
    }

    private void CompleteOne(int bytes)
    {
        Interlocked.Add(ref _run.BytesReceived, bytes);
        _run.Complete(_sentAt[_head]);
        _head = (_head + 1) % _sentAt.Length;
        _inFlight--;
    }

    private static bool TryContentLength(ReadOnlySpan<byte> head, out int length)
    {
        length = 0;
        int at = head.IndexOf("\r\nContent-Length:"u8);
        if (at < 0)
        {
            return false;
        }

        ReadOnlySpan<byte> value = head[(at + 17)..];
        int end = value.IndexOf("\r\n"u8);
        value = (end < 0 ? value : value[..end]).Trim((byte)' ');
        return System.Buffers.Text.Utf8Parser.TryParse(value, out length, out int used) && used == value.Length && length >= 0;
    }

    private static ReadOnlySpan<byte> CopyOf(in ReadOnlySequence<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return destination[..(int)source.Length];
    }

    private void OnClosed(Connection connection)
    {
        _run.ConnectionClosed();
        if (_run.Stopping)
        {
            return; // the generator closed it at the end of the run: not an error, and nothing is waited for
        }

        int lost = Volatile.Read(ref _inFlight);
        switch (connection.CloseReason)
        {
            case CloseReason.IdleTimeout when lost > 0:
                // The dialer's idle timeout is the response timeout: nothing came back for a sent request.
                _run.Error(LoadErrorKind.ResponseTimeout, lost);
                break;
            case CloseReason.IdleTimeout:
                break; // its share of the request budget is done and it sat idle: not an error
            case CloseReason.Local:
                break; // closed here after a bad response, already counted
            case CloseReason.Error:
                _run.Error(LoadErrorKind.Reset);
                break;
            default:
                _run.Error(LoadErrorKind.ClosedByServer);
                break;
        }

        _run.Fail(lost);
    }
}
