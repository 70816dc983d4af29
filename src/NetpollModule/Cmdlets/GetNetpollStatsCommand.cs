using System.Management.Automation;
using Netpoll.Diagnostics;

namespace Netpoll.PowerShell;

/// <summary>
/// Get-NetpollStats: one object per poller (or per server with -Aggregate), once, or streamed every
/// -Interval for -Count samples or until Ctrl+C. Reading the counters costs the pollers nothing.
/// Rates cover a defined window: the first sample of each server since the server started, every
/// later one since this command's previous sample of it. A proxy shows like a server: its
/// pollers under its name (both sides share them: each upstream connection runs on its client's poller).
/// </summary>
[Cmdlet(VerbsCommon.Get, "NetpollStats", DefaultParameterSetName = NameSet, HelpUri = HelpLinks.Module)]
[OutputType(typeof(NetpollPollerStats), typeof(NetpollServerStats))]
public sealed class GetNetpollStatsCommand : PSCmdlet, IDisposable
{
    private const string NameSet = "Name";
    private const string ServerSet = "InputObject";
    private const string ProxySet = "Proxy";
    private readonly List<NetpollServer> _servers = [];
    private readonly List<NetpollProxy> _proxies = [];
    private readonly Dictionary<string, IReadOnlyList<PollerStats>> _previous = [];
    private readonly ManualResetEventSlim _stop = new();

    /// <summary>Servers from Start-NetpollServer or Get-NetpollServer, by pipeline.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ServerSet, ValueFromPipeline = true)]
    [Alias("Server")]
    [ValidateNotNull]
    public NetpollServer[]? InputObject { get; set; }

    /// <summary>Proxies from Start-NetpollProxy or Get-NetpollProxy, by pipeline.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ProxySet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public NetpollProxy[]? Proxy { get; set; }

    /// <summary>Server or proxy names or wildcards; every server and proxy when omitted.</summary>
    [Parameter(Position = 0, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServerNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>One object per server instead of one per poller.</summary>
    [Parameter]
    public SwitchParameter Aggregate { get; set; }

    /// <summary>Stream a sample every interval (with -Count, or until Ctrl+C).</summary>
    [Parameter]
    [TimeSpanArgument(ParameterName = nameof(Interval))]
    [ValidateTimeSpanRange(MaxSeconds = 86400)]
    public TimeSpan Interval { get; set; }

    /// <summary>Number of samples to take; with -Interval and no -Count, sampling goes on until Ctrl+C.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case ServerSet:
                _servers.AddRange(ServerLookup.Running(this, InputObject!));
                break;
            case ProxySet:
                _proxies.AddRange(ProxyLookup.Running(this, Proxy!));
                break;
            default:
                foreach (string name in Name ?? ["*"])
                {
                    NetpollServer[] servers = [.. Registries.Servers.ByName(name)];
                    NetpollProxy[] proxies = [.. Registries.Proxies.ByName(name)];
                    if (servers.Length + proxies.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                    {
                        WriteError(new ErrorRecord(new ItemNotFoundException($"No Netpoll server or proxy is named '{name}'. Get-NetpollServer and Get-NetpollProxy list the running ones."), ErrorIds.ServerNotFound, ErrorCategory.ObjectNotFound, name));
                    }

                    _servers.AddRange(servers);
                    _proxies.AddRange(proxies);
                }

                break;
        }
    }

    protected override void EndProcessing()
    {
        if (Interval == TimeSpan.Zero && Count > 1)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("-Count above 1 needs an -Interval between samples."), ErrorIds.IntervalRequired, ErrorCategory.InvalidArgument, Count));
        }

        List<NetpollServer> servers = [.. _servers.DistinctBy(s => s.Id)];
        List<NetpollProxy> proxies = [.. _proxies.DistinctBy(p => p.Id)];
        int samples = Interval == TimeSpan.Zero ? 1 : (Count > 0 ? Count : int.MaxValue);
        for (int i = 0; i < samples; i++)
        {
            if (i > 0 && _stop.Wait(Interval))
            {
                return; // Ctrl+C
            }

            // A stream outlives what it watches: a stopped server's counters would repeat, frozen, every interval (and
            // a stream with no -Count never end). Its samples end with a warning; the stream ends with the last one.
            servers.RemoveAll(s => Stopped("Server", s.Name, s.Id, Registries.Servers.ById(s.Id) is null));
            proxies.RemoveAll(p => Stopped("Proxy", p.Name, p.Id, Registries.Proxies.ById(p.Id) is null));
            if (i > 0 && servers.Count + proxies.Count == 0)
            {
                return;
            }

            foreach (NetpollServer server in servers)
            {
                Sample(server);
            }

            foreach (NetpollProxy proxy in proxies)
            {
                Sample(proxy);
            }
        }
    }

    protected override void StopProcessing() => _stop.Set();

    private bool Stopped(string kind, string name, int id, bool stopped)
    {
        if (stopped)
        {
            WriteWarning($"{kind} '{name}' (Id {id}) stopped: Get-NetpollStats samples it no more.");
        }

        return stopped;
    }

    public void Dispose() => _stop.Dispose();

    private void Sample(NetpollServer server) =>
        Write(server.Name, Pollers($"server {server.Id}", server.Name, server.Loop.GetStats(), server.StartTime), () => server.Loop.GetBufferStatistics().RentedBytes);

    // Both sides of a proxy share its pollers (each upstream on its client's poller): listed once.
    private void Sample(NetpollProxy proxy) => Write(proxy.Name,
        Pollers($"proxy {proxy.Id}", proxy.Name, proxy.Proxy.GetPollerStats(), proxy.StartTime),
        () => proxy.Proxy.GetBufferStatistics().RentedBytes);

    /// <summary>One poll group's pollers now, with rates since this command's previous sample of it (<paramref name="key"/>).</summary>
    private List<NetpollPollerStats> Pollers(string key, string name, IReadOnlyList<PollerStats> now, DateTimeOffset startTime)
    {
        _previous.TryGetValue(key, out IReadOnlyList<PollerStats>? before);
        _previous[key] = now;
        return [.. now.Select(p => NetpollPollerStats.From(name, p, before?.FirstOrDefault(b => b.PollerId == p.PollerId), startTime))];
    }

    private void Write(string name, List<NetpollPollerStats> pollers, Func<long> poolBytes)
    {
        if (Aggregate)
        {
            WriteObject(NetpollServerStats.From(name, pollers, poolBytes()));
        }
        else
        {
            WriteObject(pollers, enumerateCollection: true);
        }
    }
}
