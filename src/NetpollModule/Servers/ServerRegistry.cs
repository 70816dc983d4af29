using System.Collections.Concurrent;
using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// The servers of this process, shared by every runspace. Remove-Module, process exit and SIGTERM
/// stop them all (see <see cref="ModuleLifecycle"/>).
/// </summary>
internal static class ServerRegistry
{
    private static readonly ConcurrentDictionary<int, NetpollServer> Servers = new();
    private static int s_nextId;

    public static IReadOnlyList<NetpollServer> All => [.. Servers.Values.OrderBy(s => s.Id)];

    public static int NextId() => Interlocked.Increment(ref s_nextId);

    /// <summary>Adds a server; false when the name is taken (names are unique, case-insensitive).</summary>
    public static bool TryAdd(NetpollServer server)
    {
        lock (Servers)
        {
            if (Servers.Values.Any(s => string.Equals(s.Name, server.Name, StringComparison.OrdinalIgnoreCase)))
            {
                return false;
            }

            Servers[server.Id] = server;
            return true;
        }
    }

    public static bool IsNameTaken(string name) =>
        Servers.Values.Any(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    public static NetpollServer? ById(int id) => Servers.TryGetValue(id, out NetpollServer? s) ? s : null;

    public static IEnumerable<NetpollServer> ByName(string pattern)
    {
        var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
        return All.Where(s => wildcard.IsMatch(s.Name));
    }

    /// <summary>Forgets a stopped server and frees what it held.</summary>
    public static void Remove(NetpollServer server)
    {
        Servers.TryRemove(server.Id, out _);
        server.Release();
    }

    /// <summary>Stops every server (graceful for <paramref name="timeout"/>, then forced) and forgets them.</summary>
    public static void StopAll(TimeSpan timeout)
    {
        NetpollServer[] servers = [.. Servers.Values];
        Task.WaitAll([.. servers.Select(s => s.Loop.ShutdownAsync(timeout))], timeout + TimeSpan.FromSeconds(5));
        foreach (NetpollServer server in servers)
        {
            Remove(server);
        }
    }
}
