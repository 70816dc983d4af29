using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Netpoll.Load.Contracts;

namespace Netpoll.PowerShell;

/// <summary>An upstream as a user writes it: <c>host:port</c>, <c>[IPv6]:port</c> or <c>unix:/path/to.sock</c>.</summary>
internal sealed record UpstreamAddress(string Text, string? Host, int Port, string? UnixPath)
{
    public const string Forms = "host:port (127.0.0.1:6379, db.local:5432, [::1]:8080) or unix:/path/to.sock";

    /// <summary>Parses <paramref name="text"/>; null, with <paramref name="problem"/> saying why, when it is none of the forms.</summary>
    public static UpstreamAddress? Parse(string text, out string? problem)
    {
        problem = null;
        if (text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            string path = text["unix:".Length..];
            if (path.Length > 0)
            {
                return new UpstreamAddress(text, null, 0, path);
            }

            problem = "the Unix socket path is empty";
            return null;
        }

        // A URL or a bracketed address without its port would otherwise be read at its last colon, and the
        // message would blame a "port" such as '1]' or a "host" such as 'http://127.0.0.1'.
        if (text.Contains("://", StringComparison.Ordinal))
        {
            problem = "it is a URL; the proxy relays TCP, so give the host and port alone";
            return null;
        }

        if (text.StartsWith('[') && text.EndsWith(']'))
        {
            problem = "it has no port (write IPv6 as [::1]:port)";
            return null;
        }

        // The grammar of Invoke-NetpollLoad's targets (LoadTarget), which resolves it: IPv6 only in brackets.
        int colon = text.LastIndexOf(':');
        string host = colon > 0 ? text[..colon] : "";
        bool bracketed = host.Length >= 2 && host[0] == '[' && host[^1] == ']';
        if (bracketed)
        {
            host = host[1..^1];
        }

        if (host.Length == 0)
        {
            problem = "it has no host:port";
            return null;
        }

        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port < 1 || port > 65535)
        {
            problem = $"'{text[(colon + 1)..]}' is not a port from 1 to 65535";
            return null;
        }

        if (bracketed ? !IPAddress.TryParse(host, out IPAddress? literal) || literal.AddressFamily != AddressFamily.InterNetworkV6 : host.Contains(':', StringComparison.Ordinal))
        {
            problem = $"'{host}' is not an IPv6 address (write IPv6 as [::1]:port)";
            return null;
        }

        return new UpstreamAddress(text, host, port, null);
    }

    /// <summary>The end point to connect to: a host name resolves now, as a load target's does (IPv4 first, localhost is 127.0.0.1).</summary>
    /// <exception cref="SocketException">The host name does not resolve.</exception>
    public EndPoint Resolve() => UnixPath is not null ? new UnixDomainSocketEndPoint(UnixPath) : LoadTarget.Resolve(Text);
}
