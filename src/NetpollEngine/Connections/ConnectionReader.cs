using System.Buffers;
using Netpoll.Buffers;

namespace Netpoll.Connections;

/// <summary>
/// The nocopy reader of a connection (netpoll's Reader). The synchronous calls work on bytes already
/// buffered; the async calls wait until enough have arrived (bounded by the read timeout).
/// Views stay valid until <see cref="Release"/> or the end of the handler call that obtained them.
/// One reader at a time.
/// </summary>
public readonly struct ConnectionReader : IEquatable<ConnectionReader>
{
    private readonly Connection _connection;

    internal ConnectionReader(Connection connection) => _connection = connection;

    internal LinkBuffer Input => _connection.Input;

    /// <summary>Bytes buffered and unread.</summary>
    public int Length => Input.Length;

    public ReadOnlyMemory<byte> Next(int n) => Input.Next(n);

    public ReadOnlyMemory<byte> Peek(int n) => Input.Peek(n);

    public void Skip(int n) => Input.Skip(n);

    public byte ReadByte() => Input.ReadByte();

    public string ReadString(int n) => Input.ReadString(n);

    public byte[] ReadBinary(int n) => Input.ReadBinary(n);

    public int IndexOf(byte delimiter) => Input.IndexOf(delimiter);

    public ReadOnlyMemory<byte> Until(byte delimiter) => Input.Until(delimiter);

    /// <summary>Moves the next <paramref name="n"/> bytes into an independent buffer sharing their memory.</summary>
    public LinkBuffer Slice(int n) => Input.Slice(n);

    public ReadOnlySequence<byte> GetReadableSequence() => Input.GetReadableSequence();

    /// <summary>Frees what was read. Handlers need not call it: input is released after each call.</summary>
    public void Release() => Input.Release();

    /// <summary>Waits until at least <paramref name="n"/> bytes are buffered.</summary>
    /// <exception cref="TimeoutException">The read timeout passed.</exception>
    /// <exception cref="EndOfStreamException">The peer closed before sending that much.</exception>
    /// <exception cref="ConnectionClosedException">The connection closed.</exception>
    public ValueTask WaitAsync(int n, CancellationToken cancellationToken = default) => _connection.WaitAsync(n, cancellationToken);

    /// <summary>Waits for <paramref name="n"/> bytes and returns them (valid until Release).</summary>
    public async ValueTask<ReadOnlyMemory<byte>> NextAsync(int n, CancellationToken cancellationToken = default)
    {
        await _connection.WaitAsync(n, cancellationToken).ConfigureAwait(false);
        return Input.Next(n);
    }

    /// <summary>Waits until <paramref name="delimiter"/> arrives and returns the bytes through it.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> UntilAsync(byte delimiter, CancellationToken cancellationToken = default)
    {
        await _connection.WaitForDelimiterAsync(delimiter, cancellationToken).ConfigureAwait(false);
        return Input.Until(delimiter);
    }

    public bool Equals(ConnectionReader other) => ReferenceEquals(_connection, other._connection);

    public override bool Equals(object? obj) => obj is ConnectionReader other && Equals(other);

    public override int GetHashCode() => _connection?.GetHashCode() ?? 0;

    public static bool operator ==(ConnectionReader left, ConnectionReader right) => left.Equals(right);

    public static bool operator !=(ConnectionReader left, ConnectionReader right) => !left.Equals(right);
}
