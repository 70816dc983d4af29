using System.Collections;
using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// Lets a -Proxy parameter take a running proxy's name (or several) as well as the object: a name that
/// no proxy has fails at parameter binding, naming the running ones.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ProxyArgumentAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject ps ? ps.BaseObject : inputData;
        return value is IEnumerable list and not string ? list.Cast<object>().Select(One).ToArray() : One(value);
    }

    private static NetpollProxy One(object? item) => (item is PSObject ps ? ps.BaseObject : item) switch
    {
        NetpollProxy proxy => proxy,
        string name => Registries.Proxies.Find(name) ?? throw new ArgumentTransformationMetadataException(
            $"No Netpoll proxy is named '{name}'. Running: {Running()}. Start one with Start-NetpollProxy."),
        var other => throw new ArgumentTransformationMetadataException($"'{other}' is not a Netpoll proxy or a proxy's name."),
    };

    private static string Running()
    {
        IReadOnlyList<NetpollProxy> all = Registries.Proxies.All;
        return all.Count == 0 ? "none" : string.Join(", ", all.Select(p => p.Name));
    }
}
