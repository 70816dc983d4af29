using System.Buffers;

namespace Netpoll.Load;

/// <summary>RFC 9110 tokens (methods, header names): one or more tchar.</summary>
internal static class HttpToken
{
    private const string TokenChars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    // Vectorized membership: every response's header names are checked, so this is on the generator's per-request path.
    private static readonly SearchValues<char> Chars = SearchValues.Create(TokenChars);
    private static readonly SearchValues<byte> Bytes = SearchValues.Create(System.Text.Encoding.ASCII.GetBytes(TokenChars));

    public static bool IsToken(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExcept(Chars);

    public static bool IsToken(ReadOnlySpan<byte> text) => !text.IsEmpty && !text.ContainsAnyExcept(Bytes);
}
