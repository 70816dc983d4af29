using System.Globalization;
using System.Text;

namespace Netpoll.Tests.Protocols;

/// <summary>A strict reader of the responses a server wrote: status line, fields, then a Content-Length or chunked body. Throws on anything malformed.</summary>
internal static class HttpResponseReader
{
    public sealed record Response(int Status, string Reason, IReadOnlyList<KeyValuePair<string, string>> Fields, byte[] Body)
    {
        public string BodyText => Encoding.UTF8.GetString(Body);

        public string? Header(string name) => Fields.Where(f => f.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(f => f.Value).FirstOrDefault();

        public bool Closes => Header("Connection")?.Equals("close", StringComparison.OrdinalIgnoreCase) == true;
    }

    /// <param name="bytes">Everything written.</param>
    /// <param name="headOnly">For response i: it answers a HEAD request (fields only, no body).</param>
    /// <param name="guessHeadOnly">When the requests are unknown: a response followed by the end or by another status line had no body.</param>
    public static List<Response> ReadAll(byte[] bytes, Func<int, bool>? headOnly = null, bool guessHeadOnly = false)
    {
        var responses = new List<Response>();
        int at = 0;
        while (at < bytes.Length)
        {
            int headEnd = IndexOf(bytes, "\r\n\r\n"u8, at);
            if (headEnd < 0)
            {
                throw new FormatException($"Response {responses.Count} has no end of head: {Show(bytes, at)}");
            }

            string[] lines = Encoding.Latin1.GetString(bytes, at, headEnd - at).Split("\r\n");
            at = headEnd + 4;
            string[] status = lines[0].Split(' ', 3);
            if (status.Length < 3 || status[0] != "HTTP/1.1" || status[1].Length != 3)
            {
                throw new FormatException($"Bad status line '{lines[0]}'.");
            }

            int code = int.Parse(status[1], CultureInfo.InvariantCulture);
            var fields = lines.Skip(1).Select(l =>
            {
                int colon = l.IndexOf(':', StringComparison.Ordinal);
                return colon <= 0 ? throw new FormatException($"Bad field line '{l}'.") : new KeyValuePair<string, string>(l[..colon], l[(colon + 1)..].Trim());
            }).ToList();

            if (code == 100)
            {
                responses.Add(new Response(code, status[2], fields, []));
                continue; // an interim response: the final one follows
            }

            byte[] body = [];
            bool head = headOnly?.Invoke(responses.Count(r => r.Status != 100)) == true ||
                (guessHeadOnly && (at == bytes.Length || bytes.AsSpan(at).StartsWith("HTTP/1.1 "u8)));
            string? length = fields.Where(f => f.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Select(f => f.Value).FirstOrDefault();
            bool chunked = fields.Any(f => f.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && f.Value == "chunked");
            if (!head && chunked)
            {
                body = ReadChunked(bytes, ref at);
            }
            else if (!head && length is not null)
            {
                int n = int.Parse(length, CultureInfo.InvariantCulture);
                if (at + n > bytes.Length)
                {
                    throw new FormatException($"Response {responses.Count} says {n} body bytes; {bytes.Length - at} follow.");
                }

                body = bytes[at..(at + n)];
                at += n;
            }

            responses.Add(new Response(code, status[2], fields, body));
        }

        return responses;
    }

    private static byte[] ReadChunked(byte[] bytes, ref int at)
    {
        var body = new List<byte>();
        while (true)
        {
            int lineEnd = IndexOf(bytes, "\r\n"u8, at);
            int size = int.Parse(Encoding.ASCII.GetString(bytes, at, lineEnd - at), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            at = lineEnd + 2;
            if (size == 0)
            {
                if (IndexOf(bytes, "\r\n"u8, at) != at)
                {
                    throw new FormatException("A chunked response has trailers or no final CRLF.");
                }

                at += 2;
                return [.. body];
            }

            body.AddRange(bytes[at..(at + size)]);
            at += size;
            if (bytes[at] != '\r' || bytes[at + 1] != '\n')
            {
                throw new FormatException("A chunk is not followed by CRLF.");
            }

            at += 2;
        }
    }

    private static int IndexOf(byte[] bytes, ReadOnlySpan<byte> what, int from)
    {
        int i = bytes.AsSpan(from).IndexOf(what);
        return i < 0 ? -1 : from + i;
    }

    private static string Show(byte[] bytes, int from) => Encoding.Latin1.GetString(bytes, from, Math.Min(200, bytes.Length - from)).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
