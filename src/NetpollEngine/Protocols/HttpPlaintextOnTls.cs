using System.Buffers;

namespace Netpoll.Protocols;

/// <summary>
/// Plain HTTP sent to a TLS port (<c>curl http://</c> against an HTTPS server): recognized by its first bytes, a
/// method token (RFC 9110 §9.1), and answered as nginx answers it — 400 "The plain HTTP request was sent to HTTPS
/// port" — in the clear, with <c>Connection: close</c>, so the client is told what went wrong instead of reading an
/// empty reply.
/// </summary>
internal static class HttpPlaintextOnTls
{
    private static readonly HttpResponseTemplate s_answer =
        HttpResponseTemplate.Compile(HttpResponse.Text("The plain HTTP request was sent to HTTPS port\n", 400, "text/plain"));

    /// <summary>Whether <paramref name="firstBytes"/> (a TLS record header's worth) start an HTTP request line: a letter, then token characters up to a space or the end.</summary>
    public static bool LooksLikeRequest(ReadOnlySpan<byte> firstBytes)
    {
        if (firstBytes.IsEmpty || !char.IsAsciiLetter((char)firstBytes[0]))
        {
            return false;
        }

        int space = firstBytes.IndexOf((byte)' ');
        return HttpSyntax.IsToken(space < 0 ? firstBytes : firstBytes[..space]);
    }

    /// <summary>The 400 with today's date (a new array: this is a refusal, not a request path).</summary>
    public static byte[] Answer()
    {
        var written = new ArrayBufferWriter<byte>(256);
        s_answer.Write(new ArrayOutput(written), headOnly: false, http11: true, HttpPersistence.Close);
        return written.WrittenSpan.ToArray();
    }

    private readonly struct ArrayOutput(ArrayBufferWriter<byte> written) : IHttpOutput
    {
        public void Advance(int count) => written.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0) => written.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => written.GetSpan(sizeHint);

        public void Link(ReadOnlyMemory<byte> memory) => written.Write(memory.Span);
    }
}
