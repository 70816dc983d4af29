using System.Buffers;
using Netpoll.Buffers;

namespace Netpoll.Connections;

/// <summary>
/// The nocopy writer of a connection (netpoll's Writer). Each call is atomic with respect to other
/// tasks writing the same connection, so whole messages written with WriteBinary/WriteString never
/// interleave; memory from Malloc/GetMemory must be filled before anyone flushes.
/// </summary>
public readonly struct ConnectionWriter : IBufferWriter<byte>, IEquatable<ConnectionWriter>
{
    private readonly Connection _connection;

    internal ConnectionWriter(Connection connection) => _connection = connection;

    /// <summary>Bytes written and not yet flushed.</summary>
    public int MallocLength
    {
        get
        {
            lock (_connection.WriteGate)
            {
                return _connection.Output.MallocLength;
            }
        }
    }

    public Memory<byte> Malloc(int n)
    {
        lock (_connection.WriteGate)
        {
            return _connection.WritableOutput().Malloc(n);
        }
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        lock (_connection.WriteGate)
        {
            return _connection.WritableOutput().GetMemory(sizeHint);
        }
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public void Advance(int count)
    {
        lock (_connection.WriteGate)
        {
            _connection.WritableOutput().Advance(count);
        }
    }

    public void WriteBinary(ReadOnlySpan<byte> data)
    {
        lock (_connection.WriteGate)
        {
            _connection.WritableOutput().WriteBinary(data);
        }
    }

    /// <summary>Links large caller memory without copying; <paramref name="onRelease"/> runs once it is sent (or dropped).</summary>
    public void WriteBinary(ReadOnlyMemory<byte> data, Action<object?>? onRelease, object? state = null)
    {
        lock (_connection.WriteGate)
        {
            _connection.WritableOutput().WriteBinary(data, onRelease, state);
        }
    }

    public void WriteString(string text)
    {
        lock (_connection.WriteGate)
        {
            _connection.WritableOutput().WriteString(text);
        }
    }

    public void WriteByte(byte value)
    {
        lock (_connection.WriteGate)
        {
            _connection.WritableOutput().WriteByte(value);
        }
    }

    /// <summary>Moves <paramref name="buffer"/>'s readable bytes to the output without copying.</summary>
    public void Append(LinkBuffer buffer)
    {
        lock (_connection.WriteGate)
        {
            _connection.WritableOutput().Append(buffer);
        }
    }

    /// <summary>Moves the next <paramref name="n"/> unread input bytes of <paramref name="reader"/> to this output without copying or allocating (an echo, a proxy).</summary>
    public void AppendFrom(ConnectionReader reader, int n)
    {
        lock (_connection.WriteGate)
        {
            _connection.WritableOutput().AppendFrom(reader.Input, n);
        }
    }

    /// <summary>
    /// <see cref="AppendFrom"/> and then <see cref="FlushAsync"/>, atomic as one writer call: the move and the publish
    /// take the write gate once instead of twice (an echo or a proxy per message).
    /// </summary>
    /// <exception cref="ConnectionClosedException">The connection closed, or closed while waiting.</exception>
    public ValueTask AppendFromAndFlushAsync(ConnectionReader reader, int n, CancellationToken cancellationToken = default) =>
        _connection.AppendFromAndFlushAsync(reader.Input, n, cancellationToken);

    /// <summary>
    /// Publishes what was written and sends it: on this thread while the socket takes it, then from
    /// the poller. Completes when at most OutputHighWaterMark bytes remain unsent (default: all sent).
    /// </summary>
    /// <exception cref="ConnectionClosedException">The connection closed, or closed while waiting.</exception>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => _connection.FlushAsync(cancellationToken);

    public bool Equals(ConnectionWriter other) => ReferenceEquals(_connection, other._connection);

    public override bool Equals(object? obj) => obj is ConnectionWriter other && Equals(other);

    public override int GetHashCode() => _connection?.GetHashCode() ?? 0;

    public static bool operator ==(ConnectionWriter left, ConnectionWriter right) => left.Equals(right);

    public static bool operator !=(ConnectionWriter left, ConnectionWriter right) => !left.Equals(right);
}
