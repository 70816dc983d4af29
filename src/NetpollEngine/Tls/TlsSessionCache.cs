using Netpoll.Interop;

namespace Netpoll.Tls;

/// <summary>
/// A client's resumable sessions, the newest one per server (target host and address). OpenSSL hands each
/// new session (TLS 1.3: each ticket, after the handshake) to the new-session callback, which keeps it here;
/// the next connection to that server resumes it. Bounded: a dialer aimed at many servers forgets the oldest.
/// </summary>
internal sealed class TlsSessionCache : IDisposable
{
    private const int MaxServers = 1024;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, nint> _sessions = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private bool _disposed;

    /// <summary>Sets the session kept for <paramref name="key"/> on <paramref name="ssl"/> (which takes its own reference).</summary>
    public void Resume(string key, nint ssl)
    {
        lock (_gate)
        {
            if (_sessions.TryGetValue(key, out nint session))
            {
                _ = LibSsl.SetSession(ssl, session);
            }
        }
    }

    /// <summary>Keeps <paramref name="session"/> (taking over OpenSSL's reference) as the one for <paramref name="key"/>; false when it was not kept.</summary>
    public bool Keep(string key, nint session)
    {
        if (LibSsl.SessionIsResumable(session) != 1)
        {
            return false;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            if (_sessions.Remove(key, out nint older))
            {
                LibSsl.SessionFree(older);
            }
            else
            {
                _order.Enqueue(key);
                while (_order.Count > MaxServers && _order.TryDequeue(out string? oldest))
                {
                    if (_sessions.Remove(oldest, out nint evicted))
                    {
                        LibSsl.SessionFree(evicted);
                    }
                }
            }

            _sessions[key] = session;
            return true;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (nint session in _sessions.Values)
            {
                LibSsl.SessionFree(session);
            }

            _sessions.Clear();
            _order.Clear();
        }
    }
}
