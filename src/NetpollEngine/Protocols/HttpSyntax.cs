using System.Buffers;

namespace Netpoll.Protocols;

/// <summary>The character classes of RFC 9110/9112 and RFC 3986 that the request parser checks against.</summary>
internal static class HttpSyntax
{
    private const string Alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string Digit = "0123456789";
    private const string Unreserved = Alpha + Digit + "-._~";
    private const string SubDelims = "!$&'()*+,;=";

    /// <summary>tchar (RFC 9110 §5.6.2): what methods, field names and transfer-coding names are made of.</summary>
    public static readonly SearchValues<byte> Token = SearchValues.Create("!#$%&'*+-.^_`|~"u8.ToArray().Concat(Ascii(Alpha + Digit)).ToArray());

    /// <summary>pchar without pct-encoded, plus "/" (RFC 3986 path characters); '%' is checked separately.</summary>
    public static readonly SearchValues<byte> PathChar = SearchValues.Create(Ascii(Unreserved + SubDelims + ":@/%"));

    /// <summary>Query characters: pchar / "/" / "?" (RFC 3986 §3.4), '%' checked separately.</summary>
    public static readonly SearchValues<byte> QueryChar = SearchValues.Create(Ascii(Unreserved + SubDelims + ":@/?%"));

    /// <summary>reg-name and IPv4 characters of a host, '%' checked separately (RFC 3986 §3.2.2).</summary>
    public static readonly SearchValues<byte> RegNameChar = SearchValues.Create(Ascii(Unreserved + SubDelims + "%"));

    /// <summary>What may stand between the brackets of an IP-literal (IPv6 and IPvFuture, RFC 3986 §3.2.2).</summary>
    public static readonly SearchValues<byte> IpLiteralChar = SearchValues.Create(Ascii(Unreserved + SubDelims + ":"));

    /// <summary>URI scheme characters after the first letter (RFC 3986 §3.1).</summary>
    public static readonly SearchValues<byte> SchemeChar = SearchValues.Create(Ascii(Alpha + Digit + "+-."));

    /// <summary>field-content: VCHAR, obs-text, SP and HTAB (RFC 9110 §5.5). Everything else — NUL, CR, LF, other controls, DEL — is forbidden.</summary>
    public static readonly SearchValues<byte> FieldValueChar = SearchValues.Create(FieldValueBytes());

    public static readonly SearchValues<byte> HexDigit = SearchValues.Create(Ascii(Digit + "ABCDEFabcdef"));

    public static bool IsToken(ReadOnlySpan<byte> text) => !text.IsEmpty && !text.ContainsAnyExcept(Token);

    public static bool IsOws(byte b) => b is (byte)' ' or (byte)'\t';

    /// <summary>RFC 9110 §5.6.3 OWS trimmed from both ends.</summary>
    public static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> text) => text.Trim(" \t"u8);

    /// <summary>Every '%' starts a pct-encoded triplet ("%" HEXDIG HEXDIG).</summary>
    public static bool PercentEncodingIsValid(ReadOnlySpan<byte> text)
    {
        int i = text.IndexOf((byte)'%');
        while (i >= 0)
        {
            if (i + 2 >= text.Length || !HexDigit.Contains(text[i + 1]) || !HexDigit.Contains(text[i + 2]))
            {
                return false;
            }

            text = text[(i + 3)..];
            i = text.IndexOf((byte)'%');
        }

        return true;
    }

    /// <summary>ASCII case-insensitive comparison against a lowercase literal.</summary>
    public static bool EqualsLower(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowercase) =>
        System.Text.Ascii.EqualsIgnoreCase(text, lowercase);

    /// <summary>True when a comma-separated list (RFC 9110 §5.6.1) holds <paramref name="lowercase"/> as a whole element.</summary>
    public static bool ListContains(ReadOnlySpan<byte> list, ReadOnlySpan<byte> lowercase)
    {
        foreach (Range element in list.Split((byte)','))
        {
            if (EqualsLower(TrimOws(list[element]), lowercase))
            {
                return true;
            }
        }

        return false;
    }

    private static byte[] Ascii(string text) => System.Text.Encoding.ASCII.GetBytes(text);

    private static byte[] FieldValueBytes()
    {
        var bytes = new List<byte> { (byte)'\t' };
        for (int b = 0x20; b <= 0xFF; b++)
        {
            if (b != 0x7F)
            {
                bytes.Add((byte)b);
            }
        }

        return [.. bytes];
    }
}
