using Netpoll.Connections;

namespace Netpoll.Protocols;

/// <summary>A connection's writer as an <see cref="IHttpOutput"/>: large bodies are linked into the output, not copied.</summary>
internal readonly struct ConnectionOutput(ConnectionWriter writer) : IHttpOutput
{
    public void Advance(int count) => writer.Advance(count);

    public Memory<byte> GetMemory(int sizeHint = 0) => writer.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => writer.GetSpan(sizeHint);

    public void Link(ReadOnlyMemory<byte> memory) => writer.WriteBinary(memory, onRelease: null);
}
