namespace Netpoll.PowerShell;

/// <summary>The servers and the proxies of this process, and the one namespace their names share.</summary>
internal static class Registries
{
    /// <summary>Taken to add a server or a proxy, so two started at once from two runspaces cannot both take a name.</summary>
    public static readonly Lock NameGate = new();

    public static readonly Registry<NetpollServer> Servers = new(s => s.Id, s => s.Name, (s, timeout) => s.Loop.ShutdownAsync(timeout), s => s.Release());

    public static readonly Registry<NetpollProxy> Proxies = new(p => p.Id, p => p.Name, (p, timeout) => p.Proxy.StopAsync(timeout));

    /// <summary>A server or a proxy has <paramref name="name"/> (case-insensitive).</summary>
    public static bool IsNameTaken(string name) => Servers.Find(name) is not null || Proxies.Find(name) is not null;

    /// <summary>The first of prefix-1, prefix-2, ... that no server or proxy has.</summary>
    public static string NextFreeName(string prefix)
    {
        for (int i = 1; ; i++)
        {
            string candidate = $"{prefix}-{i}";
            if (!IsNameTaken(candidate))
            {
                return candidate;
            }
        }
    }
}
