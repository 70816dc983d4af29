namespace Netpoll.Connections;

/// <summary>Async reader waits, completed by the poller when enough input arrived.</summary>
public sealed partial class Connection
{
    internal ValueTask WaitAsync(int bytes, CancellationToken cancellationToken)
    {
        if (bytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, $"Reader.WaitAsync: size must be zero or more, got {bytes}.");
        }

        if (_input.Length >= bytes)
        {
            return default;
        }

        return StartWait(bytes, -1, cancellationToken);
    }

    internal ValueTask WaitForDelimiterAsync(byte delimiter, CancellationToken cancellationToken)
    {
        if (_input.IndexOf(delimiter) >= 0)
        {
            return default;
        }

        return StartWait(0, delimiter, cancellationToken);
    }

    private ValueTask StartWait(int bytes, int delimiter, CancellationToken cancellationToken)
    {
        if (_lifecycle.IsCloseRequested || _lifecycle.IsPeerClosed)
        {
            return ValueTask.FromException(StarvedException(bytes, delimiter));
        }

        AsyncSignal signal = _readSignal ??= new AsyncSignal();
        _want = delimiter >= 0 ? ~delimiter : bytes;
        ValueTask wait = signal.Arm(!_runInline, cancellationToken);
        ArmReadDeadline();

        // A wait for more than the high-water mark must not stay paused forever.
        ResumeIfDrained();

        // Data, EOF or close may have come between the first check and arming.
        WakeReader();
        FailReaderIfStarved();
        return wait;
    }

    /// <summary>Completes the reader's wait when its condition holds. Any thread.</summary>
    private void WakeReader()
    {
        AsyncSignal? signal = _readSignal;
        if (signal is not null && signal.IsWaiting && IsReaderSatisfied())
        {
            if (signal.TrySet(null))
            {
                ClearReadDeadline();
            }
        }
    }

    /// <summary>Fails the reader's wait when no more input can come (peer closed, connection closed).</summary>
    private void FailReaderIfStarved()
    {
        AsyncSignal? signal = _readSignal;
        if (signal is not null && signal.IsWaiting && !IsReaderSatisfied() &&
            (_lifecycle.IsPeerClosed || _lifecycle.IsCloseRequested))
        {
            signal.TrySet(StarvedException(WantBytes, WantDelimiter));
        }
    }

    /// <summary>The reader waits for this many bytes (0 while it waits for a delimiter).</summary>
    private int WantBytes => Math.Max(_want, 0);

    /// <summary>The byte the reader waits for, or -1 while it waits for a count.</summary>
    private int WantDelimiter => _want < 0 ? ~_want : -1;

    private bool IsReaderSatisfied() =>
        _want < 0 ? _input.IndexOf((byte)~_want) >= 0 : _input.Length >= _want;

    private bool ReaderNeedsMore()
    {
        AsyncSignal? signal = _readSignal;
        return signal is not null && signal.IsWaiting && _want > _input.Length; // a delimiter wait (< 0) never needs a count
    }

    private string DescribeWant() => _want < 0 ? $"delimiter 0x{~_want:X2}" : $"{_want} bytes";

    private Exception StarvedException(int bytes, int delimiter)
    {
        string want = delimiter >= 0 ? $"delimiter 0x{delimiter:X2}" : $"{bytes} bytes";
        if (_lifecycle.IsPeerClosed && !_lifecycle.IsCloseRequested && _lifecycle.PeerCloseReason == CloseReason.Error)
        {
            // Not an end of stream: what the peer sent last was refused (the transform says why), and the connection closes as Error.
            return new ConnectionClosedException(CloseReason.Error,
                $"Reader wait for {want} on connection {Id}: the peer's stream failed ({_transform?.FailureMessage ?? "bad input"}); {_input.Length} bytes it sent before are unread.");
        }

        if (_lifecycle.IsPeerClosed && !_lifecycle.IsCloseRequested)
        {
            return new EndOfStreamException($"The peer closed the connection with {_input.Length} bytes unread; the reader waited for {want}.");
        }

        return ClosedException($"Reader wait for {want}");
    }
}
