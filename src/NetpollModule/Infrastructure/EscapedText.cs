using System.Globalization;
using System.Text;

namespace Netpoll.PowerShell;

/// <summary>
/// Protocol bytes written as text with escapes, as in <c>-Payload 'PING\r\n'</c>: \r \n \t \0 \\ and \xHH
/// (one byte in hex); every other character is its UTF-8 bytes. So a single-quoted PowerShell string can
/// hold a wire format.
/// </summary>
internal static class EscapedText
{
    public const string Escapes = @"\r \n \t \0 \\ and \xHH";

    /// <exception cref="FormatException">An unknown or unfinished escape; the message says which and what is allowed.</exception>
    public static byte[] ToBytes(string text)
    {
        var bytes = new List<byte>(text.Length);
        var chunk = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                chunk.Append(text[i]);
                continue;
            }

            bytes.AddRange(Encoding.UTF8.GetBytes(chunk.ToString()));
            chunk.Clear();
            if (i + 1 >= text.Length)
            {
                throw new FormatException($"'{text}' ends with a lone backslash: write \\\\ for a backslash, or one of {Escapes}.");
            }

            char escape = text[++i];
            switch (escape)
            {
                case 'r': bytes.Add((byte)'\r'); break;
                case 'n': bytes.Add((byte)'\n'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case '0': bytes.Add(0); break;
                case '\\': bytes.Add((byte)'\\'); break;
                case 'x' when i + 2 < text.Length && byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte value):
                    bytes.Add(value);
                    i += 2;
                    break;
                default:
                    throw new FormatException($"'\\{escape}' in '{text}' is not an escape: use {Escapes}.");
            }
        }

        bytes.AddRange(Encoding.UTF8.GetBytes(chunk.ToString()));
        return [.. bytes];
    }
}
