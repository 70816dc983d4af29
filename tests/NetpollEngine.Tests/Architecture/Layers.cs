namespace Netpoll.Tests.Architecture;

/// <summary>
/// The engine's layers and the arrows between them: each layer lists the layers it may use. Anything
/// not listed is forbidden. docs/architecture.md draws the same table.
/// </summary>
internal static class Layers
{
    public const string Root = "Netpoll";

    public static readonly IReadOnlyDictionary<string, string[]> MayUse = new Dictionary<string, string[]>
    {
        // Syscalls and structs, internal. Depends on nothing.
        ["Interop"] = [],
        // Memory: LinkBuffer and its pool know no I/O.
        ["Buffers"] = [],
        // Counters, snapshots, meter, EventSource: read by everyone, reading no one (pollers implement its interfaces).
        ["Diagnostics"] = [],
        // The reactor: backends, poller threads, timer wheel. Knows registrations only through IPollable.
        ["Polling"] = ["Interop", "Diagnostics"],
        // A registered connection: lifecycle, reader, writer, flush, deadlines.
        ["Connections"] = ["Polling", "Buffers", "Interop", "Diagnostics"],
        // TLS on a connection: implements its transform seam over OpenSSL (Interop). Connections never sees it.
        ["Tls"] = ["Connections", "Buffers", "Interop", "Diagnostics"],
        // Owners of connections: a server accepts them, a dialer connects them. Neither knows the other.
        ["Server"] = ["Connections", "Polling", "Buffers", "Interop", "Diagnostics", "Tls"],
        ["Client"] = ["Connections", "Polling", "Buffers", "Interop", "Diagnostics", "Tls"],
        // Built on the public API only (checked member by member in PublicApiOnlyTests).
        ["Protocols"] = ["Connections", "Buffers", "Diagnostics"],
        // The fault-injecting proxy: a server's accepted connections forwarded to a dialer's, on the public API only
        // (Polling for the backend its options choose).
        ["Proxy"] = ["Connections", "Buffers", "Client", "Server", "Polling", "Diagnostics", "Tls"],
    };

    /// <summary>Layers whose code may use only what the engine offers users. (The load generator is its own assembly, Netpoll.Load, so the compiler holds it to the public API.)</summary>
    public static readonly string[] PublicApiOnly = ["Protocols", "Proxy"];

    public static string Namespace(string layer) => $"{Root}.{layer}";
}
