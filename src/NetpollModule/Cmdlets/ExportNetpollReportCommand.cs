using System.Management.Automation;
using Netpoll.Load;
using Netpoll.PowerShell.Reports;

namespace Netpoll.PowerShell;

/// <summary>
/// Export-NetpollReport: writes a test's samples as CSV, its summary as JSON, and an HTML page with
/// charts of connections, throughput, requests, latency and per-poller load on one clock. Input comes
/// from parameters or the pipeline (a LoadResult, Get-NetpollStats output, any sample objects); the
/// rendering lives in Reports/.
/// </summary>
[Cmdlet(VerbsData.Export, "NetpollReport", SupportsShouldProcess = true, HelpUri = HelpLinks.Module)]
[OutputType(typeof(NetpollReport))]
public sealed class ExportNetpollReportCommand : PSCmdlet
{
    private readonly List<PSObject> _samples = [];
    private readonly List<NetpollPollerStats> _pollers = [];
    private readonly List<LoadResult> _loads = [];

    /// <summary>The folder to write into (created when missing).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Pipeline input, sorted by type: a LoadResult, per-poller stats, or a server-side sample (anything else).</summary>
    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>Server-side samples, one object per moment (Get-NetpollStats -Aggregate output, or your own): every property is a CSV column; charts read Timestamp (or ElapsedSeconds), Connections, BytesInPerSecond, BytesOutPerSecond, WorkingSetBytes, ManagedBytes when present.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public PSObject[] Sample { get; set; } = [];

    /// <summary>Per-poller samples (Get-NetpollStats output) for the per-poller charts.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public NetpollPollerStats[] PollerSample { get; set; } = [];

    /// <summary>The load result; its Timeline gives client connections, requests and latency over time.</summary>
    [Parameter]
    public LoadResult? LoadResult { get; set; }

    /// <summary>Facts for summary.json and the page's table (a hashtable or object).</summary>
    [Parameter]
    public PSObject? Summary { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Title { get; set; } = "Netpoll connection test";

    protected override void ProcessRecord()
    {
        switch (InputObject?.BaseObject)
        {
            case null:
                break;
            case LoadResult load:
                _loads.Add(load);
                break;
            case NetpollPollerStats poller:
                _pollers.Add(poller);
                break;
            default:
                _samples.Add(InputObject);
                break;
        }
    }

    protected override void EndProcessing()
    {
        if (LoadResult is not null)
        {
            _loads.Insert(0, LoadResult);
        }

        if (_loads.Count > 1)
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"A report shows one load result; {_loads.Count} were given. Export one report per load result."),
                ErrorIds.ReportOneLoadResult, ErrorCategory.InvalidArgument, _loads));
        }

        var data = new ReportData
        {
            Title = Title,
            Samples = [.. Sample, .. _samples],
            PollerSamples = [.. PollerSample, .. _pollers],
            Load = _loads.FirstOrDefault(),
            Summary = Summary,
        };
        string directory = GetUnresolvedProviderPathFromPSPath(Path);
        if (ShouldProcess(directory, $"Write {string.Join(", ", ReportWriter.FileNames)}"))
        {
            WriteObject(ReportWriter.Write(data, directory));
        }
    }
}
