using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>Finds running proxies by name (wildcards), id or object; what is not found is a non-terminating NetpollProxyNotFound error.</summary>
internal static class ProxyLookup
{
    private static readonly RegistryLookup<NetpollProxy> Lookup =
        new("proxy", ErrorIds.ProxyNotFound, Registries.Proxies);

    public static IEnumerable<NetpollProxy> ByName(Cmdlet cmdlet, IEnumerable<string> names) => Lookup.ByName(cmdlet, names);

    public static IEnumerable<NetpollProxy> ById(Cmdlet cmdlet, IEnumerable<int> ids) => Lookup.ById(cmdlet, ids);

    /// <summary>The live proxy behind each object (it may have been stopped since it was written to the pipeline).</summary>
    public static IEnumerable<NetpollProxy> Running(Cmdlet cmdlet, IEnumerable<NetpollProxy> proxies) => Lookup.Running(cmdlet, proxies);

    public static ErrorRecord NotFound(string message, object target) => Lookup.NotFound(message, target);
}
