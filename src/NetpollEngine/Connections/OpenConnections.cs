namespace Netpoll.Connections;

/// <summary>
/// A host's open connections: an intrusive doubly linked list through each <see cref="Connection"/>'s
/// <see cref="Connection.OpenPrevious"/> and <see cref="Connection.OpenNext"/>, so being open costs a connection
/// two fields and no node (a ConcurrentDictionary spent a 48 B node and a bucket on each). Adds and removes come
/// once per connection (accept or connect, and close); walks only at shutdown, on a snapshot.
/// </summary>
internal sealed class OpenConnections
{
    private readonly Lock _gate = new();
    private Connection? _head; // under _gate: the last added; a connection is in the list iff it is _head or has an OpenPrevious
    private int _count;        // under _gate for writes; read with Volatile

    public int Count => Volatile.Read(ref _count);

    public bool IsEmpty => Count == 0;

    /// <summary>Once per connection, before anything can close it. Any thread.</summary>
    public void Add(Connection connection)
    {
        lock (_gate)
        {
            connection.OpenNext = _head;
            if (_head is not null)
            {
                _head.OpenPrevious = connection;
            }

            _head = connection;
            _count++;
        }
    }

    /// <summary>Unlinks <paramref name="connection"/>; a connection not in the list (removed already) is left alone. Any thread.</summary>
    public void Remove(Connection connection)
    {
        lock (_gate)
        {
            if (connection.OpenPrevious is null && !ReferenceEquals(_head, connection))
            {
                return;
            }

            if (connection.OpenPrevious is { } previous)
            {
                previous.OpenNext = connection.OpenNext;
            }
            else
            {
                _head = connection.OpenNext;
            }

            if (connection.OpenNext is { } next)
            {
                next.OpenPrevious = connection.OpenPrevious;
            }

            connection.OpenPrevious = null;
            connection.OpenNext = null;
            _count--;
        }
    }

    /// <summary>The connections open now, copied: callers may close them while they walk it. Any thread.</summary>
    public Connection[] Snapshot()
    {
        lock (_gate)
        {
            var open = new Connection[_count];
            int i = 0;
            for (Connection? c = _head; c is not null; c = c.OpenNext)
            {
                open[i++] = c;
            }

            return open;
        }
    }
}
