namespace Netpoll.Connections;

/// <summary>Per-connection behaviour, shared by every connection of one server or dialer.</summary>
public sealed record ConnectionOptions
{
    /// <summary>Close a connection when no byte moved for this long. Zero: never.</summary>
    public TimeSpan IdleTimeout { get; init; }

    /// <summary>Fail a reader wait (WaitAsync, NextAsync, UntilAsync) after this long with a <see cref="TimeoutException"/>. Zero: wait forever.</summary>
    public TimeSpan ReadTimeout { get; init; }

    /// <summary>Close the connection when a flush cannot complete within this long. Zero: wait forever.</summary>
    public TimeSpan WriteTimeout { get; init; }

    /// <summary>Where handlers run; <see cref="DispatchMode.Auto"/> lets the handler decide (a handler that declares <see cref="ConnectionHandler.NeverBlocks"/> runs inline, any other on the ThreadPool).</summary>
    public DispatchMode Dispatch { get; init; } = DispatchMode.Auto;

    /// <summary>Stop reading from the socket when this many input bytes are unread (backpressure).</summary>
    public int InputHighWaterMark { get; init; } = 4 * 1024 * 1024;

    /// <summary>Resume reading when unread input drops to this many bytes.</summary>
    public int InputLowWaterMark { get; init; } = 1024 * 1024;

    /// <summary>FlushAsync completes once at most this many bytes are still unsent. Zero: when everything is sent.</summary>
    public int OutputHighWaterMark { get; init; }

    /// <summary>Set TCP_NODELAY on TCP connections.</summary>
    public bool NoDelay { get; init; } = true;

    internal void Validate()
    {
        Check(IdleTimeout, nameof(IdleTimeout));
        Check(ReadTimeout, nameof(ReadTimeout));
        Check(WriteTimeout, nameof(WriteTimeout));
        if (InputHighWaterMark < 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(InputHighWaterMark), InputHighWaterMark, "InputHighWaterMark must be at least 1024 bytes.");
        }

        if (InputLowWaterMark < 0 || InputLowWaterMark >= InputHighWaterMark)
        {
            throw new ArgumentOutOfRangeException(nameof(InputLowWaterMark), InputLowWaterMark, $"InputLowWaterMark must be zero or more and below InputHighWaterMark ({InputHighWaterMark}).");
        }

        if (OutputHighWaterMark < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(OutputHighWaterMark), OutputHighWaterMark, "OutputHighWaterMark must be zero or more.");
        }

        if (!Enum.IsDefined(Dispatch))
        {
            throw new ArgumentOutOfRangeException(nameof(Dispatch), Dispatch, "Dispatch must be Auto, ThreadPool or Inline.");
        }
    }

    /// <summary>The mode in effect for <paramref name="handler"/>: never <see cref="DispatchMode.Auto"/>.</summary>
    /// <remarks>Auto without a handler (a dialed connection) is ThreadPool: reader-wait continuations then never run on the poller.</remarks>
    internal DispatchMode ResolveDispatch(ConnectionHandler? handler) => Dispatch switch
    {
        DispatchMode.Auto => handler?.NeverBlocks == true ? DispatchMode.Inline : DispatchMode.ThreadPool,
        _ => Dispatch,
    };

    private static void Check(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero || value > TimeSpan.FromDays(24))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between zero (off) and 24 days.");
        }
    }
}
