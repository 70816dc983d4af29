using System.Management.Automation;
using Netpoll.Diagnostics;

namespace Netpoll.PowerShell;

/// <summary>
/// Get-NetpollStats: one object per poller (or per server with -Aggregate), once, or streamed every
/// -Interval for -Count samples or until Ctrl+C. Reading the counters costs the pollers nothing.
/// Rates cover a defined window: the first sample of each server since the server started, every
/// later one since this command's previous sample of it.
/// </summary>
[Cmdlet(VerbsCommon.Get, "NetpollStats", DefaultParameterSetName = NameSet, HelpUri = HelpLinks.Module)]
[OutputType(typeof(NetpollPollerStats), typeof(NetpollServerStats))]
public sealed class GetNetpollStatsCommand : PSCmdlet, IDisposable
{
    private const string NameSet = "Name";
    private const string ServerSet = "InputObject";
    private readonly List<NetpollServer> _servers = [];
    private readonly Dictionary<int, IReadOnlyList<PollerStats>> _previous = [];
    private readonly ManualResetEventSlim _stop = new();

    /// <summary>Servers from Start-NetpollServer or Get-NetpollServer, by pipeline.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ServerSet, ValueFromPipeline = true)]
    [Alias("Server")]
    [ValidateNotNull]
    public NetpollServer[]? InputObject { get; set; }

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

    protected override void ProcessRecord() => _servers.AddRange(ParameterSetName switch
    {
        ServerSet => ServerLookup.Running(this, InputObject!),
        _ when Name is null => ServerRegistry.All,
        _ => ServerLookup.ByName(this, Name),
    });

    protected override void EndProcessing()
    {
        if (Interval == TimeSpan.Zero && Count > 1)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("-Count above 1 needs an -Interval between samples."), ErrorIds.IntervalRequired, ErrorCategory.InvalidArgument, Count));
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

    public void Dispose() => _stop.Dispose();

    private void Sample(NetpollServer server)
    {
        IReadOnlyList<PollerStats> now = server.Loop.GetStats();
        _previous.TryGetValue(server.Id, out IReadOnlyList<PollerStats>? before);
        _previous[server.Id] = now;
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
