using System.Collections.Concurrent;
using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// The proxies of this process, shared by every runspace, beside <see cref="ServerRegistry"/>: a proxy
/// and a server never share a name (Get-NetpollStats finds either by it). Remove-Module, process exit
/// and SIGTERM stop them all.
/// </summary>
internal static class ProxyRegistry
{
    private static readonly ConcurrentDictionary<int, NetpollProxy> Proxies = new();
    private static int s_nextId;

    public static IReadOnlyList<NetpollProxy> All => [.. Proxies.Values.OrderBy(p => p.Id)];

    public static int NextId() => Interlocked.Increment(ref s_nextId);

    public static bool IsNameTaken(string name) => Find(name) is not null;

    /// <summary>The proxy named exactly <paramref name="name"/> (case-insensitive), or null.</summary>
    public static NetpollProxy? Find(string name) =>
        Proxies.Values.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Adds a proxy; false when a proxy or a server has its name.</summary>
    public static bool TryAdd(NetpollProxy proxy)
    {
        lock (Proxies)
        {
            if (IsNameTaken(proxy.Name) || ServerRegistry.IsNameTaken(proxy.Name))
            {
                return false;
            }

            Proxies[proxy.Id] = proxy;
            return true;
        }
    }

    public static NetpollProxy? ById(int id) => Proxies.GetValueOrDefault(id);

    public static IEnumerable<NetpollProxy> ByName(string pattern)
    {
        var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
        return All.Where(p => wildcard.IsMatch(p.Name));
    }

    public static void Remove(NetpollProxy proxy) => Proxies.TryRemove(proxy.Id, out _);

    /// <summary>Stops every proxy (its connections closed, reset after <paramref name="timeout"/>) and forgets them.</summary>
    public static void StopAll(TimeSpan timeout)
    {
        NetpollProxy[] proxies = [.. Proxies.Values];
        Task.WaitAll([.. proxies.Select(p => p.Proxy.StopAsync(timeout))], timeout + TimeSpan.FromSeconds(5));
        foreach (NetpollProxy proxy in proxies)
        {
            Remove(proxy);
        }
    }
}
