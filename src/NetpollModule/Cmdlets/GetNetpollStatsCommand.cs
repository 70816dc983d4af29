using System.Management.Automation;
using Netpoll.Diagnostics;

namespace Netpoll.PowerShell;

/// <summary>
/// Get-NetpollStats: one object per poller (or per server with -Aggregate), once, or streamed every
/// -Interval for -Count samples or until Ctrl+C. Reading the counters costs the pollers nothing.
/// </summary>
[Cmdlet(VerbsCommon.Get, "NetpollStats", DefaultParameterSetName = NameSet)]
[OutputType(typeof(NetpollPollerStats), typeof(NetpollServerStats))]
public sealed class GetNetpollStatsCommand : PSCmdlet
{
    private const string NameSet = "Name";
    private const string ServerSet = "Server";
    private readonly List<NetpollServer> _servers = [];
    private readonly ManualResetEventSlim _stop = new();

    [Parameter(Mandatory = true, ParameterSetName = ServerSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public NetpollServer[]? Server { get; set; }

    /// <summary>Server names or wildcards; every server when omitted.</summary>
    [Parameter(Position = 0, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ServerNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>One object per server instead of one per poller.</summary>
    [Parameter]
    public SwitchParameter Aggregate { get; set; }

    /// <summary>Stream a sample every interval (with -Count, or until Ctrl+C).</summary>
    [Parameter]
    [TimeSpanArgument]
    [ValidateTimeSpanRange(MaxSeconds = 86400)]
    public TimeSpan Interval { get; set; }

    /// <summary>Number of samples to take; with -Interval and no -Count, sampling goes on until Ctrl+C.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ServerSet)
        {
            _servers.AddRange(Server!);
            return;
        }

        if (Name is null)
        {
            _servers.AddRange(ServerRegistry.All);
            return;
        }

        foreach (string name in Name)
        {
            NetpollServer[] matches = [.. ServerRegistry.ByName(name)];
            if (matches.Length == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(StopNetpollServerCommand.NotFound($"No Netpoll server is named '{name}'.", name));
            }

            _servers.AddRange(matches);
        }
    }

    protected override void EndProcessing()
    {
        if (Interval < TimeSpan.Zero || (Interval == TimeSpan.Zero && Count > 1))
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("-Count above 1 needs an -Interval between samples."), "NetpollIntervalRequired", ErrorCategory.InvalidArgument, Count));
        }

        NetpollServer[] servers = [.. _servers.DistinctBy(s => s.Id)];
        int samples = Interval == TimeSpan.Zero ? 1 : (Count > 0 ? Count : int.MaxValue);
        for (int i = 0; i < samples; i++)
        {
            if (i > 0 && _stop.Wait(Interval))
            {
                return; // Ctrl+C
            }

            foreach (NetpollServer server in servers)
            {
                Sample(server);
            }
        }
    }

    protected override void StopProcessing() => _stop.Set();

    private void Sample(NetpollServer server)
    {
        IReadOnlyList<PollerStats> now = server.Loop.GetStats();
        IReadOnlyList<PollerStats>? before;
        int view = Aggregate ? 1 : 0;
        lock (server.SampleGate)
        {
            before = server.LastSamples[view];
            server.LastSamples[view] = now;
        }

        List<NetpollPollerStats> pollers = [.. now.Select(p => NetpollPollerStats.From(server.Name, p, before?.FirstOrDefault(b => b.PollerId == p.PollerId), server.StartTime))];
        if (Aggregate)
        {
            WriteObject(NetpollServerStats.From(server.Name, pollers, server.Loop.GetBufferStatistics().RentedBytes));
        }
        else
        {
            WriteObject(pollers, enumerateCollection: true);
        }
    }
}
