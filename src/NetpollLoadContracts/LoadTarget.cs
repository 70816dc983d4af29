using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Netpoll.Load.Contracts;

/// <summary>
/// Turns a target as users type it (127.0.0.1:7000, [::1]:7000, web.example:80, unix:/path) into
/// endpoints. A host name is resolved once, here, before a test starts, to every address it has: a
/// test's connects try them in order until one accepts, and then use that one (see
/// <see cref="Netpoll.Load.LoadOptions.FallbackTargets"/>); a failed lookup is an error before anything runs.
/// </summary>
public static class LoadTarget
{
    private const string Expected = "give host:port (127.0.0.1:7000, [::1]:7000, localhost:7000, a DNS name such as web.example:80) or unix:/path";

    /// <summary>Parses and, for a host name, resolves the target to the first of its addresses (see <see cref="ResolveAll"/>).</summary>
    /// <exception cref="FormatException">Not host:port or unix:/path.</exception>
    /// <exception cref="SocketException">The host name could not be resolved.</exception>
    public static EndPoint Resolve(string text) => ResolveAll(text)[0];

    /// <summary>
    /// Parses and, for a host name, resolves the target to every address it has, IPv4 first (the servers of this module
    /// listen on 127.0.0.1 unless told otherwise), then the rest in the resolver's order; one endpoint for an address or a
    /// socket path. <c>localhost</c> is 127.0.0.1 then ::1 without a lookup (it names the loopback interface, RFC 6761).
    /// </summary>
    /// <exception cref="FormatException">Not host:port or unix:/path.</exception>
    /// <exception cref="SocketException">The host name could not be resolved.</exception>
    public static IReadOnlyList<EndPoint> ResolveAll(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            return text.Length > 5 ? [new UnixDomainSocketEndPoint(text[5..])] : throw new FormatException($"'{text}' names no socket path: {Expected}.");
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
            return [new IPEndPoint(literal, port)];
        }

        if (bracketed)
        {
            throw new FormatException($"'{text}' is not a target: [{host}] is not an IPv6 address.");
        }

        IPAddress[] addresses = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            ? [IPAddress.Loopback, IPAddress.IPv6Loopback]
            : Dns.GetHostAddresses(host);
        IPEndPoint[] endPoints = [.. addresses
            .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1) // stable: the resolver's order within each family
            .Distinct()
            .Select(a => new IPEndPoint(a, port))];
        return endPoints.Length > 0 ? endPoints : throw new SocketException((int)SocketError.HostNotFound, $"'{host}' resolved to no address.");
    }

    /// <summary>The endpoint as a target string the worker parses back to the same endpoint.</summary>
    public static string Format(EndPoint endPoint) => endPoint switch
    {
        UnixDomainSocketEndPoint unix => $"unix:{unix}",
        _ => endPoint.ToString() ?? throw new ArgumentException("The endpoint has no text form.", nameof(endPoint)),
    };
}
