using System.Net;
using System.Security.Authentication;
using System.Text;
using Netpoll.Interop;

namespace Netpoll.Tls;

/// <summary>Checks and encodes what TLS options name: host names, ALPN protocol names, protocol versions.</summary>
internal static class TlsNames
{
    public static void ValidateHostName(string name, string parameter, bool allowWildcard = true)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 253)
        {
            throw new ArgumentException($"'{name}' is not a host name (1 to 253 characters).", parameter);
        }

        if (IPAddress.TryParse(name, out _))
        {
            return; // a client may target an address; its certificate is then checked against its IP entries
        }

        string labels = allowWildcard && name.StartsWith("*.", StringComparison.Ordinal) ? name[2..] : name;
        foreach (string label in labels.Split('.'))
        {
            if (label.Length is 0 or > 63 || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') || label[0] == '-' || label[^1] == '-')
            {
                throw new ArgumentException($"'{name}' is not a host name: each dot-separated label must be 1 to 63 letters, digits or inner hyphens{(allowWildcard ? ", optionally after a leading '*.'" : "")}.", parameter);
            }
        }
    }

    public static void ValidateProtocols(IReadOnlyList<string>? protocols, string parameter)
    {
        if (protocols is null)
        {
            return;
        }

        foreach (string protocol in protocols)
        {
            if (string.IsNullOrEmpty(protocol) || Encoding.UTF8.GetByteCount(protocol) > 255)
            {
                throw new ArgumentException($"'{protocol}' is not an ALPN protocol name (1 to 255 bytes, e.g. \"http/1.1\" or \"h2\").", parameter);
            }
        }
    }

    public static void ValidateVersions(SslProtocols protocols, string parameter)
    {
        if ((protocols & ~(SslProtocols.Tls12 | SslProtocols.Tls13)) != 0)
        {
            throw new ArgumentOutOfRangeException(parameter, protocols, "Only Tls12 and Tls13 are supported (None means both).");
        }
    }

    public static void ValidateTimeout(TimeSpan timeout, string parameter)
    {
        if (timeout < TimeSpan.Zero || timeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(parameter, timeout, $"{parameter} must be between zero (no limit) and one day.");
        }
    }

    /// <summary>ALPN's wire format: each name preceded by its length.</summary>
    public static byte[] AlpnWire(IReadOnlyList<string> protocols)
    {
        var wire = new List<byte>();
        foreach (string protocol in protocols)
        {
            byte[] name = Encoding.UTF8.GetBytes(protocol);
            wire.Add((byte)name.Length);
            wire.AddRange(name);
        }

        return [.. wire];
    }

    /// <summary>
    /// A peer's ALPN list (wire format) for a message: its first few names, bytes outside printable ASCII as '?'
    /// (the names are the peer's bytes, not text we trust).
    /// </summary>
    public static string DescribeAlpn(ReadOnlySpan<byte> wire)
    {
        const int MaxNames = 8;
        var names = new List<string>();
        while (wire.Length > 0 && names.Count < MaxNames)
        {
            int length = Math.Min(wire[0], wire.Length - 1);
            ReadOnlySpan<byte> name = wire.Slice(1, length);
            var text = new StringBuilder(length);
            foreach (byte b in name)
            {
                _ = text.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
            }

            names.Add(text.ToString());
            wire = wire[(1 + length)..];
        }

        return string.Join(", ", names) + (wire.Length > 0 ? ", ..." : "");
    }

    /// <summary>The lowest and highest OpenSSL protocol versions <paramref name="protocols"/> allows.</summary>
    public static (int Min, int Max) VersionRange(SslProtocols protocols) =>
        protocols switch
        {
            SslProtocols.Tls12 => (LibSsl.TLS1_2_VERSION, LibSsl.TLS1_2_VERSION),
            SslProtocols.Tls13 => (LibSsl.TLS1_3_VERSION, LibSsl.TLS1_3_VERSION),
            _ => (LibSsl.TLS1_2_VERSION, LibSsl.TLS1_3_VERSION),
        };

    public static SslProtocols FromVersion(int version) => version switch
    {
        LibSsl.TLS1_2_VERSION => SslProtocols.Tls12,
        LibSsl.TLS1_3_VERSION => SslProtocols.Tls13,
        _ => SslProtocols.None,
    };
}
