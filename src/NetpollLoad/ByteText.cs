using System.Text;

namespace Netpoll.Load;

/// <summary>Protocol bytes quoted in an error message: printable ASCII as is, anything else as \xHH, cut at a length.</summary>
internal static class ByteText
{
    public static string Quote(ReadOnlySpan<byte> bytes, int max = 48)
    {
        var text = new StringBuilder(Math.Min(bytes.Length, max) + 8);
        foreach (byte b in bytes[..Math.Min(bytes.Length, max)])
        {
            if (b is >= 0x20 and < 0x7F && b != (byte)'\\')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append(b switch { (byte)'\r' => "\\r", (byte)'\n' => "\\n", (byte)'\t' => "\\t", (byte)'\\' => "\\\\", _ => $"\\x{b:X2}" });
            }
        }

        if (bytes.Length > max)
        {
            text.Append('…');
        }

        return text.ToString();
    }
}
