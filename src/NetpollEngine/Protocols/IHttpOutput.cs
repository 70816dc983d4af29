using System.Buffers;

namespace Netpoll.Protocols;

/// <summary>Where responses are written: a buffer writer that can also link large memory instead of copying it.</summary>
internal interface IHttpOutput : IBufferWriter<byte>
{
    /// <summary>Appends <paramref name="memory"/>, which stays unchanged for as long as any buffer may hold it.</summary>
    void Link(ReadOnlyMemory<byte> memory);
}
