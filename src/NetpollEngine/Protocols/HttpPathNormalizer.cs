using System.Buffers;
using System.Text;

namespace Netpoll.Protocols;

/// <summary>
/// The path routes match, normalised as nginx and Kestrel normalise before matching: %-escapes decoded
/// whatever the case of their hex digits (RFC 3986 §6.2.2.1-2), then dot-segments resolved (§5.2.4), so
/// <c>/%41/./b/../c</c> is <c>/A/c</c>. Decoding comes first so <c>%2E%2E</c> is a "..", as those servers do.
/// </summary>
/// <remarks>
/// Three kinds of escape stay escaped (upper-case hex): <c>%2F</c>, so an encoded '/' stays inside its
/// segment instead of becoming a separator (Kestrel's rule); <c>%25</c>, so a '%' in the result always
/// starts an escape and "%252F" never reads as "%2F"; and bytes that do not form UTF-8, so the result is
/// always UTF-8 text. Refused (400): an encoded NUL, and a ".." with no segment left to remove (nginx's
/// answer too: such a path would name something above the root).
/// </remarks>
internal static class HttpPathNormalizer
{
    private static readonly SearchValues<byte> EscapeOrDot = SearchValues.Create("%."u8);

    /// <summary>False when <paramref name="path"/> is its own normal form: no escapes and no '.' (so no dot-segment).</summary>
    public static bool NeedsWork(ReadOnlySpan<byte> path) => path.ContainsAny(EscapeOrDot);

    /// <summary>
    /// Normalises <paramref name="path"/> (an absolute path already checked against the RFC 3986 grammar)
    /// into <paramref name="destination"/>, which must be at least as long: the result never is longer.
    /// </summary>
    public static HttpRejection Normalize(ReadOnlySpan<byte> path, Span<byte> destination, out int length)
    {
        HttpRejection rejection = Decode(path, destination, out length);
        return rejection.IsRejected ? rejection : RemoveDotSegments(destination, ref length);
    }

    /// <summary>Decodes the escapes of one path segment or a whole path into <paramref name="destination"/> (see the class remarks).</summary>
    public static HttpRejection Decode(ReadOnlySpan<byte> text, Span<byte> destination, out int length)
    {
        int written = 0;
        Span<byte> decoded = stackalloc byte[4]; // the longest UTF-8 sequence
        for (int i = 0; i < text.Length;)
        {
            if (text[i] != (byte)'%')
            {
                destination[written++] = text[i++];
                continue;
            }

            // Up to four escapes in a row: enough to decode one UTF-8 sequence.
            int count = 0;
            for (int at = i; count < decoded.Length && at < text.Length && text[at] == (byte)'%'; at += 3)
            {
                decoded[count++] = (byte)((HexValue(text[at + 1]) << 4) | HexValue(text[at + 2]));
            }

            byte first = decoded[0];
            int used = 1;
            if (first == 0)
            {
                length = 0;
                return HttpRejection.BadRequest("the path has an encoded NUL (%00)");
            }

            if (first is (byte)'/' or (byte)'%' || (first >= 0x80 && Rune.DecodeFromUtf8(decoded[..count], out _, out used) != OperationStatus.Done))
            {
                used = 1;
                destination[written++] = (byte)'%';
                destination[written++] = UpperHex(first >> 4);
                destination[written++] = UpperHex(first & 0xF);
            }
            else
            {
                decoded[..used].CopyTo(destination[written..]);
                written += used;
            }

            i += 3 * used;
        }

        length = written;
        return default;
    }

    /// <summary>True for a "." or ".." segment (after decoding), which a resolved path never holds.</summary>
    public static bool IsDotSegment(ReadOnlySpan<byte> segment) => segment.SequenceEqual("."u8) || segment.SequenceEqual(".."u8);

    /// <summary>remove_dot_segments (RFC 3986 §5.2.4) in place on an absolute path; a ".." at the root is refused.</summary>
    private static HttpRejection RemoveDotSegments(Span<byte> path, ref int length)
    {
        // The output never outgrows what has been read, so it is written over the input: path[..kept] is the
        // output so far (segments each after its '/'), and each input segment runs from the '/' at read.
        int kept = 0;
        for (int read = 0; read < length;)
        {
            int next = path[(read + 1)..length].IndexOf((byte)'/');
            int end = next < 0 ? length : read + 1 + next;
            Span<byte> segment = path[(read + 1)..end];
            bool last = end == length;
            if (segment.SequenceEqual(".."u8))
            {
                if (kept == 0)
                {
                    length = 0;
                    return HttpRejection.BadRequest("the path climbs above the root with '..'");
                }

                kept = path[..kept].LastIndexOf((byte)'/');
            }

            if (IsDotSegment(segment))
            {
                if (last)
                {
                    path[kept++] = (byte)'/'; // "/a/b/.." is "/a/": what it names is a directory
                }
            }
            else
            {
                path[kept] = (byte)'/';
                segment.CopyTo(path[(kept + 1)..]);
                kept += 1 + segment.Length;
            }

            read = end;
        }

        if (kept == 0)
        {
            path[kept++] = (byte)'/';
        }

        length = kept;
        return default;
    }

    private static int HexValue(byte digit) => digit <= '9' ? digit - '0' : (digit | 0x20) - 'a' + 10;

    private static byte UpperHex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'A' + nibble - 10);
}
