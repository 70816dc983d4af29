using System.Buffers;
using System.Collections.ObjectModel;

namespace Netpoll.Protocols;

/// <summary>
/// Collects one request's body (and trailer fields) for a route that wants them, as the bytes arrive,
/// so input never piles up in the connection's buffer waiting for the end of a body. Grows by doubling
/// instead of trusting the announced length: a client that claims a large body and sends none costs little.
/// </summary>
internal sealed class HttpBodyBuffer
{
    private byte[] _bytes = [];
    private int _length;
    private Dictionary<string, string>? _trailers;

    public int Length => _length;

    public void Append(in ReadOnlySequence<byte> data)
    {
        int n = checked((int)data.Length);
        if (_length + n > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_length + n, Math.Max(256, _bytes.Length * 2)));
        }

        data.CopyTo(_bytes.AsSpan(_length));
        _length += n;
    }

    public void AddTrailer(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        HttpFieldDictionary.Add(_trailers ??= HttpFieldDictionary.Create(), name, value);
    }

    /// <summary>Hands the body over (exactly its length) and starts empty again.</summary>
    public (byte[] Body, IReadOnlyDictionary<string, string> Trailers) Take()
    {
        byte[] body = _length == _bytes.Length ? _bytes : _bytes.AsSpan(0, _length).ToArray();
        IReadOnlyDictionary<string, string> trailers = _trailers is null ? ReadOnlyDictionary<string, string>.Empty : _trailers;
        _bytes = [];
        _length = 0;
        _trailers = null;
        return (body, trailers);
    }
}
