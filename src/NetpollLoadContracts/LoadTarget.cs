using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Netpoll.Load.Contracts;

/// <summary>
/// Turns a target as users type it (127.0.0.1:7000, [::1]:7000, web.example:80, unix:/path) into
/// an endpoint. A host name is resolved once, here, before a test starts: every connection of the
/// test then goes to the same address, and a failed lookup is an error before anything runs.
/// </summary>
public static class LoadTarget
{
    private const string Expected = "give host:port (127.0.0.1:7000, [::1]:7000, localhost:7000, a DNS name such as web.example:80) or unix:/path";

    /// <summary>Parses and, for a host name, resolves the target (an IPv4 address is preferred when the name has both).</summary>
    /// <exception cref="FormatException">Not host:port or unix:/path.</exception>
    /// <exception cref="SocketException">The host name could not be resolved.</exception>
    public static EndPoint Resolve(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            return text.Length > 5 ? new UnixDomainSocketEndPoint(text[5..]) : throw new FormatException($"'{text}' names no socket path: {Expected}.");
        }

        int colon = text.LastIndexOf(':');
        string host = colon > 0 ? text[..colon] : "";
        bool bracketed = host.StartsWith('[') && host.EndsWith(']');
        if (bracketed)
        {
            host = host[1..^1];
        }

        if (host.Length == 0 || (host.Contains(':', StringComparison.Ordinal) && !bracketed) ||
            !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            throw new FormatException($"'{text}' is not a target: {Expected}.");
        }

        // Only a full literal is an address: IPAddress.TryParse also takes "1234" and "10.1".
        if (IPAddress.TryParse(host, out IPAddress? literal) &&
            (literal.AddressFamily == AddressFamily.InterNetworkV6 || host.Count(c => c == '.') == 3))
        {
            return new IPEndPoint(literal, port);
        }

        if (bracketed)
        {
            throw new FormatException($"'{text}' is not a target: [{host}] is not an IPv6 address.");
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new IPEndPoint(IPAddress.Loopback, port); // servers listen on 127.0.0.1 by default
        }

        IPAddress[] addresses = Dns.GetHostAddresses(host);
        IPAddress address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound, $"'{host}' resolved to no address.");
        return new IPEndPoint(address, port);
    }

    /// <summary>The endpoint as a target string the worker parses back to the same endpoint.</summary>
    public static string Format(EndPoint endPoint) => endPoint switch
    {
        UnixDomainSocketEndPoint unix => $"unix:{unix}",
        _ => endPoint.ToString() ?? throw new ArgumentException("The endpoint has no text form.", nameof(endPoint)),
    };
}
